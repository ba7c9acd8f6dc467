//! The simulator's control API under `/_sim` (secret key only): reset, faults, clock, the
//! record of webhook deliveries, rolling an endpoint's signing secret, and deciding a dispute.

use super::pipeline::{handler, parse_body, respond, Caller, Outcome, Request};
use super::{Faults, Simulator};
use crate::engine::{ObjectKind, Params};
use crate::model::ApiError;
use axum::body::Body;
use axum::extract::{OriginalUri, State as AxState};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

handler!(roll_secret, [Secret], |account, ctx, id| {
    let expires_in = ctx.params().int("expires_in")?.unwrap_or(24 * 3600);
    account.roll_endpoint_secret(&id, expires_in)
});
handler!(close_dispute, [Secret], |account, ctx, id| {
    ctx.params().only(&["outcome"])?;
    account.close_dispute(&id, ctx.params().non_empty("outcome"))
});
handler!(set_clock, [Secret], |account, ctx| {
    account.clock_offset = ctx.params().int("offset")?.unwrap_or(0);
    Ok(json!({"now": account.now(), "offset": account.clock_offset}))
});

pub(super) async fn reset(
    AxState(sim): AxState<Simulator>,
    method: Method,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = Request::new(method, &original, &uri, headers);
    // Faults go first (so that the reset itself cannot be failed by them), but only for the
    // secret key.
    if let Err(e) = sim.authorize(&request.headers, &[Caller::Secret]) {
        return respond(Outcome::error(e), "req_sim", &request.headers);
    }
    sim.set_faults(Faults::default(), None);
    if let Ok(mut attempts) = sim.inner.attempts.lock() {
        attempts.clear();
    }
    sim.serve(&request, body, &[Caller::Secret], |account, ctx| {
        let keep_endpoints = ctx.params().str("endpoints") != Some("true");
        let endpoints = std::mem::take(&mut account.endpoints);
        let mut dirty = std::collections::BTreeSet::new();
        for id in account.payment_intents.keys() {
            dirty.insert((ObjectKind::PaymentIntent, id.clone()));
        }
        for id in account.payment_methods.keys() {
            dirty.insert((ObjectKind::PaymentMethod, id.clone()));
        }
        for id in account.charges.keys() {
            dirty.insert((ObjectKind::Charge, id.clone()));
        }
        for id in account.refunds.keys() {
            dirty.insert((ObjectKind::Refund, id.clone()));
        }
        for id in account.disputes.keys() {
            dirty.insert((ObjectKind::Dispute, id.clone()));
        }
        for id in account.events.keys() {
            dirty.insert((ObjectKind::Event, id.clone()));
        }
        for id in account.idempotency.keys() {
            dirty.insert((ObjectKind::Idempotency, id.clone()));
        }
        account.payment_intents.clear();
        account.payment_methods.clear();
        account.charges.clear();
        account.refunds.clear();
        account.disputes.clear();
        account.events.clear();
        account.event_order.clear();
        account.idempotency.clear();
        account.clock_offset = 0;
        if keep_endpoints {
            account.endpoints = endpoints;
        } else {
            for id in endpoints.keys() {
                dirty.insert((ObjectKind::Endpoint, id.clone()));
            }
        }
        account.dirty.extend(dirty);
        Ok(json!({"reset": true}))
    })
    .await
}

pub(super) async fn set_faults(
    AxState(sim): AxState<Simulator>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if sim.caller(&headers).ok() != Some(Caller::Secret) {
        return control(&sim, &headers, || Value::Null);
    }
    let params = match parse_body(body).await {
        Ok(p) => p,
        Err(e) => return respond(Outcome::error(e), "req_sim", &headers),
    };
    control(&sim, &headers, || {
        let p = Params(&params);
        let num = |k: &str| p.str(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let faults = Faults {
            latency_ms: num("latency_ms") as u64,
            failure_rate: num("failure_rate"),
            failure_kind: p.str("failure_kind").unwrap_or("500").to_string(),
            webhook_drop_rate: num("webhook_drop_rate"),
            webhook_duplicate_rate: num("webhook_duplicate_rate"),
            webhook_delay_ms: num("webhook_delay_ms") as u64,
            webhook_shuffle_ms: num("webhook_shuffle_ms") as u64,
            webhook_loss_rate: num("webhook_loss_rate"),
        };
        sim.set_faults(faults.clone(), p.str("seed").and_then(|s| s.parse().ok()));
        json!(faults)
    })
}

/// Answers a control request: the secret key only, then `body`.
fn control(sim: &Simulator, headers: &HeaderMap, body: impl FnOnce() -> Value) -> Response {
    let outcome = if sim.caller(headers).ok() == Some(Caller::Secret) {
        Outcome {
            status: 200,
            body: body(),
            replayed: false,
            drop_connection: false,
        }
    } else {
        Outcome::error(ApiError::new(
            401,
            "invalid_request_error",
            "The simulator's control API needs the secret key.",
        ))
    };
    respond(outcome, "req_sim", headers)
}

pub(super) async fn get_faults(AxState(sim): AxState<Simulator>, headers: HeaderMap) -> Response {
    control(&sim, &headers, || json!(sim.faults()))
}

pub(super) async fn deliveries(AxState(sim): AxState<Simulator>, headers: HeaderMap) -> Response {
    control(&sim, &headers, || json!({"data": sim.attempts()}))
}
