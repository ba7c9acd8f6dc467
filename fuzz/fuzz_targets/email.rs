//! The app's `Email::parse` (the receipt address a shopper types): no panic; what is accepted
//! is trimmed, has an `@`, fits Stripe's limits and parses again to itself.
#![no_main]

use checkout::domain::email::Email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(email) = Email::parse(text) {
        let s = email.as_str();
        assert!(s.len() <= 254);
        assert!(s.contains('@'));
        assert_eq!(s, s.trim());
        assert_eq!(Email::parse(s).as_ref().map(Email::as_str), Ok(s));
    }
});
