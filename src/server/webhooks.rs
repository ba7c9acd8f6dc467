//! `POST /webhooks/stripe`: the raw body is verified against `Stripe-Signature`, then the event
//! is recorded and applied to its order in one transaction, and the change is published live.

use super::db::{self, WebhookOutcome};
use super::stripe::signature;
use super::AppState;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{Applied, OrderState, PaymentEvent, Refund, RefundStatus};
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
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
    let at = event["created"].as_i64().unwrap_or(now);
    let object = &event["data"]["object"];
    let payment_intent = match object["object"].as_str() {
        Some("payment_intent") => object["id"].as_str(),
        _ => object["payment_intent"].as_str(),
    };
    let order_hint = object["metadata"]["order_id"].as_str();
    let events = payment_events(kind, object);
    if events.is_empty() {
        tracing::info!(event = %id, %kind, "webhook event type not used by the checkout");
    }
    let description = describe(kind, object);
    let outcome = db::apply_stripe_event(
        &state.pool,
        id,
        kind,
        payment_intent,
        order_hint,
        |order: &mut OrderState| {
            let mut result = Applied::Ignored("event type not used by the checkout");
            for e in &events {
                match order.apply(e, at) {
                    Applied::Changed => result = Applied::Changed,
                    mismatch @ Applied::Mismatch { .. } => return (mismatch, description.clone()),
                    ignored if result != Applied::Changed => result = ignored,
                    _ => {}
                }
            }
            (result, description.clone())
        },
    )
    .await;
    match outcome {
        Ok(outcome) => {
            if outcome == WebhookOutcome::NoOrder {
                tracing::info!(event = %id, %kind, "webhook event for no known order");
            }
            super::live::publish(&state, &outcome);
            (StatusCode::OK, "ok")
        }
        Err(e) => {
            // Not acknowledged: Stripe will deliver it again.
            tracing::error!(error = %e, event = %id, "webhook could not be applied");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again")
        }
    }
}

/// What a Stripe event means for an order.
pub fn payment_events(kind: &str, object: &Value) -> Vec<PaymentEvent> {
    let money = |amount: &Value| {
        Currency::parse(object["currency"].as_str().unwrap_or_default())
            .ok()
            .map(|c| Money::new(amount.as_i64().unwrap_or(0), c))
    };
    let refund = |r: &Value| -> Option<PaymentEvent> {
        Some(PaymentEvent::Refund {
            id: r["id"].as_str()?.to_string(),
            refund: Refund {
                amount: r["amount"].as_i64()?,
                status: RefundStatus::parse(r["status"].as_str()?)?,
            },
        })
    };
    match kind {
        "payment_intent.processing" => vec![PaymentEvent::Processing],
        "payment_intent.succeeded" => money(&object["amount_received"])
            .map(|received| PaymentEvent::Succeeded { received })
            .into_iter()
            .collect(),
        "payment_intent.payment_failed" => vec![PaymentEvent::Failed {
            reason: object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("The payment failed.")
                .to_string(),
        }],
        "payment_intent.canceled" => vec![PaymentEvent::Canceled],
        "payment_intent.requires_action" => vec![PaymentEvent::ActionRequired],
        "charge.refunded" => object["refunds"]["data"]
            .as_array()
            .map(|list| list.iter().filter_map(refund).collect())
            .unwrap_or_default(),
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            refund(object).into_iter().collect()
        }
        "charge.dispute.created" | "charge.dispute.funds_withdrawn" => {
            vec![PaymentEvent::DisputeOpened]
        }
        "charge.dispute.funds_reinstated" => vec![PaymentEvent::DisputeClosed { won: true }],
        // https://docs.stripe.com/disputes/how-disputes-work: `won` keeps the money; `lost`
        // (and `warning_closed` for an inquiry) ends it; other statuses are still open.
        "charge.dispute.closed" => match object["status"].as_str() {
            Some("won") | Some("warning_closed") => vec![PaymentEvent::DisputeClosed { won: true }],
            Some("lost") => vec![PaymentEvent::DisputeClosed { won: false }],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// One line for the order's timeline.
fn describe(kind: &str, object: &Value) -> String {
    let amount = |key: &str| {
        let currency = Currency::parse(object["currency"].as_str().unwrap_or_default()).ok();
        match (object[key].as_i64(), currency) {
            (Some(a), Some(c)) => Money::new(a, c).to_string(),
            _ => String::new(),
        }
    };
    match kind {
        "payment_intent.succeeded" => format!("Payment succeeded: {}", amount("amount_received")),
        "payment_intent.payment_failed" => format!(
            "Payment failed: {}",
            object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        ),
        "payment_intent.processing" => "Payment processing".into(),
        "payment_intent.requires_action" => "The bank asked the shopper to authenticate".into(),
        "payment_intent.canceled" => "Payment canceled".into(),
        "charge.refunded" => format!("Refunded so far: {}", amount("amount_refunded")),
        "refund.created" | "refund.updated" | "charge.refund.updated" => {
            format!(
                "Refund {} {}: {}",
                object["id"].as_str().unwrap_or(""),
                object["status"].as_str().unwrap_or(""),
                amount("amount")
            )
        }
        "refund.failed" => format!(
            "Refund {} failed ({})",
            object["id"].as_str().unwrap_or(""),
            object["failure_reason"].as_str().unwrap_or("unknown")
        ),
        "charge.dispute.created" => format!("Dispute opened: {}", amount("amount")),
        "charge.dispute.closed" => format!(
            "Dispute closed: {}",
            object["status"].as_str().unwrap_or("unknown")
        ),
        other => other.to_string(),
    }
}
