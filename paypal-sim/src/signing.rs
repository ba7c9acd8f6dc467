//! Webhook signatures as PayPal makes them, with the simulator's own key.
//!
//! PayPal signs `"{transmission_id}|{transmission_time}|{webhook_id}|{crc32}"` (the CRC-32 of the
//! raw body as an unsigned decimal) with SHA256withRSA and serves the certificate at
//! `PAYPAL-CERT-URL` (https://developer.paypal.com/api/rest/webhooks/rest/, "Self-verification
//! method"). The simulator signs with a fixed RSA-2048 test key, committed in `assets/` and
//! public: its self-signed certificate (`CN=messageverificationcerts.paypal-sim.local`) must never
//! be trusted outside tests.

use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::sync::OnceLock;

/// The simulator's self-signed certificate (PEM), served at `/v1/notifications/certs/{CERT_ID}`.
pub const CERT_PEM: &str = include_str!("../assets/sim-webhook-signing-cert.pem");
/// The public key in [`CERT_PEM`] (PEM, SubjectPublicKeyInfo).
pub const PUBLIC_KEY_PEM: &str = include_str!("../assets/sim-webhook-signing-pubkey.pem");
/// The simulator's private signing key: a public test key, never a secret.
const PRIVATE_KEY_PEM: &str = include_str!("../assets/sim-webhook-signing-key.pem");
/// The id in the simulator's `PAYPAL-CERT-URL`, shaped like PayPal's (`CERT-360caa42-fca2a594-1a5f47cb`).
pub const CERT_ID: &str = "CERT-5e1f0c4a-7e57c3e7-51a1a7e5";
/// `PAYPAL-AUTH-ALGO`.
pub const AUTH_ALGO: &str = "SHA256withRSA";

fn private_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY_PEM).expect("the committed test key parses")
    })
}

fn public_key() -> &'static RsaPublicKey {
    static KEY: OnceLock<RsaPublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPublicKey::from_public_key_pem(PUBLIC_KEY_PEM).expect("the committed public key parses")
    })
}

/// CRC-32 (IEEE, as `java.util.zip.CRC32`) of the raw body.
pub fn crc32(body: &[u8]) -> u32 {
    crc32fast::hash(body)
}

/// The signed message: `transmission_id|transmission_time|webhook_id|crc32(body)`.
pub fn message(
    transmission_id: &str,
    transmission_time: &str,
    webhook_id: &str,
    body: &[u8],
) -> String {
    format!(
        "{transmission_id}|{transmission_time}|{webhook_id}|{}",
        crc32(body)
    )
}

/// Base64 RSASSA-PKCS1-v1_5 / SHA-256 signature of `message` (`PAYPAL-TRANSMISSION-SIG`).
pub fn sign(message: &str) -> String {
    let key = SigningKey::<Sha256>::new(private_key().clone());
    let signature = key.sign(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
}

/// Whether `signature` (base64) is the simulator's signature of `message`.
pub fn verify(message: &str, signature: &str) -> bool {
    verify_with(public_key(), message, signature)
}

/// Whether `signature` (base64) is a SHA256withRSA signature of `message` by the key in
/// `public_key_pem` (SubjectPublicKeyInfo PEM).
pub fn verify_with_pem(public_key_pem: &str, message: &str, signature: &str) -> bool {
    RsaPublicKey::from_public_key_pem(public_key_pem)
        .is_ok_and(|key| verify_with(&key, message, signature))
}

fn verify_with(key: &RsaPublicKey, message: &str, signature: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message.as_bytes(), &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PayPal's own vector (PayPal-Java-SDK `ValidateCertTest`): the body's CRC-32 and the
    /// message it signed.
    #[test]
    fn paypal_test_vector_message() {
        let body = include_str!("../tests/fixtures/paypal-vector-body.json");
        assert_eq!(body.len(), 1636);
        assert_eq!(crc32(body.as_bytes()), 3_494_065_244);
        assert_eq!(
            message(
                "071f7d20-1584-11e7-abf0-6b62a8a99ac4",
                "2017-03-30T20:04:05Z",
                "96605875FF6516633",
                body.as_bytes()
            ),
            "071f7d20-1584-11e7-abf0-6b62a8a99ac4|2017-03-30T20:04:05Z|96605875FF6516633|3494065244"
        );
    }

    /// The whole vector: PayPal's signature verifies with the public key of PayPal's
    /// certificate from that test (`CN=messageverificationcerts.sandbox.paypal.com`, expired
    /// 2019, so no date check), over the message this module builds.
    #[test]
    fn paypal_test_vector_signature() {
        let body = include_str!("../tests/fixtures/paypal-vector-body.json");
        let m = message(
            "071f7d20-1584-11e7-abf0-6b62a8a99ac4",
            "2017-03-30T20:04:05Z",
            "96605875FF6516633",
            body.as_bytes(),
        );
        let key = include_str!("../tests/fixtures/paypal-vector-pubkey.pem");
        let sig = include_str!("../tests/fixtures/paypal-vector-sig.txt");
        assert!(verify_with_pem(key, &m, sig));
        assert!(!verify_with_pem(
            key,
            &m.replace("96605875FF6516633", "96605875FF6516634"),
            sig
        ));
        assert!(!verify(&m, sig), "not the simulator's key");
    }

    #[test]
    fn signs_and_verifies() {
        let m = message("id", "2026-01-01T00:00:00Z", "WH1", b"{}");
        let sig = sign(&m);
        assert_eq!(sig.len(), 344);
        assert!(verify(&m, &sig));
        assert!(!verify(&format!("{m}x"), &sig));
        assert!(!verify(&m, "not base64!"));
    }
}
