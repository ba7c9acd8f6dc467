//! Signing and delivering webhooks exactly as Stripe does (https://docs.stripe.com/webhooks,
//! "Verify signatures manually" and "Retry behavior"): `Stripe-Signature: t=…,v1=…`,
//! HMAC-SHA256 keyed by the whole `whsec_` string over `"{t}.{raw body}"`, a fresh `t` per
//! attempt, retried with backoff until a 2xx.

use crate::api::Simulator;
use crate::engine::ObjectKind;
use axum::http::header;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::Serialize;
use sha2::Sha256;
use std::time::Duration;

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

// ---------------------------------------------------------------------------------------------
// Delivery

/// One webhook attempt, kept for inspection (`GET /_sim/deliveries`).
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub event: String,
    pub event_type: String,
    pub endpoint: String,
    pub attempt: u32,
    /// HTTP status, or 0 when no response came (dropped, refused, timed out).
    pub status: u16,
    pub signature: String,
}

impl Simulator {
    /// Sends one event to one endpoint until it answers 2xx, or the endpoint is disabled or
    /// deleted.
    pub(crate) async fn deliver(self, event_id: String, endpoint_id: String) {
        let schedule = self.inner.config.webhook_retry_schedule.clone();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let faults = self.faults();
            let shuffle = self.roll(|f, rng| f.webhook_shuffle_ms > 0 && rng.gen_bool(0.5));
            let extra = if faults.webhook_shuffle_ms > 0 {
                let max = faults.webhook_shuffle_ms;
                let mut wait = 0;
                self.roll(|_, rng| {
                    wait = rng.gen_range(0..=max);
                    true
                });
                if shuffle {
                    wait
                } else {
                    wait / 2
                }
            } else {
                0
            };
            let delay = faults.webhook_delay_ms.saturating_add(extra);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let (url, header, payload, event_type) = {
                let account = self.inner.account.lock().await;
                let Some(endpoint) = account.endpoints.get(&endpoint_id) else {
                    // Deleted meanwhile: no more retries, as for a disabled endpoint.
                    drop(account);
                    self.abandon(&event_id, &endpoint_id).await;
                    return;
                };
                let Some(event) = account.events.get(&event_id) else {
                    return;
                };
                if !event.undelivered.contains(&endpoint_id) {
                    return;
                }
                if endpoint.disabled {
                    drop(account);
                    self.abandon(&event_id, &endpoint_id).await;
                    return;
                }
                let payload = serde_json::to_vec_pretty(&event.to_json()).unwrap_or_default();
                let now = account.now();
                let header = signature_header(&endpoint.signing_secrets(now), now, &payload);
                (endpoint.url.clone(), header, payload, event.kind.clone())
            };
            let dropped = self.roll(|f, rng| {
                f.webhook_drop_rate > 0.0 && rng.gen_bool(f.webhook_drop_rate.clamp(0.0, 1.0))
            });
            let status = if dropped {
                0
            } else {
                self.post(&url, &header, &payload).await
            };
            self.record(Attempt {
                event: event_id.clone(),
                event_type: event_type.clone(),
                endpoint: endpoint_id.clone(),
                attempt,
                status,
                signature: header.clone(),
            });
            if (200..300).contains(&status) {
                let duplicate = self.roll(|f, rng| {
                    f.webhook_duplicate_rate > 0.0
                        && rng.gen_bool(f.webhook_duplicate_rate.clamp(0.0, 1.0))
                });
                if duplicate {
                    let status = self.post(&url, &header, &payload).await;
                    self.record(Attempt {
                        event: event_id.clone(),
                        event_type,
                        endpoint: endpoint_id.clone(),
                        attempt: attempt + 1,
                        status,
                        signature: header,
                    });
                }
                let mut account = self.inner.account.lock().await;
                if let Some(event) = account.events.get_mut(&event_id) {
                    event.undelivered.retain(|e| e != &endpoint_id);
                }
                account.dirty.insert((ObjectKind::Event, event_id.clone()));
                self.commit(&mut account).await;
                return;
            }
            let index = (attempt as usize - 1).min(schedule.len().saturating_sub(1));
            let wait = schedule
                .get(index)
                .copied()
                .unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(wait).await;
        }
    }

    /// Gives up on delivering an event to an endpoint: it stays counted in the event's
    /// `pending_webhooks` and is never tried again, even after a restart. Stripe does this when
    /// an endpoint is disabled (or deleted) by the time a retry comes due; re-enabled before
    /// then, it still gets the retry (https://docs.stripe.com/webhooks#retries).
    pub(crate) async fn abandon(&self, event_id: &str, endpoint_id: &str) {
        let mut account = self.inner.account.lock().await;
        let Some(event) = account.events.get_mut(event_id) else {
            return;
        };
        if !event.undelivered.iter().any(|e| e == endpoint_id) {
            return;
        }
        event.undelivered.retain(|e| e != endpoint_id);
        event.abandoned.push(endpoint_id.to_string());
        account
            .dirty
            .insert((ObjectKind::Event, event_id.to_string()));
        self.commit(&mut account).await;
    }

    async fn post(&self, url: &str, signature: &str, payload: &[u8]) -> u16 {
        let result = self
            .inner
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(
                header::USER_AGENT,
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .header("Stripe-Signature", signature)
            .body(payload.to_vec())
            .send()
            .await;
        match result {
            Ok(response) => response.status().as_u16(),
            Err(e) => {
                tracing::debug!(error = %e, "webhook attempt failed");
                0
            }
        }
    }

    fn record(&self, attempt: Attempt) {
        if let Ok(mut attempts) = self.inner.attempts.lock() {
            if attempts.len() >= 10_000 {
                attempts.remove(0);
            }
            attempts.push(attempt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The HMAC sample values stripe-node publishes for its crypto providers (key `test_secret`;
    // src/crypto/CryptoProvider.ts and its tests in https://github.com/stripe/stripe-node).
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

    // Whole signatures and headers under the scheme of https://docs.stripe.com/webhooks
    // ("Verify signatures manually"): `v1` = HMAC-SHA256(secret, "{t}.{payload}").
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
