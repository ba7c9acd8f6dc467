//! Orders converge to what Stripe knows, whatever happens to webhooks, the network or this
//! process. A background task, every `RECONCILE_INTERVAL_SECONDS`:
//! - cancels unpaid orders whose hold ran out (their PaymentIntent, if Pay made one, canceled
//!   as `abandoned`; their items back on sale);
//! - reads Stripe's events since the last cursor (kept in the database) and applies them
//!   exactly as the webhook does: an event already received is a duplicate and changes nothing;
//! - reads back the PaymentIntent (with its refunds and disputes) of every unsettled order
//!   unchanged for `RECONCILE_STALE_SECONDS`, and sends again every payment attempt whose
//!   answer never came (with its key: Stripe answers what it did the first time).
//!
//! The order page and the admin's "Refresh from Stripe" read one order back on demand.

use super::db::{self, OrderRow, Origin};
use super::stripe::client::StripeError;
use super::{sync, AppState};
use crate::domain::gateway::Gateway;
use crate::domain::order::{OrderStatus, PaymentEvent};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Orders handled per sweep; the rest wait for the next one.
const BATCH: i64 = 50;
/// How far back the first events sweep reads (Stripe keeps events 30 days).
const FIRST_LOOK_BACK: i64 = 3 * 86_400;
/// Events of the same second as the cursor are read again (deduplicated by id).
const OVERLAP: i64 = 60;

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub expired: usize,
    pub events_read: usize,
    pub orders_checked: usize,
}

/// When each order was last read back, so a stale order is not read every round.
#[derive(Default)]
pub struct Reconciler {
    checked: Mutex<HashMap<String, i64>>,
}

/// Runs rounds for ever (the server's background task).
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(state.config.orders.reconcile_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let round = run_once(&state, sync::now()).await;
            if round != Round::default() {
                tracing::info!(?round, "reconciliation round");
            }
        }
    })
}

