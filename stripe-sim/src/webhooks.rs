//! Signing and delivering webhooks exactly as Stripe does (FACTS §4): `Stripe-Signature:
//! t=…,v1=…`, HMAC-SHA256 keyed by the whole `whsec_` string over `"{t}.{raw body}"`, a fresh
//! `t` per attempt, retried with backoff until a 2xx.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Lower-case hex HMAC-SHA256 of `message` under `key`.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The `v1` signature of one delivery.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(payload);
    hmac_hex(secret.as_bytes(), &message)
}

/// The whole header: one `v1` per active secret (two while a secret is being rolled), and, as
/// Stripe does in test mode, a `v0` made with a secret nobody knows.
pub fn signature_header(secrets: &[String], timestamp: i64, payload: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, timestamp, payload));
    }
    header.push_str(",v0=");
    header.push_str(&sign("whsec_unpublished_v0_scheme", timestamp, payload));
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    // FACTS §4.2: stripe-node's official HMAC vectors (key `test_secret`).
    #[test]
    fn official_hmac_vectors() {
        assert_eq!(
            hmac_hex(b"test_secret", b""),
            "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd"
        );
        assert_eq!(
            hmac_hex(b"test_secret", br#"{"obj1":"hello","obj2":"world"}"#),
            "bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363"
        );
        assert_eq!(
            hmac_hex(b"test_secret", "\u{1F600}".as_bytes()),
            "837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43"
        );
    }

    // FACTS §4.2: full-header vectors.
    #[test]
    fn full_header_vectors() {
        let body = br#"{"id":"evt_test_webhook","object":"event"}"#;
        assert_eq!(
            sign("whsec_test_secret", 1_700_000_000, body),
            "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"
        );
        let pretty = b"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}";
        assert_eq!(
            sign("whsec_test_secret", 1_700_000_000, pretty),
            "91acffc5fd9481359c7485a5ac4320ff27a55e89b69fe182c45a3a8782e61c39"
        );
        assert_eq!(
            sign("whsec_old_secret", 1_700_000_000, body),
            "e016b64cc4263f90e0336f3975e8d4ac9cc185935edc3ebdd405db64ad0bb1c5"
        );
        // The key is the whole secret, prefix included.
        assert!(sign("test_secret", 1_700_000_000, body).starts_with("9a61facb"));
        let header = signature_header(
            &["whsec_test_secret".into(), "whsec_old_secret".into()],
            1_700_000_000,
            body,
        );
        assert!(header.starts_with("t=1700000000,v1=d95c6b74"));
        assert!(header.contains(",v1=e016b64c"));
        assert!(header.contains(",v0="));
    }
}
