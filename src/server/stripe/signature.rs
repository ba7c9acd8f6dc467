//! Verifying `Stripe-Signature` (https://docs.stripe.com/webhooks#verify-manually): `t=…,v1=…[,v1=…][,v0=…]`; HMAC-SHA256 keyed by
//! the whole `whsec_` secret over `"{t}.{raw body}"`; any `v1` under any configured secret
//! matches (rotation); other schemes are ignored; constant-time comparison; 300 s tolerance.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECONDS: i64 = 300;
/// Stripe's header is well under 1 KiB (a timestamp and one or two signatures while a secret
/// rolls); anything much longer is refused before any work.
pub const MAX_HEADER_BYTES: usize = 4096;
/// At most this many `v1` entries are looked at (two during a rotation, with room to spare).
pub const MAX_SIGNATURES: usize = 8;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Unable to extract timestamp and signatures from header")]
    Malformed,
    #[error("No signatures found with expected scheme")]
    NoV1,
    #[error("No signatures found matching the expected signature for payload")]
    NoMatch,
    #[error("Timestamp outside the tolerance zone")]
    TooOld,
}

/// Checks `header` for `payload` against each secret; `now` in unix seconds.
///
/// The cost of a refusal is bounded by the header's size, not by what an attacker puts in it:
/// the header is parsed and checked (length, entry count, 64 hex digits per `v1`, timestamp
/// tolerance) before any MAC is computed, and then the MAC is computed once per secret and
/// compared with each candidate in constant time.
pub fn verify(
    header: &str,
    payload: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<i64, SignatureError> {
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures: Vec<[u8; 32]> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            "v1" => {
                if signatures.len() == MAX_SIGNATURES {
                    return Err(SignatureError::Malformed);
                }
                let mut signature = [0u8; 32];
                hex::decode_to_slice(value, &mut signature)
                    .map_err(|_| SignatureError::Malformed)?;
                signatures.push(signature);
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoV1);
    }
    if now.saturating_sub(t) > TOLERANCE_SECONDS {
        return Err(SignatureError::TooOld);
    }
    let matched = secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        let expected = mac.finalize().into_bytes();
        signatures
            .iter()
            .any(|candidate| constant_time_eq(&expected, candidate))
    });
    if matched {
        Ok(t)
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_test_webhook","object":"event"}"#;
    const T: i64 = 1_700_000_000;
    const GOOD: &str =
        "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";

    // Vectors computed as Stripe documents the scheme (https://docs.stripe.com/webhooks#verify-manually).
    #[test]
    fn the_documented_vectors_verify() {
        assert_eq!(verify(GOOD, BODY, &["whsec_test_secret"], T), Ok(T));
        let pretty = b"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}";
        let header =
            "t=1700000000,v1=91acffc5fd9481359c7485a5ac4320ff27a55e89b69fe182c45a3a8782e61c39";
        assert_eq!(verify(header, pretty, &["whsec_test_secret"], T), Ok(T));
    }

    #[test]
    fn rotation_any_v1_under_any_secret() {
        let both = "t=1700000000,v1=e016b64cc4263f90e0336f3975e8d4ac9cc185935edc3ebdd405db64ad0bb1c5,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
        assert_eq!(verify(both, BODY, &["whsec_test_secret"], T), Ok(T));
        assert_eq!(verify(both, BODY, &["whsec_old_secret"], T), Ok(T));
        assert_eq!(
            verify(GOOD, BODY, &["whsec_new", "whsec_test_secret"], T),
            Ok(T)
        );
    }

    #[test]
    fn bad_signatures_are_rejected() {
        assert_eq!(
            verify("t=1700000000,v0=d95c6b74", BODY, &["whsec_test_secret"], T),
            Err(SignatureError::NoV1)
        );
        assert_eq!(
            verify("garbage", BODY, &["whsec_test_secret"], T),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("v1=abc", BODY, &["whsec_test_secret"], T),
            Err(SignatureError::Malformed)
        );
        // The prefix is part of the key.
        assert_eq!(
            verify(GOOD, BODY, &["test_secret"], T),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(GOOD, BODY, &["whsec_other"], T),
            Err(SignatureError::NoMatch)
        );
        // Entries that are not 64 hex digits, too many entries, an oversized header.
        let not_hex = format!("t=1700000000,v1=,{}", &GOOD[13..]);
        assert_eq!(
            verify(&not_hex, BODY, &["whsec_test_secret"], T),
            Err(SignatureError::Malformed)
        );
        let many = format!(
            "t=1700000000{}",
            format!(",v1={}", "0".repeat(64)).repeat(MAX_SIGNATURES + 1)
        );
        assert_eq!(
            verify(&many, BODY, &["whsec_test_secret"], T),
            Err(SignatureError::Malformed)
        );
        let long = format!("{GOOD},x={}", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(
            verify(&long, BODY, &["whsec_test_secret"], T),
            Err(SignatureError::Malformed)
        );
        // A tampered body.
        assert_eq!(
            verify(
                GOOD,
                br#"{"id":"evt_test_webhook","object":"event "}"#,
                &["whsec_test_secret"],
                T
            ),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(verify(GOOD, BODY, &[], T), Err(SignatureError::NoMatch));
    }

    #[test]
    fn tolerance_is_300_seconds() {
        assert_eq!(verify(GOOD, BODY, &["whsec_test_secret"], T + 300), Ok(T));
        assert_eq!(
            verify(GOOD, BODY, &["whsec_test_secret"], T + 301),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            verify(GOOD, BODY, &["whsec_test_secret"], T - 1000),
            Ok(T),
            "future timestamps pass, as in Stripe's libraries"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const T: i64 = 1_700_000_000;

    proptest! {
        /// Any header, any body: an answer, never a panic, and never a match without the secret.
        #[test]
        fn arbitrary_headers_never_verify_without_the_secret(header in ".{0,300}", body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let result = verify(&header, &body, &["whsec_test_secret"], T);
            prop_assert!(result.is_err());
        }

        /// A header signed with the secret verifies for its body and for no other.
        #[test]
        fn a_signature_holds_for_its_body_only(body in proptest::collection::vec(any::<u8>(), 0..200), flip in 0usize..200) {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_p").unwrap();
            mac.update(format!("{T}.").as_bytes());
            mac.update(&body);
            let header = format!("t={T},v1={}", hex::encode(mac.finalize().into_bytes()));
            prop_assert_eq!(verify(&header, &body, &["whsec_p"], T), Ok(T));
            if !body.is_empty() {
                let mut tampered = body.clone();
                let i = flip % tampered.len();
                tampered[i] ^= 1;
                prop_assert_eq!(verify(&header, &tampered, &["whsec_p"], T), Err(SignatureError::NoMatch));
            }
        }
    }
}
