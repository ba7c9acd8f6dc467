//! The app's `cart::check_requested` (the quantity a shopper asks for): accepted exactly from 1
//! to `MAX_LINE_QUANTITY`, and also as typed text (`i64` parsing first, as a form does).
#![no_main]

use checkout::domain::cart::{check_requested, MAX_LINE_QUANTITY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let n = i64::from_le_bytes(data[..8].try_into().unwrap());
        assert_eq!(check_requested(n).is_ok(), (1..=MAX_LINE_QUANTITY).contains(&n));
    }
    if let Some(n) = std::str::from_utf8(data).ok().and_then(|s| s.trim().parse::<i64>().ok()) {
        assert_eq!(check_requested(n).is_ok(), (1..=MAX_LINE_QUANTITY).contains(&n));
    }
});
