//! The merchant's delivery and pricing settings as the admin forms type them: shipping zones and
//! rates, tax rates, discount codes. Pure: the forms' text comes in, a checked setting or an
//! error the merchant can act on comes out (nothing is stored until everything parsed). Also the
//! settings as the admin pages show them.
//!
//! Amounts are typed in major units of the shop's currency and read with
//! [`Money::parse_major`] (never floats). Percentages are read with integer arithmetic into
//! basis points (1 % = 100 bp): a percentage with more precision than a basis point ("8.875")
//! is refused with a message, never rounded, so what is stored is exactly what was typed.
//! Dates are `YYYY-MM-DD` in UTC: a code starts at 00:00 UTC of its start date and stops at
//! 00:00 UTC of its end date (the end date itself is not included).

use super::calendar::{day, parse_date};
use super::money::{Currency, Money};
use super::pricing::{DiscountKind, RateKind, TaxMode};
use serde::{Deserialize, Serialize};

/// The longest name a zone, a rate or a tax may have (the schema's limit too).
pub const MAX_NAME: usize = 80;
/// The largest amount a setting may hold, in major units (a typo guard, far above any postage).
pub const MAX_AMOUNT_MAJOR: i64 = 1_000_000;
/// The largest redemption limit.
pub const MAX_LIMIT: i64 = 1_000_000_000;
/// A discount code's length.
pub const CODE_LENGTH: std::ops::RangeInclusive<usize> = 3..=40;

/// Every assigned ISO 3166-1 alpha-2 code, plus XK (Kosovo, which carriers and Stripe use).
const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// Whether `code` (upper-case) is an ISO 3166-1 alpha-2 country code.
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && ISO_COUNTRIES.split(' ').any(|c| c == code)
}

