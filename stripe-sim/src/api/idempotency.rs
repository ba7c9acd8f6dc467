//! Idempotent requests (https://docs.stripe.com/api/idempotent_requests): POSTs only, keyed by API key and Idempotency-Key. A key
//! replays the first response; reused with other parameters, or while the first request is
//! still running, it is refused.

use super::pipeline::{Outcome, Request};
use crate::engine::{Account, IdempotencyEntry, ObjectKind};
use crate::form;
use crate::model::ApiError;
use axum::http::Method;
use serde_json::Value;

/// A request's `Idempotency-Key`, scoped to the API key that sent it.
pub(super) struct IdempotencyKey {
    pub(super) key: String,
    scoped: String,
}

impl IdempotencyKey {
    /// The key of a POST that has one.
    pub(super) fn of(request: &Request, api_key: &str) -> Result<Option<Self>, ApiError> {
        let idem_key = (request.method == Method::POST)
            .then(|| {
                request
                    .headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            })
            .flatten();
        let Some(key) = idem_key else {
            return Ok(None);
        };
        if key.len() > 255 {
            return Err(
                ApiError::invalid("Idempotency-Key must be at most 255 characters long.")
                    .param("Idempotency-Key"),
            );
        }
        let scoped = format!("{api_key}\n{key}");
        Ok(Some(IdempotencyKey { key, scoped }))
    }

    /// Claims the key for this request, or answers with what the key already holds: the
    /// stored response, or a refusal.
    pub(super) fn claim(
        &self,
        account: &mut Account,
        fingerprint: &str,
        drop_connection: bool,
    ) -> Result<(), Outcome> {
        let (key, scoped) = (&self.key, &self.scoped);
        let now = account.now();
        match account.idempotency.get(scoped) {
            Some(entry) if entry.in_flight => {
                return Err(Outcome::error(ApiError::new(409, "idempotency_error", "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later.".replace("{key}", key)).code("idempotency_key_in_use")));
            }
            Some(entry) if entry.fingerprint != fingerprint => {
                return Err(Outcome::error(ApiError::new(400, "idempotency_error", format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."))));
            }
            Some(entry) => {
                let body = serde_json::from_str(&entry.body).unwrap_or(Value::Null);
                return Err(Outcome {
                    status: entry.status,
                    body,
                    replayed: true,
                    drop_connection,
                });
            }
            None => {
                account.idempotency.insert(
                    scoped.clone(),
                    IdempotencyEntry {
                        fingerprint: fingerprint.to_string(),
                        in_flight: true,
                        status: 0,
                        body: String::new(),
                        created: now,
                    },
                );
            }
        }
        Ok(())
    }

    /// Keeps the response for replays.
    pub(super) fn store(self, account: &mut Account, status: u16, body: &Value) {
        let scoped = self.scoped;
        // Parameter errors are not stored: the same key may be retried with fixed params.
        if status == 400 && body["error"]["type"] == "invalid_request_error" {
            account.idempotency.remove(&scoped);
        } else if let Some(entry) = account.idempotency.get_mut(&scoped) {
            entry.in_flight = false;
            entry.status = status;
            entry.body = body.to_string();
            account.dirty.insert((ObjectKind::Idempotency, scoped));
        }
    }
}

/// What a key's later uses must match: method, path and the parameters in canonical form.
pub(super) fn fingerprint(request: &Request, params: &Value) -> String {
    format!(
        "{} {}\n{}",
        request.method,
        request.path,
        form::canonical(params)
    )
}
