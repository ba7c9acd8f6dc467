//! The REST handlers: Orders v2 (https://developer.paypal.com/docs/api/orders/v2/), Payments
//! v2 (https://developer.paypal.com/docs/api/payments/v2/) and Webhooks v1
//! (https://developer.paypal.com/docs/api/webhooks/v1/).

use super::idempotency::{Policy, ORDERS_KEEP_MS, PAYMENTS_KEEP_MS};
use super::pipeline::{wants_representation, Op};
use super::Simulator;
use crate::engine::OrderView;
use crate::model::ApiError;
use crate::signing;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const ORDERS: Option<Policy> = Some(Policy {
    keep_ms: ORDERS_KEEP_MS,
    replay_ok: true,
});
const PAYMENTS: Option<Policy> = Some(Policy {
    keep_ms: PAYMENTS_KEEP_MS,
    replay_ok: false,
});

pub(super) async fn create_order(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full = wants_representation(&headers);
    let op = Op {
        name: "orders.create",
        path: "/v2/checkout/orders",
        json: true,
        idempotency: ORDERS,
    };
    sim.rest(&headers, body, op, |state, input| {
        if !input.is_object() {
            return Err(ApiError::malformed_json());
        }
        let id = state.create_order(input)?;
        let view = if full {
            OrderView::Full
        } else {
            OrderView::Minimal
        };
        Ok((201, state.render_order(&id, view)))
    })
    .await
}

pub(super) async fn get_order(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v2/checkout/orders/{id}");
    let op = Op {
        name: "orders.get",
        path: &path,
        json: false,
        idempotency: None,
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        state.order_or_404(&id)?;
        Ok((200, state.render_order(&id, OrderView::Full)))
    })
    .await
}

pub(super) async fn patch_order(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v2/checkout/orders/{id}");
    let op = Op {
        name: "orders.patch",
        path: &path,
        json: true,
        idempotency: None,
    };
    sim.rest(&headers, body, op, |state, input| {
        state.patch_order(&id, input)?;
        Ok((204, Value::Null))
    })
    .await
}

pub(super) async fn capture_order(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full = wants_representation(&headers);
    let path = format!("/v2/checkout/orders/{id}/capture");
    let op = Op {
        name: "orders.capture",
        path: &path,
        json: true,
        idempotency: ORDERS,
    };
    sim.rest(&headers, body, op, |state, input| {
        // No body, `{}` or `{"payment_source": …}`.
        if !(input.is_object() || input.is_null()) {
            return Err(ApiError::malformed_json());
        }
        state.capture_order(&id)?;
        let view = if full {
            OrderView::Full
        } else {
            OrderView::Capture
        };
        Ok((201, state.render_order(&id, view)))
    })
    .await
}

pub(super) async fn get_capture(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v2/payments/captures/{id}");
    let op = Op {
        name: "captures.get",
        path: &path,
        json: false,
        idempotency: None,
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        state.capture_or_404(&id)?;
        Ok((200, state.render_capture(&id, true)))
    })
    .await
}

pub(super) async fn refund_capture(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full = wants_representation(&headers);
    let path = format!("/v2/payments/captures/{id}/refund");
    let op = Op {
        name: "captures.refund",
        path: &path,
        json: true,
        idempotency: PAYMENTS,
    };
    sim.rest(&headers, body, op, |state, input| {
        if !(input.is_object() || input.is_null()) {
            return Err(ApiError::malformed_json());
        }
        let refund = state.refund_capture(&id, input)?;
        Ok((201, state.render_refund(&refund, full)))
    })
    .await
}

pub(super) async fn get_refund(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v2/payments/refunds/{id}");
    let op = Op {
        name: "refunds.get",
        path: &path,
        json: false,
        idempotency: None,
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        if !state.refunds.contains_key(&id) {
            return Err(ApiError::not_found("refund_id", &id, "payments"));
        }
        Ok((200, state.render_refund(&id, true)))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Webhooks API

fn plain<'a>(name: &'a str, path: &'a str) -> Op<'a> {
    Op {
        name,
        path,
        json: true,
        idempotency: None,
    }
}

pub(super) async fn create_webhook(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.rest(
        &headers,
        body,
        plain("webhooks.create", "/v1/notifications/webhooks"),
        |state, input| {
            let id = state.create_webhook(input)?;
            let base = state.base.clone();
            Ok((201, state.webhooks[&id].to_json(&base)))
        },
    )
    .await
}

pub(super) async fn list_webhooks(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let op = Op {
        json: false,
        ..plain("webhooks.list", "/v1/notifications/webhooks")
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        let list: Vec<Value> = state
            .webhooks
            .values()
            .map(|w| w.to_json(&state.base))
            .collect();
        Ok((200, json!({"webhooks": list})))
    })
    .await
}

pub(super) async fn get_webhook(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let op = Op {
        json: false,
        ..plain("webhooks.get", "/v1/notifications/webhooks/{id}")
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        Ok((200, state.webhook_or_404(&id)?.to_json(&state.base)))
    })
    .await
}