/// Why a settings form was refused. The text is what the merchant reads (server functions
/// send it as text: the field names are `&'static str`, so this type stays on the server).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}: please fill this in.")]
    Empty(&'static str),
    #[error("{field}: at most {max} characters.")]
    TooLong { field: &'static str, max: usize },
    #[error("{0}: use letters, digits and ordinary punctuation only.")]
    ControlCharacters(&'static str),
    #[error("“{0}” is not a country code: use the two-letter ISO code, like US, CA or DE.")]
    BadCountry(String),
    #[error("“UK” is not an ISO country code: the United Kingdom is GB.")]
    UkIsGb,
    #[error("Region “{0}”: use the region's code of up to 3 letters or digits, like NY or QC, or leave it empty.")]
    BadRegion(String),
    #[error("{field}: “{text}” is not an amount like 12.50.")]
    BadAmount { field: &'static str, text: String },
    #[error("{0}: an amount cannot be negative.")]
    NegativeAmount(&'static str),
    #[error("{field}: at most {max}.")]
    AmountTooLarge { field: &'static str, max: Money },
    #[error("{0}: must be more than zero.")]
    ZeroAmount(&'static str),
    #[error("{field}: “{text}” is not a percentage like 19 or 8.25.")]
    BadPercent { field: &'static str, text: String },
    #[error("{field}: “{text}” has more than 2 decimals; percentages are kept to 2 decimals (like 8.88).")]
    PercentTooPrecise { field: &'static str, text: String },
    #[error("{field}: between {min}% and {max}%.")]
    PercentOutOfRange {
        field: &'static str,
        min: String,
        max: String,
    },
    #[error("“{0}” is not a kind of rate: choose flat, free over an amount, or by weight.")]
    BadRateKind(String),
    #[error("“{0}” is not a kind of discount: choose a percentage or a fixed amount.")]
    BadDiscountKind(String),
    #[error("Code “{0}”: use only letters A–Z, digits, - and _.")]
    BadCode(String),
    #[error("The code must be 3 to 40 characters long.")]
    CodeLength,
    #[error("{field}: “{text}” is not a date like 2026-12-31.")]
    BadDate { field: &'static str, text: String },
    #[error("The end date must be after the start date.")]
    EndBeforeStart,
    #[error(
        "{field}: “{text}” is not a whole number of at least 1 (leave it empty for no limit)."
    )]
    BadLimit { field: &'static str, text: String },
}

/// A name (zone, rate, tax): trimmed, not empty, at most [`MAX_NAME`] characters.
pub fn parse_name(text: &str, field: &'static str) -> Result<String, SettingsError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(SettingsError::Empty(field));
    }
    if name.chars().count() > MAX_NAME {
        return Err(SettingsError::TooLong {
            field,
            max: MAX_NAME,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(SettingsError::ControlCharacters(field));
    }
    Ok(name.to_string())
}

/// One country code, upper-cased: `ca` → `CA`.
pub fn parse_country(text: &str) -> Result<String, SettingsError> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(SettingsError::Empty("Country"));
    }
    if code == "UK" {
        return Err(SettingsError::UkIsGb);
    }
    if !is_country(&code) {
        return Err(SettingsError::BadCountry(text.trim().to_string()));
    }
    Ok(code)
}

/// A zone's countries as typed: codes separated by commas, spaces or semicolons (`US, ca MX`).
/// Upper-cased, each once, in the order typed. Empty is allowed: the zone ships nowhere yet.
pub fn parse_countries(text: &str) -> Result<Vec<String>, SettingsError> {
    let mut countries: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let code = parse_country(word)?;
        if !countries.contains(&code) {
            countries.push(code);
        }
    }
    Ok(countries)
}

/// A tax rate's region: empty (the whole country) or a code of up to 3 letters and digits.
pub fn parse_region(text: &str) -> Result<String, SettingsError> {
    let region = text.trim().to_ascii_uppercase();
    if region.len() > 3 || !region.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SettingsError::BadRegion(text.trim().to_string()));
    }
    Ok(region)
}

/// An amount typed in major units (`12.50`) → minor units, between 0 and [`MAX_AMOUNT_MAJOR`].
pub fn parse_amount(
    text: &str,
    currency: &Currency,
    field: &'static str,
) -> Result<i64, SettingsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SettingsError::Empty(field));
    }
    let max = Money::new(
        MAX_AMOUNT_MAJOR.saturating_mul(10i64.pow(currency.exponent())),
        currency.clone(),
    );
    if trimmed.starts_with('-') {
        return Err(SettingsError::NegativeAmount(field));
    }
    let whole_digits = trimmed
        .split('.')
        .next()
        .unwrap_or_default()
        .replace(',', "");
    if whole_digits.len() > 15 && whole_digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(SettingsError::AmountTooLarge { field, max });
    }
    match Money::parse_major(trimmed, currency) {
        Ok(money) if money.minor > max.minor => Err(SettingsError::AmountTooLarge { field, max }),
        Ok(money) => Ok(money.minor),
        Err(super::money::MoneyError::Overflow) => {
            Err(SettingsError::AmountTooLarge { field, max })
        }
        Err(_) => Err(SettingsError::BadAmount {
            field,
            text: trimmed.to_string(),
        }),
    }
}

/// Like [`parse_amount`], but empty means zero.
pub fn parse_amount_or_zero(
    text: &str,
    currency: &Currency,
    field: &'static str,
) -> Result<i64, SettingsError> {
    if text.trim().is_empty() {
        Ok(0)
    } else {
        parse_amount(text, currency, field)
    }
}

