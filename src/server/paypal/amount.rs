//! Amounts as PayPal writes them: a decimal string in the currency's major unit, with no
//! decimals at all for the currencies PayPal takes whole (https://developer.paypal.com/reference/currency-codes/).

use crate::domain::money::{Currency, Money};

/// PayPal's currencies (https://developer.paypal.com/reference/currency-codes/); BRL, CNY and MYR
/// only for accounts in those countries.
const SUPPORTED: [&str; 25] = [
    "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN",
    "TWD", "NZD", "NOK", "PHP", "PLN", "GBP", "RUB", "SGD", "SEK", "CHF", "THB", "USD",
];
/// "If you pass a decimal amount, an error occurs."
const WHOLE_ONLY: [&str; 3] = ["HUF", "JPY", "TWD"];

pub fn supported(currency: &Currency) -> bool {
    SUPPORTED.contains(&currency.code())
}

/// `Money` → PayPal's `value`. `None` when PayPal cannot take this amount exactly (a currency it
/// does not support, or cents of a currency it takes whole): never rounded.
pub fn to_paypal(money: &Money) -> Option<String> {
    if !supported(&money.currency) || money.minor < 0 {
        return None;
    }
    let exp = money.currency.exponent();
    if WHOLE_ONLY.contains(&money.currency.code()) && exp > 0 {
        let unit = 10i64.pow(exp);
        return (money.minor % unit == 0).then(|| (money.minor / unit).to_string());
    }
    Some(money.to_major_string())
}

/// PayPal's `{currency_code, value}` → `Money`, exactly, or `None`.
pub fn from_paypal(currency_code: &str, value: &str) -> Option<Money> {
    let currency = Currency::parse(currency_code).ok()?;
    let value = value.trim();
    if value.is_empty()
        || value.starts_with('-')
        || !value.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let exp = currency.exponent() as usize;
    if fraction.len() > exp || whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let padded = format!("{fraction:0<exp$}");
    let minor: i64 = format!("{whole}{padded}").parse().ok()?;
    Some(Money::new(minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn cents_currencies_have_two_decimals() {
        assert_eq!(to_paypal(&money(1250, "USD")).as_deref(), Some("12.50"));
        assert_eq!(to_paypal(&money(5, "EUR")).as_deref(), Some("0.05"));
        assert_eq!(to_paypal(&money(100000, "GBP")).as_deref(), Some("1000.00"));
    }

    #[test]
    fn whole_currencies_have_none() {
        assert_eq!(to_paypal(&money(1500, "JPY")).as_deref(), Some("1500"));
        // HUF and TWD have cents in ISO 4217 but PayPal takes them whole.
        assert_eq!(to_paypal(&money(150000, "HUF")).as_deref(), Some("1500"));
        assert_eq!(to_paypal(&money(150050, "HUF")), None, "never rounded");
        assert_eq!(to_paypal(&money(9900, "TWD")).as_deref(), Some("99"));
    }

    #[test]
    fn currencies_paypal_does_not_take_are_refused() {
        assert_eq!(to_paypal(&money(1000, "KWD")), None);
        assert_eq!(to_paypal(&money(1000, "INR")), None);
    }

    #[test]
    fn paypal_values_read_back_exactly() {
        assert_eq!(from_paypal("USD", "12.50"), Some(money(1250, "USD")));
        assert_eq!(from_paypal("USD", "12.5"), Some(money(1250, "USD")));
        assert_eq!(from_paypal("USD", "12"), Some(money(1200, "USD")));
        assert_eq!(from_paypal("JPY", "1500"), Some(money(1500, "JPY")));
        assert_eq!(from_paypal("HUF", "1500"), Some(money(150000, "HUF")));
        assert_eq!(from_paypal("USD", "1.005"), None);
        assert_eq!(from_paypal("JPY", "15.5"), None);
        assert_eq!(from_paypal("USD", "-1.00"), None);
        assert_eq!(from_paypal("USD", "1e3"), None);
        assert_eq!(from_paypal("USD", ""), None);
        for minor in [0, 1, 99, 100, 123_456_789] {
            for code in ["USD", "JPY", "EUR"] {
                let m = money(minor, code);
                assert_eq!(from_paypal(code, &to_paypal(&m).unwrap()), Some(m));
            }
        }
    }
}