/// One round; each part goes on when another fails (it is logged and retried next round).
pub async fn run_once(state: &AppState, now: i64) -> Round {
    let mut round = Round::default();
    match expire(state, now).await {
        Ok(n) => round.expired = n,
        Err(e) => tracing::warn!(error = %e, "expiring orders"),
    }
    // "Find my order" links that no longer work are of no use to keep.
    if let Err(e) = super::db::forget_expired_links(&state.pool, now).await {
        tracing::warn!(error = %e, "forgetting expired order links");
    }
    match read_events(state, now).await {
        Ok(n) => round.events_read = n,
        Err(e) => tracing::warn!(error = %e, "reading Stripe's events"),
    }
    match check_unsettled(state, now).await {
        Ok(n) => round.orders_checked = n,
        Err(e) => tracing::warn!(error = %e, "checking unsettled orders"),
    }
    round
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("Stripe: {0}")]
    Stripe(#[from] StripeError),
    #[error("{0}")]
    PayPal(#[from] super::paypal::client::PayPalError),
}

/// Cancels unpaid orders past their hold. A PaymentIntent Stripe will not cancel (it is
/// processing or succeeded) is read back instead: the payment wins.
pub async fn expire(state: &AppState, now: i64) -> Result<usize, SyncError> {
    let orders = db::expired_orders(&state.pool, now, BATCH).await?;
    for order in &orders {
        if order.gateway == Gateway::Paypal {
            // One PayPal order PayPal (or Stripe) will not answer about does not hold back the
            // others' expiry: it is tried again next round.
            if let Err(e) = super::paypal::expire(state, order, now).await {
                tracing::warn!(order = %order.id, error = %e, "expiring a PayPal order");
            }
            continue;
        }
        // Not while the shopper's Pay is running; and a payment whose answer was lost is
        // known before anything is canceled.
        let _one_at_a_time = state.cart_locks.lock(&order.cart_id).await;
        if let Err(e) = super::checkout::settle_attempts_in_doubt(state, order).await {
            tracing::warn!(order = %order.id, error = %e, "not expired: a payment attempt is still in doubt");
            continue;
        }
        let Some(order) = db::order_by_id(&state.pool, &order.id)
            .await?
            .filter(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::PaymentFailed))
        else {
            continue;
        };
        let order = &order;
        match cancel_retired_payments(state, order, now).await {
            Ok(true) => {}
            // One of them was paid meanwhile: the payment is applied and wins over the expiry.
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, "not expired: an earlier payment could not be canceled");
                continue;
            }
        }
        if let (None, Some(session)) = (&order.payment_intent_id, &order.checkout_session_id) {
            // Stripe's hosted Checkout: its session is expired with the hold (its
            // `checkout.session.expired` cancels the order), unless the shopper paid it.
            let key = format!("order-{}-expire-checkout", order.id);
            match state
                .payments
                .stripe
                .expire_checkout_session(session, &key)
                .await
            {
                Ok(expired) => {
                    sync::apply_object(state, &expired, now, Origin::Checkout).await?;
                }
                Err(e) if e.refused() => refresh(state, order, now).await?,
                Err(e) => return Err(e.into()),
            }
            continue;
        }
        let Some(pi) = &order.payment_intent_id else {
            cancel_locally(state, order, now).await?;
            continue;
        };
        let key = format!("order-{}-expire", order.id);
        match state
            .payments
            .stripe
            .cancel_payment_intent(pi, "abandoned", &key)
            .await
        {
            Ok(canceled) => {
                sync::apply_object(state, &canceled, now, Origin::Checkout).await?;
            }
            Err(e) if e.refused() => {
                tracing::info!(order = %order.id, error = %e, "not canceled at Stripe; reading it back");
                refresh(state, order, now).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(orders.len())
}

/// Before an order expires, every earlier PaymentIntent of it (one an order change retired,
/// whose cancellation at Stripe got no answer or was cut short by a crash) is canceled too, so
/// no payment a shopper holds the client secret of outlives its order. `false` when one of
/// them was paid or is processing meanwhile: it is applied (the payment wins, as for the
/// current one). An error leaves the order for the next round.
async fn cancel_retired_payments(
    state: &AppState,
    order: &OrderRow,
    now: i64,
) -> Result<bool, SyncError> {
    let attempts = db::attempts_of(&state.pool, &order.id).await?;
    let mut retired: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a.payment_intent_id.as_deref())
        .filter(|pi| Some(*pi) != order.payment_intent_id.as_deref())
        .collect();
    retired.sort_unstable();
    retired.dedup();
    for pi in retired {
        let object = state.payments.stripe.payment_intent_object(pi).await?;
        match object["status"].as_str().unwrap_or_default() {
            "canceled" => {}
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {
                let key = format!("order-{}-expire-{pi}", order.id);
                match state
                    .payments
                    .stripe
                    .cancel_payment_intent(pi, "abandoned", &key)
                    .await
                {
                    Ok(_) => {}
                    Err(e) if e.refused() => {
                        // Paid or confirmed meanwhile: read it back, as for the current one.
                        let object = state.payments.stripe.payment_intent_object(pi).await?;
                        sync::apply_object(state, &object, now, Origin::Checkout).await?;
                        return Ok(false);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            _ => {
                sync::apply_object(state, &object, now, Origin::Checkout).await?;
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// An order that never got its PaymentIntent: nothing to cancel at Stripe.
async fn cancel_locally(state: &AppState, order: &OrderRow, now: i64) -> Result<(), SyncError> {
    let event_id = format!("local_expiry_{}", order.id);
    let fact = db::PaymentFact {
        event_id: &event_id,
        event_type: "checkout.expired",
        gateway: order.gateway,
        reference: None,
        order_hint: Some(&order.id),
        origin: Origin::Checkout,
    };
    let outcome = db::apply_stripe_event(&state.pool, fact, |s| {
        (
            s.apply(&PaymentEvent::Canceled, now),
            "Checkout expired before payment".into(),
        )
    })
    .await?;
    super::live::publish(state, &outcome);
    Ok(())
}

/// Reads Stripe's events since the stored cursor and applies each (oldest first).
pub async fn read_events(state: &AppState, now: i64) -> Result<usize, SyncError> {
    let cursor = db::sync_value(&state.pool, "events_cursor")
        .await?
        .unwrap_or(now - FIRST_LOOK_BACK);
    let mut params: Vec<(String, String)> = vec![
        ("created[gte]".into(), (cursor - OVERLAP).to_string()),
        ("limit".into(), "100".into()),
    ];
    params.extend(
        sync::EVENT_TYPES
            .iter()
            .map(|t| ("types[]".to_string(), t.to_string())),
    );
    let mut events: Vec<Value> = Vec::new();
    loop {
        let page = state.payments.stripe.list("/v1/events", &params).await?;
        let last = page
            .data
            .last()
            .and_then(|e| e["id"].as_str())
            .map(str::to_string);
        events.extend(page.data);
        match (page.has_more, last) {
            (true, Some(last)) => {
                params.retain(|(k, _)| k != "starting_after");
                params.push(("starting_after".into(), last));
            }
            _ => break,
        }
    }
    // Newest first from Stripe; applied in the order they happened.
    let mut newest = cursor;
    for event in events.iter().rev() {
        sync::apply_event(state, event, now, Origin::Reconciled).await?;
        newest = newest.max(event["created"].as_i64().unwrap_or(cursor));
    }
    db::set_sync_value(&state.pool, "events_cursor", newest).await?;
    Ok(events.len())
}

/// Reads back unsettled orders unchanged for a while (each at most once per staleness period).
pub async fn check_unsettled(state: &AppState, now: i64) -> Result<usize, SyncError> {
    let stale = state.config.orders.stale_after.as_secs() as i64;
    let orders = db::unsettled_orders(&state.pool, now - stale, BATCH).await?;
    let due: Vec<&OrderRow> = {
        let mut checked = state
            .reconciler
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        checked.retain(|_, at| *at > now - stale);
        orders
            .iter()
            .filter(|o| checked.insert(o.id.clone(), now).is_none())
            .collect()
    };
    // One order Stripe or PayPal does not answer for does not hold up the others; it is marked
    // unchecked again, so the next run tries it first thing rather than a stale period later.
    let mut first_error = None;
    for order in &due {
        if let Err(e) = refresh(state, order, now).await {
            tracing::warn!(order = %order.id, error = %e, "reading an order back failed");
            state
                .reconciler
                .checked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&order.id);
            first_error.get_or_insert(e);
        }
    }
    // Payments whose answer never came back (the shopper may have left): sent again.
    let mut settled = 0;
    for order_id in db::orders_in_doubt(&state.pool, now - stale.min(60), BATCH).await? {
        let Some(order) = db::order_by_id(&state.pool, &order_id).await? else {
            continue;
        };
        let _one_at_a_time = state.cart_locks.lock(&order.cart_id).await;
        match super::checkout::settle_attempts_in_doubt(state, &order).await {
            Ok(()) => settled += 1,
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, "an attempt in doubt is still in doubt");
                first_error.get_or_insert(e.into());
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(due.len() + settled),
    }
}

/// Reads one order's PaymentIntent, refunds and disputes back from Stripe and applies them.
pub async fn refresh(state: &AppState, order: &OrderRow, now: i64) -> Result<(), SyncError> {
    if order.gateway == Gateway::Paypal {
        return Ok(super::paypal::refresh(state, order, now).await?);
    }
    let stripe = &state.payments.stripe;
    if let (None, Some(session)) = (&order.payment_intent_id, &order.checkout_session_id) {
        // Stripe's hosted Checkout, not paid (as far as we know): its session says.
        let session = stripe.checkout_session(session).await?;
        sync::apply_object(state, &session, now, Origin::Reconciled).await?;
        if session["payment_intent"].is_string() {
            if let Some(order) = db::order_by_id(&state.pool, &order.id).await? {
                if order.payment_intent_id.is_some() {
                    return Box::pin(refresh(state, &order, now)).await;
                }
            }
        }
        return Ok(());
    }
    let Some(pi) = &order.payment_intent_id else {
        return Ok(());
    };
    let intent = stripe.payment_intent_object(pi).await?;
    sync::apply_object(state, &intent, now, Origin::Reconciled).await?;
    let by_pi = [
        ("payment_intent".to_string(), pi.clone()),
        ("limit".to_string(), "100".to_string()),
    ];
    for refund in stripe.list("/v1/refunds", &by_pi).await?.data {
        if let (Some(attempt), Some(id)) = (
            refund["metadata"]["attempt"].as_str(),
            refund["id"].as_str(),
        ) {
            db::match_refund(&state.pool, attempt, id).await?;
        }
        sync::apply_object(state, &refund, now, Origin::Reconciled).await?;
    }
    if intent["latest_charge"].is_string() {
        match stripe.list("/v1/disputes", &by_pi).await {
            Ok(disputes) => {
                for dispute in disputes.data {
                    sync::apply_object(state, &dispute, now, Origin::Reconciled).await?;
                }
            }
            Err(e) => tracing::debug!(error = %e, "disputes list unavailable"),
        }
    }
    Ok(())
}

/// Reads an order back now, unless it was read in the last `min_gap` seconds (shoppers'
/// refreshes are rate-limited this way; the admin passes 0).
pub async fn refresh_order(
    state: &AppState,
    order_id: &str,
    min_gap: i64,
) -> Result<(), SyncError> {
    let now = sync::now();
    {
        let mut checked = state
            .reconciler
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if checked.get(order_id).is_some_and(|at| *at > now - min_gap) {
            return Ok(());
        }
        checked.insert(order_id.to_string(), now);
    }
    match db::order_by_id(&state.pool, order_id).await? {
        Some(order) => refresh(state, &order, now).await,
        None => Ok(()),
    }
}