/// A percentage typed like `19`, `8.5`, `8.25` or `8.25 %` → basis points (1900, 850, 825),
/// with integer arithmetic. More than 2 decimals is refused (`8.875`), unless they are zeros
/// (`8.500` is exactly 850): a rate is stored exactly as typed, never rounded. The result is
/// between `min_bp` and `max_bp`.
pub fn parse_percent(
    text: &str,
    field: &'static str,
    min_bp: i64,
    max_bp: i64,
) -> Result<i64, SettingsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SettingsError::Empty(field));
    }
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim_end();
    let bad = || SettingsError::BadPercent {
        field,
        text: trimmed.to_string(),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let (kept, rest) = fraction.split_at(fraction.len().min(2));
    if rest.chars().any(|c| c != '0') {
        return Err(SettingsError::PercentTooPrecise {
            field,
            text: trimmed.to_string(),
        });
    }
    let out_of_range = || SettingsError::PercentOutOfRange {
        field,
        min: percent_text(min_bp),
        max: percent_text(max_bp),
    };
    // More than 5 digits before the point is out of range whatever they are (and cannot overflow).
    let whole = whole.trim_start_matches('0');
    if whole.len() > 5 {
        return Err(out_of_range());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let hundredths: i64 = format!("{kept:0<2}").parse().map_err(|_| bad())?;
    let bp = whole * 100 + hundredths;
    if !(min_bp..=max_bp).contains(&bp) {
        return Err(out_of_range());
    }
    Ok(bp)
}

/// Basis points as a percentage, the way [`parse_percent`] reads it back: 1900 → `19`,
/// 850 → `8.5`, 888 → `8.88`.
pub fn percent_text(bp: i64) -> String {
    let (whole, hundredths) = (bp / 100, (bp % 100).abs());
    if hundredths == 0 {
        whole.to_string()
    } else {
        let fraction = format!("{hundredths:02}");
        format!("{whole}.{}", fraction.trim_end_matches('0'))
    }
}

/// A date typed as `YYYY-MM-DD` (UTC), or nothing.
pub fn parse_optional_date(text: &str, field: &'static str) -> Result<Option<i64>, SettingsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    parse_date(trimmed)
        .map(Some)
        .ok_or_else(|| SettingsError::BadDate {
            field,
            text: trimmed.to_string(),
        })
}

/// A unix time at midnight UTC as the date field shows it: `2026-12-31`.
pub fn date_text(unix: i64) -> String {
    day(unix).split(' ').next().unwrap_or_default().to_string()
}

/// A limit: empty is none; otherwise a whole number from 1 to [`MAX_LIMIT`].
pub fn parse_limit(text: &str, field: &'static str) -> Result<Option<i64>, SettingsError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) && trimmed.chars().all(|c| c.is_ascii_digit()) => {
            Ok(Some(n))
        }
        _ => Err(SettingsError::BadLimit {
            field,
            text: trimmed.to_string(),
        }),
    }
}

/// A discount code: letters A–Z (any case, stored upper-case), digits, `-` and `_`, 3 to 40
/// characters.
pub fn parse_code(text: &str) -> Result<String, SettingsError> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(SettingsError::Empty("Code"));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(SettingsError::BadCode(text.trim().to_string()));
    }
    if !CODE_LENGTH.contains(&code.len()) {
        return Err(SettingsError::CodeLength);
    }
    Ok(code)
}

/// The shipping rate form as typed. `kind` is `flat`, `free_over` or `by_weight`; `amount` is
/// the price (the base price by weight), `free_over` the threshold, `per_kg` the price of each
/// started kilogram. Fields a kind does not use are ignored.
#[derive(Clone, Debug, Default)]
pub struct RateInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub amount: &'a str,
    pub free_over: &'a str,
    pub per_kg: &'a str,
}

/// A checked shipping rate, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateSetting {
    pub name: String,
    pub kind: RateKind,
}

pub fn parse_rate(
    input: &RateInput<'_>,
    currency: &Currency,
) -> Result<RateSetting, SettingsError> {
    let name = parse_name(input.name, "Rate name")?;
    let kind = match input.kind.trim() {
        "flat" => RateKind::Flat {
            amount: parse_amount(input.amount, currency, "Price")?,
        },
        "free_over" => {
            let amount = parse_amount(input.amount, currency, "Price")?;
            let threshold = parse_amount(input.free_over, currency, "Free from")?;
            if threshold == 0 {
                return Err(SettingsError::ZeroAmount("Free from"));
            }
            RateKind::FreeOver { amount, threshold }
        }
        "by_weight" => RateKind::ByWeight {
            base: parse_amount(input.amount, currency, "Price")?,
            per_kg: parse_amount(input.per_kg, currency, "Per kg")?,
        },
        other => return Err(SettingsError::BadRateKind(other.to_string())),
    };
    Ok(RateSetting { name, kind })
}

/// The stored name of a rate's kind (`shipping_rates.kind`).
pub fn rate_kind_name(kind: &RateKind) -> &'static str {
    match kind {
        RateKind::Flat { .. } => "flat",
        RateKind::FreeOver { .. } => "free_over",
        RateKind::ByWeight { .. } => "by_weight",
    }
}

