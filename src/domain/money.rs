//! Money as integer minor units plus a currency. Never floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Currencies whose amounts Stripe takes with no fractional digits.
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Currencies with three fractional digits.
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// An ISO 4217 currency code, kept upper-case (`USD`). Stripe wants it lower-case on the wire:
/// see [`Currency::stripe_code`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("“{0}” is not a three-letter currency code")]
    BadCurrency(String),
    #[error("amounts in {0} and {1} cannot be added together")]
    CurrencyMismatch(String, String),
    #[error("the amount is too large")]
    Overflow,
    #[error("“{0}” is not an amount")]
    BadAmount(String),
}

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let code = code.trim();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(MoneyError::BadCurrency(code.to_string()))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// The lower-case code Stripe's API uses (`usd`).
    pub fn stripe_code(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Number of fractional digits in the currency's minor unit.
    pub fn exponent(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.code()) {
            0
        } else if THREE_DECIMAL.contains(&self.code()) {
            3
        } else {
            2
        }
    }

    /// The smallest amount Stripe charges in this currency (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), in minor units.
    pub fn minimum_charge(&self) -> i64 {
        match self.code() {
            "GBP" => 30,
            "HKD" => 400,
            "AED" | "PLN" | "RON" | "MYR" => 200,
            "BGN" => 100,
            "DKK" => 250,
            "NOK" | "SEK" => 300,
            "CZK" => 1500,
            "MXN" | "THB" => 1000,
            "HUF" => 17500,
            _ => 50,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        Some(match self.code() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            "KRW" => "₩",
            "INR" => "₹",
            _ => return None,
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

/// Stored as its code; a code that does not parse is a decode error.
#[cfg(feature = "ssr")]
mod sql {
    use super::Currency;
    use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;

    impl sqlx::Type<Any> for Currency {
        fn type_info() -> AnyTypeInfo {
            <String as sqlx::Type<Any>>::type_info()
        }
    }

    impl<'q> sqlx::Encode<'q, Any> for Currency {
        fn encode_by_ref(
            &self,
            buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
        ) -> Result<IsNull, BoxDynError> {
            <String as sqlx::Encode<'q, Any>>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> sqlx::Decode<'r, Any> for Currency {
        fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
            let code = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
            Ok(Currency::parse(code)?)
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of money in the currency's minor unit (cents for USD, yen for JPY).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Reads an amount typed by a person in major units (`12`, `12.5`, `12.50`, `1,200.00`)
    /// into minor units, without floats. More fractional digits than the currency has is an error.
    pub fn parse_major(text: &str, currency: &Currency) -> Result<Money, MoneyError> {
        let bad = || MoneyError::BadAmount(text.trim().to_string());
        let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
        let exp = currency.exponent() as usize;
        if whole.is_empty() && fraction.is_empty() {
            return Err(bad());
        }
        if !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
            || fraction.len() > exp
        {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let fraction: i64 = format!("{fraction:0<exp$}").parse().unwrap_or(0);
        let minor = whole
            .checked_mul(10i64.pow(exp as u32))
            .and_then(|m| m.checked_add(fraction))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency.clone()))
    }

    /// The amount in major units for a form field: `12.50`, `1200` (no symbol, no grouping).
    pub fn to_major_string(&self) -> String {
        let exp = self.currency.exponent();
        if exp == 0 {
            return self.minor.to_string();
        }
        let div = 10i64.pow(exp);
        format!(
            "{}.{:0width$}",
            self.minor / div,
            (self.minor % div).abs(),
            width = exp as usize
        )
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.to_string(),
                other.currency.to_string(),
            ));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency.clone()))
    }

    pub fn checked_mul(&self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency.clone()))
    }
}

/// Formats for people: `$1,234.50`, `¥1,200`, `CHF 12.00`, `-$3.00`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let divisor = 10u64.pow(exp);
        let abs = self.minor.unsigned_abs();
        let (major, fraction) = (abs / divisor, abs % divisor);
        let sign = if self.minor < 0 { "-" } else { "" };
        let major = group_thousands(major);
        let number = if exp == 0 {
            major
        } else {
            format!("{major}.{fraction:0width$}", width = exp as usize)
        };
        match self.currency.symbol() {
            Some(symbol) => write!(f, "{sign}{symbol}{number}"),
            None => write!(f, "{sign}{} {number}", self.currency),
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn two_decimal_currencies_show_cents() {
        assert_eq!(money(0, "USD").to_string(), "$0.00");
        assert_eq!(money(5, "USD").to_string(), "$0.05");
        assert_eq!(money(1850, "USD").to_string(), "$18.50");
        assert_eq!(money(123_456_789, "usd").to_string(), "$1,234,567.89");
        assert_eq!(money(1999, "EUR").to_string(), "€19.99");
        assert_eq!(money(100_000, "CHF").to_string(), "CHF 1,000.00");
    }

    #[test]
    fn zero_decimal_currencies_have_no_fraction() {
        assert_eq!(money(1200, "JPY").to_string(), "¥1,200");
        assert_eq!(money(50, "jpy").to_string(), "¥50");
        assert_eq!(money(15000, "KRW").to_string(), "₩15,000");
        assert_eq!(money(990, "XOF").to_string(), "XOF 990");
    }

    #[test]
    fn three_decimal_currencies_show_three_digits() {
        assert_eq!(money(1500, "KWD").to_string(), "KWD 1.500");
    }

    #[test]
    fn negative_amounts_put_the_sign_first() {
        assert_eq!(money(-300, "USD").to_string(), "-$3.00");
    }

    #[test]
    fn currency_codes_are_validated_and_normalised() {
        assert_eq!(Currency::parse(" usd ").unwrap().code(), "USD");
        assert_eq!(Currency::parse("usd").unwrap().stripe_code(), "usd");
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        assert!(serde_json::from_str::<Currency>("\"dollars\"").is_err());
    }

    #[test]
    fn typed_amounts_become_minor_units_without_floats() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_major("12.50", &usd).unwrap().minor, 1250);
        assert_eq!(Money::parse_major("12.5", &usd).unwrap().minor, 1250);
        assert_eq!(Money::parse_major(" 1,200 ", &usd).unwrap().minor, 120_000);
        assert_eq!(Money::parse_major(".99", &usd).unwrap().minor, 99);
        assert_eq!(Money::parse_major("1200", &jpy).unwrap().minor, 1200);
        for bad in ["", "12.345", "-1", "1e3", "12.5.0", "abc", "."] {
            assert!(Money::parse_major(bad, &usd).is_err(), "{bad}");
        }
        assert!(Money::parse_major("12.5", &jpy).is_err());
        assert_eq!(Money::new(1250, usd.clone()).to_major_string(), "12.50");
        assert_eq!(Money::new(1200, jpy).to_major_string(), "1200");
    }

    #[test]
    fn minimum_charges_follow_stripe() {
        assert_eq!(Currency::parse("usd").unwrap().minimum_charge(), 50);
        assert_eq!(Currency::parse("GBP").unwrap().minimum_charge(), 30);
        assert_eq!(Currency::parse("JPY").unwrap().minimum_charge(), 50);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(
            money(150, "USD").checked_add(&money(275, "USD")).unwrap(),
            money(425, "USD")
        );
        assert!(matches!(
            money(1, "USD").checked_add(&money(1, "EUR")),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            money(i64::MAX, "USD").checked_mul(2),
            Err(MoneyError::Overflow)
        );
    }
}
