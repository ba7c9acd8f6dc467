//! PayPal webhook self-verification (https://developer.paypal.com/api/rest/webhooks/rest/#link-selfverificationmethod):
//! the signed message is `{transmission id}|{transmission time}|{our webhook id}|{CRC-32 of the
//! raw body, in decimal}`, signed SHA256withRSA with the key of the certificate at
//! `PAYPAL-CERT-URL`. The certificate is fetched only from an allowed https prefix (PayPal's API
//! hosts), only once per URL (cached), and must name a `messageverificationcerts` host of PayPal
//! and be within its dates. Done here rather than with the verify-webhook-signature API so a
//! webhook costs no call to PayPal and the check does not depend on PayPal answering.

use axum::http::HeaderMap;
use base64::Engine;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use x509_cert::der::DecodePem;

/// Where certificates may come from, and what they must name.
#[derive(Clone, Debug)]
pub struct CertPolicy {
    /// URL prefixes a `PAYPAL-CERT-URL` must start with.
    pub url_prefixes: Vec<String>,
    /// The certificate's subject common name must end with one of these (and start with
    /// `messageverificationcerts`).
    pub name_suffixes: Vec<String>,
}

impl CertPolicy {
    /// PayPal's own hosts, live and sandbox.
    pub fn paypal() -> Self {
        CertPolicy {
            url_prefixes: vec![
                "https://api.paypal.com/v1/notifications/certs/".into(),
                "https://api.sandbox.paypal.com/v1/notifications/certs/".into(),
                "https://api-m.paypal.com/v1/notifications/certs/".into(),
                "https://api-m.sandbox.paypal.com/v1/notifications/certs/".into(),
            ],
            name_suffixes: vec![".paypal.com".into()],
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("header {0} missing")]
    MissingHeader(&'static str),
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    #[error("certificate URL not allowed")]
    CertUrl,
    #[error("certificate could not be fetched: {0}")]
    CertFetch(String),
    #[error("certificate refused: {0}")]
    Cert(String),
    #[error("signature does not match")]
    Signature,
}

pub struct Verifier {
    webhook_id: String,
    policy: CertPolicy,
    http: reqwest::Client,
    /// Public keys (PKCS#1 DER) of the certificates seen, by URL.
    keys: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// A certificate known in advance for URLs under a prefix (the embedded simulator's, which
    /// this process serves itself): never fetched.
    pinned: Option<(String, Arc<Vec<u8>>)>,
}

/// The message PayPal signs.
pub fn signed_message(transmission_id: &str, time: &str, webhook_id: &str, body: &[u8]) -> String {
    format!(
        "{transmission_id}|{time}|{webhook_id}|{}",
        crc32fast::hash(body)
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, VerifyError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingHeader(name))
}

impl Verifier {
    pub fn new(webhook_id: &str, policy: CertPolicy) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Verifier {
            webhook_id: webhook_id.to_string(),
            policy,
            http,
            keys: Mutex::default(),
            pinned: None,
        }
    }

    /// Trusts exactly `pem` for certificate URLs starting with `url_prefix`, and nothing else.
    pub fn pinned(
        webhook_id: &str,
        url_prefix: &str,
        pem: &str,
        policy: CertPolicy,
    ) -> Result<Self, VerifyError> {
        let key = public_key(pem, &policy, now())?;
        let mut verifier = Verifier::new(
            webhook_id,
            CertPolicy {
                url_prefixes: Vec::new(),
                ..policy
            },
        );
        verifier.pinned = Some((url_prefix.to_string(), Arc::new(key)));
        Ok(verifier)
    }

    /// The webhook id the signatures must name.
    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }

    pub async fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        let id = header(headers, "paypal-transmission-id")?;
        let time = header(headers, "paypal-transmission-time")?;
        let signature = header(headers, "paypal-transmission-sig")?;
        let cert_url = header(headers, "paypal-cert-url")?;
        let algorithm = header(headers, "paypal-auth-algo")?;
        if algorithm != "SHA256withRSA" {
            return Err(VerifyError::Algorithm(algorithm.chars().take(40).collect()));
        }
        let key = self.key_for(cert_url).await?;
        let message = signed_message(id, time, &self.webhook_id, body);
        check_signature(&key, message.as_bytes(), signature)
    }

    async fn key_for(&self, url: &str) -> Result<Arc<Vec<u8>>, VerifyError> {
        if let Some((prefix, key)) = &self.pinned {
            if url.starts_with(prefix.as_str()) && !url.contains("..") {
                return Ok(key.clone());
            }
        }
        let allowed = !url.contains("..")
            && !url.contains('@')
            && self
                .policy
                .url_prefixes
                .iter()
                .any(|prefix| url.starts_with(prefix.as_str()));
        if !allowed {
            return Err(VerifyError::CertUrl);
        }
        if let Some(key) = self.cached(url) {
            return Ok(key);
        }
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| VerifyError::CertFetch(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(VerifyError::CertFetch(response.status().to_string()));
        }
        let pem = response
            .text()
            .await
            .map_err(|e| VerifyError::CertFetch(e.without_url().to_string()))?;
        let key = Arc::new(public_key(&pem, &self.policy, now())?);
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(url.to_string(), key.clone());
        Ok(key)
    }

    fn cached(&self, url: &str) -> Option<Arc<Vec<u8>>> {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(url)
            .cloned()
    }
}

