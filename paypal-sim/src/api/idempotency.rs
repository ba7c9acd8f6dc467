//! `PayPal-Request-Id` (https://developer.paypal.com/reference/guidelines/idempotency/): a
//! repeated request id returns the stored response instead of doing the work again. Orders
//! keep ids 6 hours and answer a replay with 200 instead of 201; Payments keep them 45 days.
//! Only successful responses are stored, so a request that failed (a decline, a validation
//! error) can be retried with the same id.

use crate::model::{ApiError, Detail};
use axum::http::HeaderMap;

pub(super) const ORDERS_KEEP_MS: i64 = 6 * 3600 * 1000;
pub(super) const PAYMENTS_KEEP_MS: i64 = 45 * 24 * 3600 * 1000;

/// How an operation uses request ids.
#[derive(Clone, Copy)]
pub(super) struct Policy {
    pub(super) keep_ms: i64,
    /// A replay answers 200 where the first answer was 201.
    pub(super) replay_ok: bool,
}

/// The request id, if any; one longer than PayPal's 108 characters is a 400.
pub(super) fn request_id(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("paypal-request-id") else {
        return Ok(None);
    };
    let value = value.to_str().map(str::trim).unwrap_or("");
    if value.is_empty() || value.len() > 108 {
        return Err(ApiError::invalid_request(
            Detail::new(
                "INVALID_STRING_LENGTH",
                "The value of a field is either too short or too long.",
            )
            .field("PayPal-Request-Id", "body"),
        ));
    }
    Ok(Some(value.to_string()))
}

/// The key a request id is stored under: the operation and path it was used for.
pub(super) fn key(operation: &str, path: &str, request_id: &str) -> String {
    format!("{operation} {path} {request_id}")
}
