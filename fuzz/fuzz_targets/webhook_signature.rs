//! The app's `Stripe-Signature` verifier (`checkout::server::stripe::signature::verify`, feature
//! `ssr`). Two shapes of input: any header against any payload (never panics, never accepts
//! without the secret), and headers signed with the secret at any timestamp and clock (a
//! signed header is accepted exactly when it is not older than the tolerance).
#![no_main]

use checkout::server::stripe::signature::{verify, SignatureError, TOLERANCE_SECONDS};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz_secret";

fuzz_target!(|input: (bool, i64, i64, String, Vec<u8>)| {
    let (signed, t, now, header, payload) = input;
    if signed {
        // A genuine signature for `t`, with whatever else the fuzzer adds around it.
        let v1 = stripe_sim::webhooks::sign(SECRET, t, &payload);
        let full = format!("t={t},v1={v1}{header}");
        let result = verify(&full, &payload, &[SECRET], now);
        if let Ok(at) = result {
            assert_eq!(at, t);
        }
        if !header.contains(',') && !header.is_empty() {
            return;
        }
        if header.is_empty() {
            // The exact header: only the age can refuse it (computed without overflow; a
            // timestamp ahead of the clock is not too old, as in Stripe's libraries).
            let fresh = i128::from(now) - i128::from(t) <= i128::from(TOLERANCE_SECONDS);
            match result {
                Ok(_) => assert!(fresh),
                Err(SignatureError::TooOld) => assert!(!fresh),
                Err(e) => panic!("a genuine header refused: {e:?}"),
            }
        }
    } else {
        let result = verify(&header, &payload, &[SECRET], now);
        assert!(result.is_err(), "accepted without the secret: {header:?}");
    }
});
