//! The simulator's control API under `/_sim` (secret key only): reset, faults, clock, the
//! record of webhook deliveries, rolling an endpoint's signing secret, and deciding a dispute.

use super::pipeline::{handler, parse_body, respond, Caller, Outcome, Request};
use super::{Faults, Simulator};
use crate::engine::{ObjectKind, Params, MAX_CLOCK_OFFSET};
use crate::model::ApiError;
use axum::body::Body;
use axum::extract::{OriginalUri, State as AxState};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

handler!(roll_secret, [Secret], |account, ctx, id| {
    let expires_in = ctx.params().int("expires_in")?.unwrap_or(24 * 3600);
    if !(0..=MAX_CLOCK_OFFSET).contains(&expires_in) {
        return Err(ApiError::invalid(format!(
            "expires_in must be between 0 and {MAX_CLOCK_OFFSET} seconds."
        ))
        .param("expires_in"));
    }
    account.roll_endpoint_secret(&id, expires_in)
});
handler!(close_dispute, [Secret], |account, ctx, id| {
    ctx.params().only(&["outcome"])?;
    account.close_dispute(&id, ctx.params().non_empty("outcome"))
});
handler!(set_clock, [Secret], |account, ctx| {
    ctx.params().only(&["offset"])?;
    let offset = ctx.params().int("offset")?.unwrap_or(0);
    if offset.unsigned_abs() > MAX_CLOCK_OFFSET.unsigned_abs() {
        return Err(ApiError::invalid(format!(
            "offset must be between -{MAX_CLOCK_OFFSET} and {MAX_CLOCK_OFFSET} seconds."
        ))
        .param("offset"));
    }
    account.clock_offset = offset;
    // Checkout Sessions the new time has passed expire now; the others' timers follow it.
    account.checkout_clock_moved();
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
        for id in account.confirmation_tokens.keys() {
            dirty.insert((ObjectKind::ConfirmationToken, id.clone()));
        }
        for id in account.checkout_sessions.keys() {
            dirty.insert((ObjectKind::CheckoutSession, id.clone()));
        }
        account.payment_intents.clear();
        account.payment_methods.clear();
        account.charges.clear();
        account.refunds.clear();
        account.disputes.clear();
        account.events.clear();
        account.event_order.clear();
        account.idempotency.clear();
        account.confirmation_tokens.clear();
        account.checkout_sessions.clear();
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
    let (faults, seed) = match faults_of(&Params(&params)) {
        Ok(f) => f,
        Err(e) => return respond(Outcome::error(e), "req_sim", &headers),
    };
    control(&sim, &headers, || {
        sim.set_faults(faults.clone(), seed);
        json!(faults)
    })
}

/// The longest delay a fault may add, in milliseconds: ten minutes.
const MAX_FAULT_DELAY_MS: u64 = 600_000;

/// The faults a `POST /_sim/faults` asks for (absent ones are off), and its `seed`. Rates are
/// shares from 0 to 1, delays at most ten minutes; anything else is refused.
fn faults_of(p: &Params) -> Result<(Faults, Option<u64>), ApiError> {
    p.only(&[
        "latency_ms",
        "failure_rate",
        "failure_kind",
        "failure_path",
        "webhook_drop_rate",
        "webhook_duplicate_rate",
        "webhook_delay_ms",
        "webhook_shuffle_ms",
        "webhook_loss_rate",
        "seed",
    ])?;
    let rate = |k: &str| match p.str(k) {
        None => Ok(0.0),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| {
                ApiError::invalid(format!("{k} must be a number from 0 to 1.")).param(k)
            }),
    };
    let delay = |k: &str| match p.str(k) {
        None => Ok(0),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|ms| (0.0..=MAX_FAULT_DELAY_MS as f64).contains(ms))
            .map(|ms| ms as u64)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "{k} must be a number of milliseconds from 0 to {MAX_FAULT_DELAY_MS}."
                ))
                .param(k)
            }),
    };
    let failure_kind = p
        .one_of("failure_kind", &["500", "429", "409", "drop"])?
        .unwrap_or_else(|| "500".into());
    let seed = match p.str("seed") {
        None => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            ApiError::invalid("seed must be a whole number from 0 to 2^64 - 1.").param("seed")
        })?),
    };
    let faults = Faults {
        latency_ms: delay("latency_ms")?,
        failure_rate: rate("failure_rate")?,
        failure_kind,
        failure_path: p.str("failure_path").unwrap_or_default().to_string(),
        webhook_drop_rate: rate("webhook_drop_rate")?,
        webhook_duplicate_rate: rate("webhook_duplicate_rate")?,
        webhook_delay_ms: delay("webhook_delay_ms")?,
        webhook_shuffle_ms: delay("webhook_shuffle_ms")?,
        webhook_loss_rate: rate("webhook_loss_rate")?,
    };
    Ok((faults, seed))
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
