//! `POST /webhooks/stripe`: the raw body is verified against `Stripe-Signature`, then the event
//! is recorded and applied to its order in one transaction, and the change is published live.

use super::db::{Origin, WebhookOutcome};
use super::stripe::signature;
use super::{sync, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// Larger than any Stripe event; anything bigger is refused before it is read.
pub const BODY_LIMIT: usize = 256 * 1024;

pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let secrets: Vec<&str> = state
        .payments
        .webhook_secrets
        .iter()
        .map(|s| s.expose())
        .collect();
    let now = sync::now();
    if let Err(e) = signature::verify(header, &body, &secrets, now) {
        tracing::warn!(reason = %e, "webhook refused: bad signature");
        return (StatusCode::BAD_REQUEST, "invalid signature");
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        tracing::warn!("webhook refused: body is not JSON");
        return (StatusCode::BAD_REQUEST, "invalid payload");
    };
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return (StatusCode::BAD_REQUEST, "invalid event");
    };
    // A live event to a test-mode shop (or the reverse) is someone else's: refused, not applied.
    let live = state.payments.mode == crate::model::site::PaymentsMode::Live;
    if event["livemode"].as_bool().is_some_and(|l| l != live) {
        tracing::warn!(event = %id, %kind, "webhook refused: livemode does not match the keys");
        return (StatusCode::BAD_REQUEST, "wrong mode");
    }
    match sync::apply_event(&state, &event, now, Origin::Webhook).await {
        Ok(outcome) => {
            if outcome == WebhookOutcome::NoOrder {
                tracing::info!(event = %id, %kind, "webhook event for no known order");
            }
            (StatusCode::OK, "ok")
        }
        Err(e) => {
            // Not acknowledged: Stripe will deliver it again.
            tracing::error!(error = %e, event = %id, "webhook could not be applied");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again")
        }
    }
}
