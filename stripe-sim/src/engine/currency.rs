//! Currencies: which ones exist, their decimals and minimum charge amounts
//! (https://docs.stripe.com/currencies).

use crate::model::ApiError;

const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];
const MINIMUMS: &[(&str, i64)] = &[
    ("usd", 50),
    ("eur", 50),
    ("gbp", 30),
    ("aud", 50),
    ("cad", 50),
    ("chf", 50),
    ("nzd", 50),
    ("sgd", 50),
    ("brl", 50),
    ("inr", 50),
    ("jpy", 50),
    ("hkd", 400),
    ("aed", 200),
    ("pln", 200),
    ("ron", 200),
    ("myr", 200),
    ("bgn", 100),
    ("dkk", 250),
    ("nok", 300),
    ("sek", 300),
    ("czk", 1500),
    ("mxn", 1000),
    ("thb", 1000),
    ("huf", 17500),
];

pub fn format_amount(amount: i64, currency: &str) -> String {
    let symbol = match currency {
        "usd" | "aud" | "cad" | "nzd" | "sgd" | "hkd" | "mxn" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        _ => "",
    };
    let digits = if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    };
    let number = if digits == 0 {
        amount.to_string()
    } else {
        let div = 10i64.pow(digits);
        format!(
            "{}.{:0width$}",
            amount / div,
            (amount % div).abs(),
            width = digits as usize
        )
    };
    if symbol.is_empty() {
        format!("{number} {}", currency.to_uppercase())
    } else {
        format!("{symbol}{number}")
    }
}

pub(super) fn check_amount(amount: i64, currency: &str) -> Result<(), ApiError> {
    if amount < 1 {
        return Err(
            ApiError::invalid("This value must be greater than or equal to 1.").param("amount"),
        );
    }
    if amount > 99_999_999 {
        return Err(ApiError::invalid(format!(
            "Amount must be no more than {}",
            format_amount(99_999_999, currency)
        ))
        .code("amount_too_large")
        .param("amount"));
    }
    let minimum = MINIMUMS
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, m)| *m)
        .unwrap_or(50);
    if amount < minimum {
        return Err(ApiError::invalid(format!(
            "Amount must be at least {} {currency}",
            format_amount(minimum, currency)
        ))
        .code("amount_too_small")
        .param("amount"));
    }
    if THREE_DECIMAL.contains(&currency) && amount % 10 != 0 {
        return Err(ApiError::invalid(format!(
            "Amounts in {} must be a multiple of 10 (the last digit must be 0).",
            currency.to_uppercase()
        ))
        .code("invalid_amount")
        .param("amount"));
    }
    Ok(())
}

pub(super) fn check_currency(raw: &str) -> Result<String, ApiError> {
    let currency = raw.to_ascii_lowercase();
    let known = ZERO_DECIMAL.contains(&currency.as_str())
        || THREE_DECIMAL.contains(&currency.as_str())
        || MINIMUMS.iter().any(|(c, _)| *c == currency);
    if known {
        Ok(currency)
    } else {
        Err(ApiError::invalid(format!("Invalid currency: {raw}. Stripe currently supports these currencies: usd, eur, gbp, jpy, …"))
            .param("currency"))
    }
}
