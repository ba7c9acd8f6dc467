//! Amounts: PayPal's currencies and their decimals
//! (https://developer.paypal.com/reports/reference/currencies/): JPY, HUF and TWD take no
//! decimals ("If you pass a decimal amount, an error occurs"), the others at most two.

use crate::model::Money;

/// The currencies PayPal supports for payments, with their decimals.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("HKD", 2),
    ("HUF", 0),
    ("ILS", 2),
    ("JPY", 0),
    ("MYR", 2),
    ("MXN", 2),
    ("TWD", 0),
    ("NZD", 2),
    ("NOK", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("GBP", 2),
    ("RUB", 2),
    ("SGD", 2),
    ("SEK", 2),
    ("CHF", 2),
    ("THB", 2),
    ("USD", 2),
];

pub fn decimals(currency: &str) -> Option<u32> {
    CURRENCIES
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, d)| *d)
}

/// Why an amount is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AmountIssue {
    /// Not `^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$` or too long: a 400.
    Syntax,
    InvalidCurrency,
    /// Too many decimals for a currency with decimals.
    DecimalPrecision,
    /// Decimals for a currency without them.
    DecimalsNotSupported,
    ZeroOrNegative,
}

/// The amount in minor units.
pub fn parse(money: &Money) -> Result<i64, AmountIssue> {
    let v = money.value.as_str();
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let syntax_ok = v.len() <= 32
        && int.chars().all(|c| c.is_ascii_digit())
        && (frac.is_some() || !int.is_empty())
        && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()));
    if !syntax_ok {
        return Err(AmountIssue::Syntax);
    }
    let Some(places) = decimals(&money.currency_code) else {
        return Err(AmountIssue::InvalidCurrency);
    };
    let frac = frac.unwrap_or("");
    if places == 0 && !frac.is_empty() {
        return Err(AmountIssue::DecimalsNotSupported);
    }
    if frac.len() > places as usize {
        return Err(AmountIssue::DecimalPrecision);
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| AmountIssue::Syntax)?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().unwrap_or(0)
    };
    for _ in frac.len()..places as usize {
        frac_value *= 10;
    }
    let minor = int
        .checked_mul(10i64.pow(places))
        .and_then(|m| m.checked_add(frac_value))
        .ok_or(AmountIssue::Syntax)?;
    if v.starts_with('-') || minor == 0 {
        return Err(AmountIssue::ZeroOrNegative);
    }
    Ok(minor)
}

/// Minor units back to PayPal's string (`"10.00"`, `"1500"`).
pub fn format(minor: i64, currency: &str) -> String {
    let places = decimals(currency).unwrap_or(2);
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.abs();
    format!(
        "{sign}{}.{:0width$}",
        m / scale,
        m % scale,
        width = places as usize
    )
}

pub fn money(minor: i64, currency: &str) -> Money {
    Money {
        currency_code: currency.into(),
        value: format(minor, currency),
    }
}

/// The sandbox fee: 3.49% + a fixed 0.49 (49 minor units; 40 for currencies without decimals).
pub fn fee(minor: i64, currency: &str) -> i64 {
    let fixed = if decimals(currency) == Some(0) {
        40
    } else {
        49
    };
    ((minor * 349 + 5_000) / 10_000 + fixed).min(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str, v: &str) -> Result<i64, AmountIssue> {
        parse(&Money {
            currency_code: c.into(),
            value: v.into(),
        })
    }

    #[test]
    fn rules() {
        assert_eq!(m("USD", "10.00"), Ok(1000));
        assert_eq!(m("USD", "10.5"), Ok(1050));
        assert_eq!(m("USD", "10"), Ok(1000));
        assert_eq!(m("USD", ".5"), Ok(50));
        assert_eq!(m("USD", "10.001"), Err(AmountIssue::DecimalPrecision));
        assert_eq!(m("JPY", "1500"), Ok(1500));
        assert_eq!(m("JPY", "1500.00"), Err(AmountIssue::DecimalsNotSupported));
        assert_eq!(m("USD", "0.00"), Err(AmountIssue::ZeroOrNegative));
        assert_eq!(m("USD", "-1.00"), Err(AmountIssue::ZeroOrNegative));
        assert_eq!(m("XXX", "1.00"), Err(AmountIssue::InvalidCurrency));
        assert_eq!(m("USD", "1,00"), Err(AmountIssue::Syntax));
        assert_eq!(m("USD", ""), Err(AmountIssue::Syntax));
        assert_eq!(format(1050, "USD"), "10.50");
        assert_eq!(format(1500, "JPY"), "1500");
        assert_eq!(fee(10_000, "USD"), 398);
        assert_eq!(fee(1_000, "USD"), 84);
    }
}