/// The tax rate form as typed.
#[derive(Clone, Debug, Default)]
pub struct TaxInput<'a> {
    pub country: &'a str,
    pub region: &'a str,
    pub name: &'a str,
    /// A percentage: `19`, `8.25`.
    pub rate: &'a str,
    pub applies_to_shipping: bool,
}

/// A checked tax rate, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxSetting {
    pub country: String,
    pub region: String,
    pub name: String,
    pub rate_bp: i64,
    pub applies_to_shipping: bool,
}

pub fn parse_tax(input: &TaxInput<'_>) -> Result<TaxSetting, SettingsError> {
    Ok(TaxSetting {
        country: parse_country(input.country)?,
        region: parse_region(input.region)?,
        name: parse_name(input.name, "Tax name")?,
        rate_bp: parse_percent(input.rate, "Rate", 0, 10_000)?,
        applies_to_shipping: input.applies_to_shipping,
    })
}

/// The discount code form as typed. `kind` is `percent` or `fixed`; the field the other kind
/// uses is ignored. Dates are `YYYY-MM-DD` (UTC); limits are whole numbers or empty (none).
#[derive(Clone, Debug, Default)]
pub struct DiscountInput<'a> {
    pub code: &'a str,
    pub kind: &'a str,
    pub percent: &'a str,
    pub amount: &'a str,
    pub min_subtotal: &'a str,
    pub starts: &'a str,
    pub ends: &'a str,
    pub max_redemptions: &'a str,
    pub per_email_limit: &'a str,
}

/// A checked discount code, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscountSetting {
    pub code: String,
    pub kind: DiscountKind,
    pub min_subtotal: i64,
    /// 00:00 UTC of the start date.
    pub starts_at: Option<i64>,
    /// 00:00 UTC of the end date: the code works until that moment.
    pub ends_at: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub per_email_limit: Option<i64>,
}

pub fn parse_discount(
    input: &DiscountInput<'_>,
    currency: &Currency,
) -> Result<DiscountSetting, SettingsError> {
    let code = parse_code(input.code)?;
    let kind = match input.kind.trim() {
        "percent" => DiscountKind::Percent {
            bp: parse_percent(input.percent, "Percent off", 100, 10_000)?,
        },
        "fixed" => {
            let amount = parse_amount(input.amount, currency, "Amount off")?;
            if amount == 0 {
                return Err(SettingsError::ZeroAmount("Amount off"));
            }
            DiscountKind::Fixed { amount }
        }
        other => return Err(SettingsError::BadDiscountKind(other.to_string())),
    };
    let min_subtotal = parse_amount_or_zero(input.min_subtotal, currency, "Minimum subtotal")?;
    let starts_at = parse_optional_date(input.starts, "Start date")?;
    let ends_at = parse_optional_date(input.ends, "End date")?;
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            return Err(SettingsError::EndBeforeStart);
        }
    }
    Ok(DiscountSetting {
        code,
        kind,
        min_subtotal,
        starts_at,
        ends_at,
        max_redemptions: parse_limit(input.max_redemptions, "Total uses")?,
        per_email_limit: parse_limit(input.per_email_limit, "Uses per email")?,
    })
}

/// The stored name of a discount's kind (`discount_codes.kind`).
pub fn discount_kind_name(kind: &DiscountKind) -> &'static str {
    match kind {
        DiscountKind::Percent { .. } => "percent",
        DiscountKind::Fixed { .. } => "fixed",
    }
}

// What the admin pages show.

