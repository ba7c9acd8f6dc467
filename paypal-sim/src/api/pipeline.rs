//! What every REST request goes through, once: faults, the bearer token, the JSON body,
//! `PayPal-Mock-Response`, `PayPal-Request-Id`, the operation on the state, persistence and
//! webhooks, and PayPal's response headers (`paypal-debug-id`).

use super::idempotency::{self, Policy};
use super::Simulator;
use crate::engine::{new_debug_id, ApiResult, State};
use crate::model::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::time::Duration;

/// How one REST operation is run.
pub(super) struct Op<'a> {
    /// Its name in PayPal's issue lists (`orders.capture`…), for `PayPal-Mock-Response`.
    pub(super) name: &'a str,
    /// The request path, for idempotency keys.
    pub(super) path: &'a str,
    /// Whether it reads a JSON body.
    pub(super) json: bool,
    pub(super) idempotency: Option<Policy>,
}

/// An answer after which the connection is cut (the `drop` fault).
pub(super) struct Dropped;

impl IntoResponse for Dropped {
    fn into_response(self) -> Response {
        // A body that fails makes hyper abort the connection mid-response.
        let stream = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped (simulated)"))
        });
        Response::builder()
            .status(200)
            .header(header::CONTENT_LENGTH, "100")
            .body(Body::from_stream(stream))
            .unwrap_or_default()
    }
}

impl Simulator {
    /// Runs one REST operation with PayPal's request semantics around it.
    pub(super) async fn rest(
        &self,
        headers: &HeaderMap,
        body: Bytes,
        op: Op<'_>,
        run: impl FnOnce(&mut State, &Value) -> ApiResult,
    ) -> Response {
        let debug_id = new_debug_id();
        let faults = self.faults();
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }
        let mut drop_after = false;
        if self.roll(faults.error_rate) {
            match faults.error_kind.as_str() {
                "drop" => drop_after = true,
                "429" => return respond(Err(ApiError::rate_limited()), &debug_id),
                "503" => {
                    return respond(
                        Err(ApiError {
                            status: 503,
                            body: serde_json::json!({
                                "name": "SERVICE_UNAVAILABLE",
                                "message": "Service Unavailable.",
                                "debug_id": "",
                                "links": [{"href": "https://developer.paypal.com/docs/api/overview/#error", "rel": "information_link", "method": "GET"}]
                            }),
                        }),
                        &debug_id,
                    )
                }
                _ => return respond(Err(ApiError::internal()), &debug_id),
            }
        }
        if let Err(e) = self.check_bearer(headers).await {
            return respond(Err(e), &debug_id);
        }
        let input = if op.json {
            let trimmed = body.iter().all(|b| b.is_ascii_whitespace());
            if trimmed {
                Value::Null
            } else {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(v) => v,
                    Err(_) => return respond(Err(ApiError::malformed_json()), &debug_id),
                }
            }
        } else {
            Value::Null
        };
        if let Some(code) = mock_code(headers) {
            if let Some(e) = ApiError::mocked(op.name, &code) {
                return respond(Err(e), &debug_id);
            }
        }
        let request_id = match op.idempotency.map(|_| idempotency::request_id(headers)) {
            Some(Err(e)) => return respond(Err(e), &debug_id),
            Some(Ok(id)) => id,
            None => None,
        };
        let mut state = self.inner.state.lock().await;
        let key = op
            .idempotency
            .zip(request_id)
            .map(|(p, id)| (p, idempotency::key(op.name, op.path, &id)));
        if let Some((policy, key)) = &key {
            if let Some(entry) = state.replay(key, policy.keep_ms) {
                let status = if policy.replay_ok && entry.status == 201 {
                    200
                } else {
                    entry.status
                };
                let out = Ok((status, entry.body.clone()));
                drop(state);
                return respond(out, &debug_id);
            }
        }
        let out = run(&mut state, &input);
        if let (Some((_, key)), Ok((status, body))) = (&key, &out) {
            state.remember(key, *status, body);
        }
        self.commit(&mut state).await;
        drop(state);
        if drop_after {
            return Dropped.into_response();
        }
        respond(out, &debug_id)
    }

    /// A valid, unexpired bearer token, else PayPal's 401s.
    pub(super) async fn check_bearer(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ApiError::authentication_failure());
        };
        let Some(token) = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
        else {
            return Err(ApiError::authentication_failure());
        };
        let state = self.inner.state.lock().await;
        match state.tokens.get(token.trim()) {
            Some(t) if t.expires_at > state.now() => Ok(()),
            _ => Err(ApiError::invalid_token()),
        }
    }
}

/// The issue code of a `PayPal-Mock-Response: {"mock_application_codes": "…"}` header.
fn mock_code(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get("paypal-mock-response")?.to_str().ok()?;
    let v: Value = serde_json::from_str(raw).ok()?;
    v.get("mock_application_codes")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string())
}

/// Writes an answer with PayPal's headers; errors get the `debug_id` of the header.
pub(super) fn respond(out: ApiResult, debug_id: &str) -> Response {
    let (status, mut body) = match out {
        Ok(ok) => ok,
        Err(e) => (e.status, e.body),
    };
    if body.get("debug_id").is_some() {
        body["debug_id"] = Value::String(debug_id.to_string());
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(debug_id) {
        response.headers_mut().insert("paypal-debug-id", v);
    }
    response
}

/// Unknown routes: PayPal answers 404 with an empty JSON body for unknown paths.
pub(super) async fn not_found() -> Response {
    let mut r = (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        "",
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&new_debug_id()) {
        r.headers_mut().insert("paypal-debug-id", v);
    }
    r
}

/// `Prefer: return=representation`.
pub(super) fn wants_representation(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("return=representation"))
}