fn now() -> i64 {
    super::super::sync::now()
}

/// The certificate's RSA public key, if it names a PayPal message-verification host and is
/// valid at `at` (unix seconds; `None` skips the dates, for the old published test vector).
fn public_key(
    pem: &str,
    policy: &CertPolicy,
    at: impl Into<Option<i64>>,
) -> Result<Vec<u8>, VerifyError> {
    let cert = x509_cert::Certificate::from_pem(pem.trim().as_bytes())
        .map_err(|e| VerifyError::Cert(format!("not a certificate: {e}")))?;
    let tbs = &cert.tbs_certificate;
    let name = tbs
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3"))
        .find_map(|atv| {
            x509_cert::der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    x509_cert::der::asn1::PrintableStringRef::try_from(&atv.value)
                        .map(|s| s.as_str().to_string())
                })
                .ok()
        })
        .unwrap_or_default();
    let named_right = name.starts_with("messageverificationcerts")
        && policy
            .name_suffixes
            .iter()
            .any(|suffix| name.ends_with(suffix.as_str()));
    if !named_right {
        return Err(VerifyError::Cert(format!("issued to {name}")));
    }
    if let Some(at) = at.into() {
        let validity = &tbs.validity;
        let from = validity.not_before.to_unix_duration().as_secs() as i64;
        let until = validity.not_after.to_unix_duration().as_secs() as i64;
        if at < from || at > until {
            return Err(VerifyError::Cert("outside its dates".into()));
        }
    }
    Ok(tbs
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec())
}

fn check_signature(
    public_key: &[u8],
    message: &[u8],
    signature_b64: &str,
) -> Result<(), VerifyError> {
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature_b64)
        .map_err(|_| VerifyError::Signature)?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key,
    )
    .verify(message, &signature)
    .map_err(|_| VerifyError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    // PayPal's published self-verification vector (paypal/PayPal-Java-SDK,
    // ValidateCertTest.java): a sandbox certificate (expired 2019), an event body and its signature.
    const CERT: &str = include_str!("testdata/sandbox-cert.pem");
    const BODY: &[u8] = include_bytes!("testdata/webhook-body.json");
    const SIGNATURE: &str = include_str!("testdata/webhook-signature.txt");
    const WEBHOOK_ID: &str = "96605875FF6516633";
    const TRANSMISSION: &str = "071f7d20-1584-11e7-abf0-6b62a8a99ac4";
    const TIME: &str = "2017-03-30T20:04:05Z";

    fn key() -> Vec<u8> {
        public_key(CERT, &CertPolicy::paypal(), None).unwrap()
    }

    #[test]
    fn the_signed_message_is_paypals() {
        assert_eq!(
            signed_message(TRANSMISSION, TIME, WEBHOOK_ID, BODY),
            "071f7d20-1584-11e7-abf0-6b62a8a99ac4|2017-03-30T20:04:05Z|96605875FF6516633|3494065244"
        );
    }

    #[test]
    fn paypals_published_signature_verifies() {
        let message = signed_message(TRANSMISSION, TIME, WEBHOOK_ID, BODY);
        assert_eq!(
            check_signature(&key(), message.as_bytes(), SIGNATURE.trim()),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_or_another_webhook_id_does_not() {
        let mut body = BODY.to_vec();
        body[100] ^= 1;
        let tampered = signed_message(TRANSMISSION, TIME, WEBHOOK_ID, &body);
        assert_eq!(
            check_signature(&key(), tampered.as_bytes(), SIGNATURE.trim()),
            Err(VerifyError::Signature)
        );
        let other = signed_message(TRANSMISSION, TIME, "1JE4291016473214C", BODY);
        assert_eq!(
            check_signature(&key(), other.as_bytes(), SIGNATURE.trim()),
            Err(VerifyError::Signature)
        );
        assert_eq!(
            check_signature(&key(), b"x", "not base64!"),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn the_certificate_must_be_paypals_and_current() {
        let elsewhere = CertPolicy {
            url_prefixes: vec![],
            name_suffixes: vec![".example.com".into()],
        };
        assert!(matches!(
            public_key(CERT, &elsewhere, None),
            Err(VerifyError::Cert(_))
        ));
        // Expired in 2019.
        assert_eq!(
            public_key(CERT, &CertPolicy::paypal(), 1_700_000_000),
            Err(VerifyError::Cert("outside its dates".into()))
        );
        assert!(matches!(
            public_key("garbage", &CertPolicy::paypal(), None),
            Err(VerifyError::Cert(_))
        ));
    }

    #[tokio::test]
    async fn a_certificate_url_off_paypal_is_never_fetched() {
        let verifier = Verifier::new(WEBHOOK_ID, CertPolicy::paypal());
        for url in [
            "https://evil.example/v1/notifications/certs/CERT-1",
            "http://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com/v1/notifications/certs/../../evil",
        ] {
            assert_eq!(
                verifier.key_for(url).await,
                Err(VerifyError::CertUrl),
                "{url}"
            );
        }
    }
}