/// `/admin/shipping`: every zone with its countries and rates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingSettings {
    pub currency: Currency,
    pub zones: Vec<ZoneView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneView {
    pub id: i64,
    pub name: String,
    /// Sorted.
    pub countries: Vec<String>,
    pub rates: Vec<RateView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateView {
    pub id: i64,
    pub zone_id: i64,
    pub name: String,
    pub kind: RateKind,
    pub active: bool,
}

/// `/admin/taxes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSettings {
    /// Whether catalog prices include tax (the shop's `TAX_MODE`).
    pub tax_mode: TaxMode,
    pub rates: Vec<TaxRateView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateView {
    pub id: i64,
    pub country: String,
    /// Empty: the whole country.
    pub region: String,
    pub name: String,
    pub rate_bp: i64,
    pub applies_to_shipping: bool,
}

/// `/admin/discounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountSettings {
    pub currency: Currency,
    pub codes: Vec<DiscountView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountView {
    pub id: i64,
    pub code: String,
    pub kind: DiscountKind,
    pub min_subtotal: i64,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub per_email_limit: Option<i64>,
    pub active: bool,
    /// Redemptions with an open order.
    pub held: i64,
    /// Redemptions with a paid order.
    pub taken: i64,
}

impl DiscountView {
    /// "3 of 100 used (1 held)", "3 used (no limit)".
    pub fn usage(&self) -> String {
        let used = self.held + self.taken;
        let held = if self.held > 0 {
            format!(" ({} held by open orders)", self.held)
        } else {
            String::new()
        };
        match self.max_redemptions {
            Some(limit) => format!("{used} of {limit} used{held}"),
            None => format!("{used} used, no limit{held}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            parse_name("  North America ", "Zone name").unwrap(),
            "North America"
        );
        assert_eq!(
            parse_name(&"é".repeat(80), "Zone name").unwrap(),
            "é".repeat(80)
        );
        assert_eq!(
            parse_name("   ", "Zone name"),
            Err(SettingsError::Empty("Zone name"))
        );
        assert_eq!(
            parse_name(&"x".repeat(81), "Zone name"),
            Err(SettingsError::TooLong {
                field: "Zone name",
                max: 80
            })
        );
        assert!(parse_name("a\u{0}b", "Zone name").is_err());
        assert_eq!(
            parse_name("", "Rate name").unwrap_err().to_string(),
            "Rate name: please fill this in."
        );
    }

    #[test]
    fn countries_are_iso_codes_upper_cased_once_each() {
        assert_eq!(parse_country(" ca ").unwrap(), "CA");
        assert_eq!(
            parse_countries("us, ca;mx  US\nDE").unwrap(),
            ["US", "CA", "MX", "DE"]
        );
        assert_eq!(parse_countries("  ").unwrap(), Vec::<String>::new());
        assert_eq!(parse_countries("US, UK"), Err(SettingsError::UkIsGb));
        assert_eq!(
            parse_countries("US, XX"),
            Err(SettingsError::BadCountry("XX".into()))
        );
        for bad in ["USA", "U", "1A", "Canada", "C-"] {
            assert!(parse_country(bad).is_err(), "{bad}");
        }
        assert!(is_country("XK") && is_country("ZW") && is_country("AD"));
        assert_eq!(ISO_COUNTRIES.split(' ').count(), 250);
        assert!(ISO_COUNTRIES.split(' ').all(|c| c.len() == 2));
        assert_eq!(
            parse_country("XX").unwrap_err().to_string(),
            "“XX” is not a country code: use the two-letter ISO code, like US, CA or DE."
        );
    }

    #[test]
    fn regions_are_short_codes_or_empty() {
        assert_eq!(parse_region("").unwrap(), "");
        assert_eq!(parse_region(" ny ").unwrap(), "NY");
        assert_eq!(parse_region("qc").unwrap(), "QC");
        assert_eq!(parse_region("B01").unwrap(), "B01");
        for bad in ["NEWY", "N Y", "N-Y", "é"] {
            assert!(parse_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_major_units_exactly() {
        let usd = usd();
        assert_eq!(parse_amount("5.95", &usd, "Price").unwrap(), 595);
        assert_eq!(parse_amount(" 75 ", &usd, "Price").unwrap(), 7500);
        assert_eq!(parse_amount("0", &usd, "Price").unwrap(), 0);
        assert_eq!(
            parse_amount("1,000,000", &usd, "Price").unwrap(),
            100_000_000
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_amount("800", &jpy, "Price").unwrap(), 800);
        assert!(parse_amount("8.5", &jpy, "Price").is_err());
        assert_eq!(
            parse_amount("-1", &usd, "Price"),
            Err(SettingsError::NegativeAmount("Price"))
        );
        assert_eq!(
            parse_amount("", &usd, "Price"),
            Err(SettingsError::Empty("Price"))
        );
        assert!(matches!(
            parse_amount("1000000.01", &usd, "Price"),
            Err(SettingsError::AmountTooLarge { .. })
        ));
        assert!(matches!(
            parse_amount("99999999999999999999", &usd, "Price"),
            Err(SettingsError::AmountTooLarge { .. })
        ));
        for bad in ["12.345", "1e3", "abc", "12.5.0", "$5", "5 USD"] {
            assert!(
                matches!(
                    parse_amount(bad, &usd, "Price"),
                    Err(SettingsError::BadAmount { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            parse_amount("abc", &usd, "Price").unwrap_err().to_string(),
            "Price: “abc” is not an amount like 12.50."
        );
        assert_eq!(
            parse_amount("2000000", &usd, "Price")
                .unwrap_err()
                .to_string(),
            "Price: at most $1,000,000.00."
        );
        assert_eq!(parse_amount_or_zero(" ", &usd, "Minimum").unwrap(), 0);
        assert_eq!(parse_amount_or_zero("20", &usd, "Minimum").unwrap(), 2000);
    }

    #[test]
    fn percentages_become_exact_basis_points() {
        let p = |t: &str| parse_percent(t, "Rate", 0, 10_000);
        assert_eq!(p("19"), Ok(1900));
        assert_eq!(p("8.5"), Ok(850));
        assert_eq!(p("8.25"), Ok(825));
        assert_eq!(p("8.88 %"), Ok(888));
        assert_eq!(p("8.500"), Ok(850));
        assert_eq!(p(".5"), Ok(50));
        assert_eq!(p("7."), Ok(700));
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("100"), Ok(10_000));
        assert_eq!(p("0019.00"), Ok(1900));
        // A basis point is the finest step: 8.875 % is refused, never rounded.
        assert!(matches!(
            p("8.875"),
            Err(SettingsError::PercentTooPrecise { .. })
        ));
        assert_eq!(
            p("8.875").unwrap_err().to_string(),
            "Rate: “8.875” has more than 2 decimals; percentages are kept to 2 decimals (like 8.88)."
        );
        assert!(matches!(
            p("100.01"),
            Err(SettingsError::PercentOutOfRange { .. })
        ));
        assert!(matches!(
            p("99999999999999999999"),
            Err(SettingsError::PercentOutOfRange { .. })
        ));
        for bad in ["", "-5", "8,5", "abc", ".", "1e2", "5%%", "+5"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let discount = |t: &str| parse_percent(t, "Percent off", 100, 10_000);
        assert_eq!(discount("1"), Ok(100));
        assert_eq!(discount("12.5"), Ok(1250));
        assert_eq!(
            discount("0.5").unwrap_err().to_string(),
            "Percent off: between 1% and 100%."
        );
    }

    #[test]
    fn basis_points_print_back_as_typed() {
        assert_eq!(percent_text(1900), "19");
        assert_eq!(percent_text(850), "8.5");
        assert_eq!(percent_text(888), "8.88");
        assert_eq!(percent_text(5), "0.05");
        assert_eq!(percent_text(0), "0");
        for bp in [0, 1, 10, 99, 100, 825, 1999, 10_000] {
            assert_eq!(parse_percent(&percent_text(bp), "Rate", 0, 10_000), Ok(bp));
        }
    }

    #[test]
    fn rates_of_each_kind() {
        let usd = usd();
        let flat = RateInput {
            name: "Standard",
            kind: "flat",
            amount: "8",
            ..Default::default()
        };
        assert_eq!(
            parse_rate(&flat, &usd).unwrap(),
            RateSetting {
                name: "Standard".into(),
                kind: RateKind::Flat { amount: 800 }
            }
        );
        let free = RateInput {
            name: "Standard",
            kind: "free_over",
            amount: "5.95",
            free_over: "75",
            per_kg: "ignored",
        };
        assert_eq!(
            parse_rate(&free, &usd).unwrap().kind,
            RateKind::FreeOver {
                amount: 595,
                threshold: 7500
            }
        );
        let weight = RateInput {
            name: "Express",
            kind: "by_weight",
            amount: "12",
            per_kg: "3.00",
            ..Default::default()
        };
        assert_eq!(
            parse_rate(&weight, &usd).unwrap().kind,
            RateKind::ByWeight {
                base: 1200,
                per_kg: 300
            }
        );
        assert_eq!(
            parse_rate(
                &RateInput {
                    free_over: "0",
                    ..free.clone()
                },
                &usd
            ),
            Err(SettingsError::ZeroAmount("Free from"))
        );
        assert_eq!(
            parse_rate(
                &RateInput {
                    free_over: "",
                    ..free
                },
                &usd
            ),
            Err(SettingsError::Empty("Free from"))
        );
        assert_eq!(
            parse_rate(
                &RateInput {
                    per_kg: "-1",
                    ..weight.clone()
                },
                &usd
            ),
            Err(SettingsError::NegativeAmount("Per kg"))
        );
        assert!(matches!(
            parse_rate(
                &RateInput {
                    kind: "pigeon",
                    ..weight.clone()
                },
                &usd
            ),
            Err(SettingsError::BadRateKind(_))
        ));
        assert!(parse_rate(&RateInput { name: "", ..weight }, &usd).is_err());
        assert_eq!(rate_kind_name(&RateKind::Flat { amount: 1 }), "flat");
    }

    #[test]
    fn tax_rates() {
        let vat = TaxInput {
            country: "de",
            region: "",
            name: "VAT",
            rate: "19",
            applies_to_shipping: true,
        };
        assert_eq!(
            parse_tax(&vat).unwrap(),
            TaxSetting {
                country: "DE".into(),
                region: "".into(),
                name: "VAT".into(),
                rate_bp: 1900,
                applies_to_shipping: true
            }
        );
        let ny = TaxInput {
            country: "US",
            region: "ny",
            name: "Sales tax",
            rate: "8.88",
            applies_to_shipping: false,
        };
        let parsed = parse_tax(&ny).unwrap();
        assert_eq!((parsed.region.as_str(), parsed.rate_bp), ("NY", 888));
        assert!(parse_tax(&TaxInput {
            rate: "8.875",
            ..ny.clone()
        })
        .is_err());
        assert!(parse_tax(&TaxInput {
            rate: "101",
            ..ny.clone()
        })
        .is_err());
        assert!(parse_tax(&TaxInput {
            country: "USA",
            ..ny.clone()
        })
        .is_err());
        assert!(parse_tax(&TaxInput {
            region: "NEWY",
            ..ny
        })
        .is_err());
    }

    #[test]
    fn codes_have_a_shape() {
        assert_eq!(parse_code(" summer-10 ").unwrap(), "SUMMER-10");
        assert_eq!(parse_code("ABC").unwrap(), "ABC");
        assert_eq!(parse_code("a_b").unwrap(), "A_B");
        assert_eq!(parse_code(&"x".repeat(40)).unwrap(), "X".repeat(40));
        assert_eq!(parse_code("AB"), Err(SettingsError::CodeLength));
        assert_eq!(parse_code(&"x".repeat(41)), Err(SettingsError::CodeLength));
        assert_eq!(parse_code(""), Err(SettingsError::Empty("Code")));
        for bad in ["SUMMER 10", "ÉTÉ10", "10%OFF", "a.b.c", "x/y"] {
            assert!(
                matches!(parse_code(bad), Err(SettingsError::BadCode(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_and_limits() {
        assert_eq!(parse_optional_date("", "Start date"), Ok(None));
        assert_eq!(
            parse_optional_date(" 2026-11-21 ", "Start date"),
            Ok(Some(1_795_219_200))
        );
        assert_eq!(date_text(1_795_219_200), "2026-11-21");
        for bad in ["2026-02-30", "21/11/2026", "2026-11-21T00:00", "tomorrow"] {
            assert!(parse_optional_date(bad, "Start date").is_err(), "{bad}");
        }
        assert_eq!(
            parse_optional_date("2026-02-30", "End date")
                .unwrap_err()
                .to_string(),
            "End date: “2026-02-30” is not a date like 2026-12-31."
        );
        assert_eq!(parse_limit("", "Total uses"), Ok(None));
        assert_eq!(parse_limit(" 100 ", "Total uses"), Ok(Some(100)));
        for bad in ["0", "-1", "1.5", "+3", "ten", "99999999999"] {
            assert!(parse_limit(bad, "Total uses").is_err(), "{bad}");
        }
    }

    #[test]
    fn discount_codes() {
        let usd = usd();
        let input = DiscountInput {
            code: "welcome10",
            kind: "percent",
            percent: "10",
            amount: "",
            min_subtotal: "20",
            starts: "2026-12-01",
            ends: "2027-01-01",
            max_redemptions: "100",
            per_email_limit: "1",
        };
        assert_eq!(
            parse_discount(&input, &usd).unwrap(),
            DiscountSetting {
                code: "WELCOME10".into(),
                kind: DiscountKind::Percent { bp: 1000 },
                min_subtotal: 2000,
                starts_at: parse_date("2026-12-01"),
                ends_at: parse_date("2027-01-01"),
                max_redemptions: Some(100),
                per_email_limit: Some(1),
            }
        );
        let fixed = DiscountInput {
            kind: "fixed",
            percent: "junk is ignored",
            amount: "5",
            min_subtotal: "",
            starts: "",
            ends: "",
            max_redemptions: "",
            per_email_limit: "",
            ..input.clone()
        };
        let parsed = parse_discount(&fixed, &usd).unwrap();
        assert_eq!(parsed.kind, DiscountKind::Fixed { amount: 500 });
        assert_eq!(
            (
                parsed.min_subtotal,
                parsed.starts_at,
                parsed.max_redemptions
            ),
            (0, None, None)
        );
        assert_eq!(
            parse_discount(
                &DiscountInput {
                    amount: "0",
                    ..fixed.clone()
                },
                &usd
            ),
            Err(SettingsError::ZeroAmount("Amount off"))
        );
        assert_eq!(
            parse_discount(
                &DiscountInput {
                    ends: "2026-12-01",
                    ..input.clone()
                },
                &usd
            ),
            Err(SettingsError::EndBeforeStart)
        );
        assert_eq!(
            parse_discount(
                &DiscountInput {
                    ends: "2026-11-30",
                    ..input.clone()
                },
                &usd
            ),
            Err(SettingsError::EndBeforeStart)
        );
        // Only an end, or only a start, is fine.
        assert!(parse_discount(
            &DiscountInput {
                starts: "",
                ..input.clone()
            },
            &usd
        )
        .is_ok());
        for bad in [
            DiscountInput {
                percent: "0",
                ..input.clone()
            },
            DiscountInput {
                percent: "101",
                ..input.clone()
            },
            DiscountInput {
                percent: "12.345",
                ..input.clone()
            },
            DiscountInput {
                kind: "bogo",
                ..input.clone()
            },
            DiscountInput {
                code: "no spaces",
                ..input.clone()
            },
            DiscountInput {
                min_subtotal: "-5",
                ..input.clone()
            },
            DiscountInput {
                starts: "2026-13-01",
                ..input.clone()
            },
            DiscountInput {
                max_redemptions: "0",
                ..input.clone()
            },
            DiscountInput {
                per_email_limit: "x",
                ..input.clone()
            },
        ] {
            assert!(parse_discount(&bad, &usd).is_err(), "{bad:?}");
        }
        assert_eq!(
            discount_kind_name(&DiscountKind::Fixed { amount: 1 }),
            "fixed"
        );
    }

    #[test]
    fn usage_reads_naturally() {
        let view = DiscountView {
            id: 1,
            code: "X10".into(),
            kind: DiscountKind::Percent { bp: 1000 },
            min_subtotal: 0,
            starts_at: None,
            ends_at: None,
            max_redemptions: Some(100),
            per_email_limit: None,
            active: true,
            held: 1,
            taken: 2,
        };
        assert_eq!(view.usage(), "3 of 100 used (1 held by open orders)");
        let unlimited = DiscountView {
            max_redemptions: None,
            held: 0,
            ..view
        };
        assert_eq!(unlimited.usage(), "2 used, no limit");
    }
}
