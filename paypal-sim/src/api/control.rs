//! The `/_sim` control API (only when `SimConfig::control_api` is on; a bearer token from
//! `/v1/oauth2/token` is required): approve an order as the buyer would, settle pending
//! captures, faults, deliveries, events, reset.

use super::pipeline::respond;
use super::{Faults, Simulator};
use crate::engine::{new_debug_id, OrderView};
use crate::model::{ApiError, Funding};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashMap;

async fn guarded(
    sim: &Simulator,
    headers: &HeaderMap,
    run: impl FnOnce(&mut crate::engine::State) -> crate::engine::ApiResult,
) -> Response {
    let debug_id = new_debug_id();
    if let Err(e) = sim.check_bearer(headers).await {
        return respond(Err(e), &debug_id);
    }
    let mut state = sim.inner.state.lock().await;
    let out = run(&mut state);
    sim.commit(&mut state).await;
    respond(out, &debug_id)
}

/// `POST /_sim/orders/{id}/approve?funding=balance|declined|pending|pending_review`: what the
/// approval page's "Pay now" does.
pub(super) async fn approve(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let funding = q.get("funding").map(String::as_str).unwrap_or("balance");
    let Some(funding) = Funding::parse(funding) else {
        return respond(
            Err(ApiError::invalid_value("funding", funding)),
            &new_debug_id(),
        );
    };
    guarded(&sim, &headers, |state| {
        let payer_id = state.approve(&id, funding)?;
        let mut order = state.render_order(&id, OrderView::Full);
        order["payer_id"] = json!(payer_id);
        Ok((200, order))
    })
    .await
}

pub(super) async fn complete_capture(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    guarded(&sim, &headers, |state| {
        state.settle_capture(&id, true)?;
        Ok((200, state.render_capture(&id, true)))
    })
    .await
}

pub(super) async fn deny_capture(
    State(sim): State<Simulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    guarded(&sim, &headers, |state| {
        state.settle_capture(&id, false)?;
        Ok((200, state.render_capture(&id, true)))
    })
    .await
}

/// `POST /_sim/faults` with a JSON [`Faults`] (missing fields are 0/off).
pub(super) async fn set_faults(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(_) => return respond(Err(ApiError::malformed_json()), &new_debug_id()),
    };
    let s = sim.clone();
    guarded(&sim, &headers, move |_| {
        s.set_faults(faults.clone());
        Ok((200, serde_json::to_value(faults).unwrap_or(Value::Null)))
    })
    .await
}

pub(super) async fn get_faults(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let faults = sim.faults();
    guarded(&sim, &headers, move |_| {
        Ok((200, serde_json::to_value(faults).unwrap_or(Value::Null)))
    })
    .await
}

/// Every webhook attempt so far.
pub(super) async fn deliveries(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let attempts = sim.attempts();
    guarded(&sim, &headers, move |_| {
        Ok((200, json!({"deliveries": attempts})))
    })
    .await
}

/// Every event so far, oldest first, as delivered.
pub(super) async fn events(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    guarded(&sim, &headers, |state| {
        let events: Vec<Value> = state
            .event_order
            .iter()
            .filter_map(|id| state.events.get(id))
            .map(|e| e.to_json(&state.base))
            .collect();
        Ok((200, json!({"events": events})))
    })
    .await
}

/// `POST /_sim/clock` with `{"advance_seconds": N}`: moves the simulator's clock forward (token
/// expiry, request-id retention, resource times). Answers the simulated time.
pub(super) async fn advance_clock(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(secs) = input
        .get("advance_seconds")
        .and_then(Value::as_i64)
        .filter(|s| *s >= 0)
    else {
        return respond(Err(ApiError::missing("/advance_seconds")), &new_debug_id());
    };
    guarded(&sim, &headers, move |state| {
        state.clock_offset += secs * 1000;
        Ok((200, json!({"now": crate::time::rfc3339(state.now()), "offset_seconds": state.clock_offset / 1000})))
    })
    .await
}

/// Forgets orders, captures, refunds, events and request ids (webhooks and tokens stay).
pub(super) async fn reset(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let s = sim.clone();
    guarded(&sim, &headers, move |state| {
        state.reset();
        s.set_faults(Faults::default());
        Ok((200, json!({"reset": true})))
    })
    .await
}
