//! Property tests of the domain's parsers and money arithmetic: arbitrary input gets an answer,
//! never a panic, and what is accepted means what it says.

use super::cart::{check_quantity, check_requested, MAX_LINE_QUANTITY};
use super::email::Email;
use super::money::{Currency, Money};
use proptest::prelude::*;

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["USD", "EUR", "JPY", "KWD", "GBP"])
        .prop_map(|c| Currency::parse(c).unwrap())
}

proptest! {
    /// Any amount printed in major units reads back as the same minor units.
    #[test]
    fn major_units_round_trip(minor in 0i64..1_000_000_000_000, currency in currency()) {
        let money = Money::new(minor, currency.clone());
        let text = money.to_major_string();
        prop_assert_eq!(Money::parse_major(&text, &currency), Ok(money));
    }

    /// Any text typed as an amount: an amount or an error, never a panic or a negative.
    #[test]
    fn typed_amounts_never_panic(text in ".{0,40}", currency in currency()) {
        if let Ok(money) = Money::parse_major(&text, &currency) {
            prop_assert!(money.minor >= 0);
        }
    }

    /// Adding and multiplying fail on overflow instead of wrapping.
    #[test]
    fn arithmetic_never_wraps(a in any::<i64>(), b in any::<i64>(), q in any::<i64>()) {
        let usd = Currency::parse("USD").unwrap();
        let (x, y) = (Money::new(a, usd.clone()), Money::new(b, usd));
        match x.checked_add(&y) {
            Ok(sum) => prop_assert_eq!(Some(sum.minor), a.checked_add(b)),
            Err(_) => prop_assert!(a.checked_add(b).is_none()),
        }
        match x.checked_mul(q) {
            Ok(product) => prop_assert_eq!(Some(product.minor), a.checked_mul(q)),
            Err(_) => prop_assert!(a.checked_mul(q).is_none() || q < 0),
        }
    }

    #[test]
    fn currency_codes_are_three_letters(text in ".{0,8}") {
        if let Ok(c) = Currency::parse(&text) {
            prop_assert_eq!(c.code().len(), 3);
            prop_assert!(c.code().chars().all(|ch| ch.is_ascii_uppercase()));
        }
    }

    /// Accepted quantities are within the line's limits; nothing else is.
    #[test]
    fn quantities_within_limits(quantity in any::<i64>(), stock in any::<i64>()) {
        prop_assert_eq!(check_requested(quantity).is_ok(), (1..=MAX_LINE_QUANTITY).contains(&quantity));
        if check_quantity(quantity, stock).is_ok() {
            prop_assert!(quantity >= 1 && quantity <= stock && quantity <= MAX_LINE_QUANTITY);
        }
    }

    /// Any text as an email: an answer, never a panic; an accepted one has one `@` with text
    /// on both sides and no spaces.
    #[test]
    fn emails_never_panic(text in ".{0,80}") {
        if let Ok(email) = Email::parse(&text) {
            let e = email.as_str();
            let (local, domain) = e.rsplit_once('@').unwrap();
            prop_assert!(!local.is_empty() && !domain.is_empty());
            prop_assert!(!e.chars().any(char::is_whitespace));
        }
    }
}