pub(super) async fn patch_webhook(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.rest(
        &headers,
        body,
        plain("webhooks.patch", "/v1/notifications/webhooks/{id}"),
        |state, input| {
            state.patch_webhook(&id, input)?;
            Ok((200, state.webhooks[&id].to_json(&state.base)))
        },
    )
    .await
}

/// `GET /v1/notifications/webhooks-events/{id}`.
pub(super) async fn get_event(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let op = Op {
        json: false,
        ..plain(
            "webhooks-events.get",
            "/v1/notifications/webhooks-events/{id}",
        )
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        match state.events.get(&id) {
            Some(e) => Ok((200, e.to_json(&state.base))),
            None => Err(crate::engine::webhook_error(
                404,
                "INVALID_RESOURCE_ID",
                "Resource id is invalid.",
            )),
        }
    })
    .await
}

/// `POST /v1/notifications/webhooks-events/{id}/resend` -> 202 with the event.
pub(super) async fn resend_event(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = plain(
        "webhooks-events.resend",
        "/v1/notifications/webhooks-events/{id}/resend",
    );
    sim.rest(&headers, body, op, |state, input| {
        state.resend_event(&id, input)?;
        Ok((202, state.events[&id].to_json(&state.base)))
    })
    .await
}

/// `POST /v1/notifications/simulate-event` -> 202 with the mock event.
pub(super) async fn simulate_event(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = plain("webhooks.simulate", "/v1/notifications/simulate-event");
    sim.rest(&headers, body, op, |state, input| {
        let id = state.simulate_event(input)?;
        Ok((202, state.events[&id].to_json(&state.base)))
    })
    .await
}

pub(super) async fn delete_webhook(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let op = Op {
        json: false,
        ..plain("webhooks.delete", "/v1/notifications/webhooks/{id}")
    };
    sim.rest(&headers, Bytes::new(), op, |state, _| {
        state.delete_webhook(&id)?;
        Ok((204, Value::Null))
    })
    .await
}

/// `POST /v1/notifications/verify-webhook-signature`: SUCCESS when the headers and event are
/// what the simulator sent to that webhook
/// (https://developer.paypal.com/docs/api/webhooks/v1/#verify-webhook-signature_post).
pub(super) async fn verify_webhook_signature(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cert_url = sim.inner.config.cert_url();
    let op = plain(
        "webhooks.verify",
        "/v1/notifications/verify-webhook-signature",
    );
    sim.rest(&headers, body, op, move |state, input| {
        let field = |name: &str| -> Result<String, ApiError> {
            match input.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(ApiError::missing(&format!("/{name}"))),
            }
        };
        let auth_algo = field("auth_algo")?;
        let url = field("cert_url")?;
        let transmission_id = field("transmission_id")?;
        let transmission_sig = field("transmission_sig")?;
        let transmission_time = field("transmission_time")?;
        let webhook_id = field("webhook_id")?;
        let event = input
            .get("webhook_event")
            .filter(|e| e.is_object())
            .ok_or_else(|| ApiError::missing("/webhook_event"))?;
        // The event as it was sent: the simulator sends compact JSON, which parsing and
        // re-serialising gives back byte for byte.
        let raw = serde_json::to_vec(event).unwrap_or_default();
        let message = signing::message(&transmission_id, &transmission_time, &webhook_id, &raw);
        let ok = auth_algo == signing::AUTH_ALGO
            && url == cert_url
            && state.webhooks.contains_key(&webhook_id)
            && signing::verify(&message, &transmission_sig);
        let status = if ok { "SUCCESS" } else { "FAILURE" };
        Ok((200, json!({"verification_status": status})))
    })
    .await
}

/// `GET /v1/notifications/certs/{cert_id}`: the signing certificate, PEM, no auth.
pub(super) async fn cert(Path(id): Path<String>) -> Response {
    if id != signing::CERT_ID {
        return super::pipeline::not_found().await;
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        signing::CERT_PEM,
    )
        .into_response()
}
