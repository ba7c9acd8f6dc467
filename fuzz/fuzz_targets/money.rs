//! The app's money parsers: `Currency::parse` and `Money::parse_major` (amounts typed by an
//! admin). No panic; what is accepted is a non-negative amount that prints back the same way.
#![no_main]

use checkout::domain::money::{Currency, Money};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `CODE\namount`, or the whole input as an amount in a few fixed currencies.
    let mut currencies = vec![];
    let amount = match text.split_once('\n') {
        Some((code, amount)) => {
            if let Ok(c) = Currency::parse(code) {
                assert_eq!(c.code().len(), 3);
                assert!(c.code().chars().all(|ch| ch.is_ascii_uppercase()));
                currencies.push(c);
            }
            amount
        }
        None => text,
    };
    for code in ["USD", "JPY", "KWD"] {
        currencies.push(Currency::parse(code).unwrap());
    }
    for currency in &currencies {
        if let Ok(money) = Money::parse_major(amount, currency) {
            assert!(money.minor >= 0, "{amount:?} parsed to {}", money.minor);
            let printed = money.to_major_string();
            let again = Money::parse_major(&printed, currency).expect("a printed amount parses");
            assert_eq!(again.minor, money.minor, "{amount:?} → {printed:?}");
        }
    }
});
