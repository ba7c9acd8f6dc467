//! Delivering webhooks as PayPal does (https://developer.paypal.com/api/rest/webhooks/rest/):
//! a POST of the event with `PAYPAL-TRANSMISSION-ID`, `PAYPAL-TRANSMISSION-TIME`,
//! `PAYPAL-TRANSMISSION-SIG`, `PAYPAL-CERT-URL`, `PAYPAL-AUTH-ALGO` and `PAYPAL-AUTH-VERSION`,
//! retried on anything but a 2xx. The body is compact JSON; the signature covers its CRC-32.

use crate::api::Simulator;
use crate::engine::Kind;
use crate::signing;
use serde::Serialize;
use std::time::Duration;

/// One webhook attempt, kept for inspection (`GET /_sim/deliveries`).
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub event: String,
    pub event_type: String,
    pub webhook: String,
    pub url: String,
    pub attempt: u32,
    /// HTTP status, or 0 when no response came (dropped, refused, timed out).
    pub status: u16,
    pub transmission_id: String,
}

/// The headers of one delivery of `body` to webhook `webhook_id`.
pub fn signed_headers(
    cert_url: &str,
    webhook_id: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let transmission_id = uuid::Uuid::new_v4().to_string();
    let transmission_time = crate::time::rfc3339(crate::time::now_ms());
    let message = signing::message(&transmission_id, &transmission_time, webhook_id, body);
    vec![
        ("paypal-transmission-id", transmission_id),
        ("paypal-transmission-time", transmission_time),
        ("paypal-transmission-sig", signing::sign(&message)),
        ("paypal-cert-url", cert_url.to_string()),
        ("paypal-auth-algo", signing::AUTH_ALGO.to_string()),
        ("paypal-auth-version", "v2".to_string()),
    ]
}

impl Simulator {
    /// Sends one event to one webhook until it answers 2xx, it is deleted, or the attempts run out.
    pub(crate) async fn deliver(self, event_id: String, webhook_id: String) {
        let config = self.inner.config.clone();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let faults = self.faults();
            let wait = faults.webhook_delay_ms + self.jitter(faults.webhook_shuffle_ms);
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            let (url, body, event_type, sign_as) = {
                let state = self.inner.state.lock().await;
                let Some(event) = state.events.get(&event_id) else {
                    return;
                };
                if !event.undelivered.contains(&webhook_id) {
                    return;
                }
                let Some(webhook) = state.webhooks.get(&webhook_id) else {
                    return;
                };
                let body = serde_json::to_vec(&event.to_json(&state.base)).unwrap_or_default();
                let sign_as = event.sign_as.clone().unwrap_or_else(|| webhook_id.clone());
                (webhook.url.clone(), body, event.event_type.clone(), sign_as)
            };
            let copies = if self.roll(faults.webhook_duplicate_rate) {
                2
            } else {
                1
            };
            let mut status = 0;
            for _ in 0..copies {
                let headers = signed_headers(&config.cert_url(), &sign_as, &body);
                let transmission_id = headers[0].1.clone();
                let mut request = self
                    .inner
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("user-agent", "PayPal/AUHD-214.0-58391792 (paypal-sim)");
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                status = match request.body(body.clone()).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                if let Ok(mut a) = self.inner.attempts.lock() {
                    a.push(Attempt {
                        event: event_id.clone(),
                        event_type: event_type.clone(),
                        webhook: webhook_id.clone(),
                        url: url.clone(),
                        attempt,
                        status,
                        transmission_id,
                    });
                }
            }
            let delivered = (200..300).contains(&status);
            if delivered || attempt >= config.webhook_max_attempts {
                let mut state = self.inner.state.lock().await;
                if let Some(event) = state.events.get_mut(&event_id) {
                    event.undelivered.retain(|w| w != &webhook_id);
                }
                state.touch(Kind::Event, &event_id);
                self.commit(&mut state).await;
                if !delivered {
                    tracing::warn!(event = %event_id, webhook = %webhook_id, "paypal simulator gave up a webhook");
                }
                return;
            }
            let schedule = &config.webhook_retry_schedule;
            let wait = schedule
                .get(attempt as usize - 1)
                .or(schedule.last())
                .copied()
                .unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(wait).await;
        }
    }
}
