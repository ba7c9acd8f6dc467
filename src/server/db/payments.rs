//! Payment events applied to orders: each one once, in one transaction.

use super::orders::{
    release_hold, NewTimelineEntry, OrderItemRow, OrderRow, StockHold, ORDER_COLUMNS,
};
use super::Json;
use crate::domain::gateway::Gateway;
use crate::domain::order::{Applied, OrderState, OrderStatus};
use crate::domain::receipts;
use crate::model::admin::TimelineKind;
use sqlx::{AnyConnection, AnyPool};

/// What processing one Stripe event did.
#[derive(Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Seen before: nothing changed.
    Duplicate,
    /// No order is concerned (recorded, acknowledged).
    NoOrder,
    /// Applied to an order (maybe as a timeline entry only); its status after.
    Order {
        order_id: String,
        status: OrderStatus,
        changed: bool,
    },
}

/// The order a gateway's payment reference belongs to.
async fn order_by_reference(
    conn: &mut AnyConnection,
    gateway: Gateway,
    reference: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    match gateway {
        Gateway::Stripe => match order_where(&mut *conn, "payment_intent_id", reference).await? {
            Some(order) => Ok(Some(order)),
            // An earlier attempt's PaymentIntent (declined, abandoned, or retired by a revision).
            None => {
                sqlx::query_as(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE id = (SELECT order_id FROM payment_attempts WHERE payment_intent_id = $1)"
                ))
                .bind(reference)
                .fetch_optional(conn)
                .await
            }
        },
        Gateway::Paypal => {
            sqlx::query_as(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE gateway = 'paypal' AND (gateway_ref = $1 OR gateway_payment_ref = $1)"
            ))
            .bind(reference)
            .fetch_optional(conn)
            .await
        }
    }
}

async fn order_where(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(conn)
    .await
}

/// Where a fact about a payment comes from, and what it concerns (any gateway).
#[derive(Clone, Copy, Debug)]
pub struct PaymentFact<'a> {
    /// Stripe's event id (`evt_…`), or a stable id for what reconciliation observed.
    pub event_id: &'a str,
    pub event_type: &'a str,
    /// The gateway that says it.
    pub gateway: Gateway,
    /// The gateway's reference of the payment: Stripe's PaymentIntent, PayPal's order.
    pub reference: Option<&'a str>,
    /// Our order id, as the gateway carries it (metadata, custom_id).
    pub order_hint: Option<&'a str>,
    pub origin: Origin,
}

/// How a fact reached the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A verified webhook: recorded in the timeline even when it changes nothing.
    Webhook,
    /// Read back from Stripe's API because its webhook has not come: recorded only when it
    /// changes the order, and then as a correction (logged, counted).
    Reconciled,
    /// The checkout's own doing (a new attempt, an expired hold): recorded when it changes
    /// the order.
    Checkout,
}

/// Records a Stripe event and applies it to its order in one transaction: a duplicate finds the
/// event id already recorded and changes nothing; a crash leaves either all of it or none.
/// When the order becomes paid its held stock is sold (taken, if nothing was held) and its items
/// leave the cart; when it is canceled its hold goes back on sale.
pub async fn apply_stripe_event(
    pool: &AnyPool,
    fact: PaymentFact<'_>,
    apply: impl FnOnce(&mut OrderState) -> (Applied, String),
) -> Result<WebhookOutcome, sqlx::Error> {
    // Queued in-process behind the other writers of this database (see `write_turn`), held
    // until the transaction has committed or rolled back.
    let mut tx = super::begin_write(pool).await?;
    let (outcome, keep) = apply_in(&mut tx, fact, apply).await?;
    if keep {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

/// What `apply_stripe_event` does inside its transaction (or inside one savepoint of a batch,
/// see `Writer`). Returns the outcome and whether what it wrote is to be kept: a fact that only
/// confirms the order, from anywhere but a webhook, is not even recorded.
pub(super) async fn apply_in(
    tx: &mut AnyConnection,
    fact: PaymentFact<'_>,
    apply: impl FnOnce(&mut OrderState) -> (Applied, String),
) -> Result<(WebhookOutcome, bool), sqlx::Error> {
    let PaymentFact {
        event_id,
        event_type,
        gateway,
        reference,
        order_hint,
        origin,
    } = fact;
    let reconciled = origin == Origin::Reconciled;
    let by_reference = match reference {
        Some(r) => order_by_reference(&mut *tx, gateway, r).await?,
        None => None,
    };
    // A payment created before its reference was stored: find the order by the id the gateway
    // carries, but never an order that belongs to another payment.
    let found_by_reference = by_reference.is_some();
    let order = match (by_reference, order_hint) {
        (None, Some(id)) => order_where(&mut *tx, "id", id).await?.filter(|o| {
            let own = o.reference(gateway);
            let theirs = own.is_none() || own == reference;
            if !theirs {
                tracing::warn!(event = %event_id, order = %o.id, "event names an order of another payment; ignored");
            }
            theirs
        }),
        (found, _) => found,
    };
    // A card payment whose answer never reached us (its attempt is in doubt) is named by its
    // own events first: it becomes the order's current PaymentIntent.
    if let (Some(order), Some(pi), false, Gateway::Stripe) =
        (&order, reference, found_by_reference, gateway)
    {
        if order.gateway == Gateway::Stripe && order.payment_intent_id.is_none() {
            link_payment_intent(&mut *tx, &order.id, pi).await?;
        }
    }
    let inserted = sqlx::query("INSERT INTO webhook_events (id, type, order_id, gateway) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
        .bind(event_id)
        .bind(event_type)
        .bind(order.as_ref().map(|o| o.id.as_str()))
        .bind(gateway)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Ok((WebhookOutcome::Duplicate, true));
    }
    let Some(order) = order else {
        return Ok((WebhookOutcome::NoOrder, true));
    };
    let mut state = order.state.0.clone();
    let before = state.status();
    // Another gateway's, or an earlier card attempt's PaymentIntent (found through its attempt
    // while the order has another, or none yet).
    let listens = gateway == order.gateway
        && (gateway != Gateway::Stripe
            || !found_by_reference
            || order.payment_intent_id.as_deref() == reference);
    let (applied, detail) = if !listens {
        // The order moved to another gateway (the shopper chose PayPal after the card form was
        // made, or back) or to another attempt: what the old payment says no longer moves it,
        // unless money was taken, which is never ignored.
        let mut probe = state.clone();
        let (applied, detail) = apply(&mut probe);
        if probe.payment == crate::domain::order::Payment::Succeeded
            && state.payment != crate::domain::order::Payment::Succeeded
        {
            tracing::error!(order = %order.id, event = %event_id, "paid through a payment the order no longer uses");
            if gateway == Gateway::Stripe && order.gateway == Gateway::Stripe {
                // Refunds go to the payment that took the money.
                if let Some(pi) = reference {
                    sqlx::query("UPDATE orders SET payment_intent_id = $1 WHERE id = $2")
                        .bind(pi)
                        .bind(&order.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            state = probe;
            (applied, detail)
        } else {
            let why = if gateway != order.gateway {
                "the order is paid through another gateway now"
            } else {
                "the order is paid through another attempt now"
            };
            (Applied::Ignored(why), detail)
        }
    } else {
        apply(&mut state)
    };
    let after = state.status();
    let (kind, changed) = match &applied {
        Applied::Changed => (TimelineKind::StripeEvent, true),
        Applied::Ignored(_) => (TimelineKind::StripeEventIgnored, false),
        Applied::Mismatch { .. } => (TimelineKind::AmountMismatch, true),
    };
    if origin != Origin::Webhook && !changed {
        // Stripe agrees with the order: nothing to record.
        return Ok((
            WebhookOutcome::Order {
                order_id: order.id,
                status: before,
                changed: false,
            },
            false,
        ));
    }
    let kind = if reconciled {
        TimelineKind::Reconciled
    } else {
        kind
    };
    let detail = match &applied {
        Applied::Ignored(why) => format!("{detail} (not applied: {why})"),
        Applied::Mismatch { expected, received } => {
            format!("{detail}: received {received}, order total {expected}; not fulfilled, needs review")
        }
        Applied::Changed => detail,
    };
    let detail = if reconciled {
        tracing::warn!(order = %order.id, %detail, "webhook missing: order corrected from Stripe");
        sqlx::query(
            "INSERT INTO sync_state (name, value) VALUES ('reconciled_corrections', 1)
                     ON CONFLICT (name) DO UPDATE SET value = sync_state.value + 1",
        )
        .execute(&mut *tx)
        .await?;
        format!("Webhook missing, reconciled: {detail}")
    } else {
        detail
    };
    NewTimelineEntry {
        order_id: &order.id,
        kind,
        stripe_event_id: Some(event_id),
        old_status: Some(before),
        new_status: Some(after),
        detail: &detail,
    }
    .insert(&mut *tx)
    .await?;
    if changed {
        sqlx::query(
            "UPDATE orders SET status = $1, state = $2, updated_at = unixepoch() WHERE id = $3",
        )
        .bind(after)
        .bind(Json(&state))
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
        // The emails this change calls for, in the same transaction (the outbox).
        for (change, trigger) in receipts::messages_for(&order.state.0, &state, event_id) {
            super::outbox::queue_for_order(&mut *tx, &order, &change, trigger).await?;
        }
        if after.fulfils() {
            sell_stock(&mut *tx, &order).await?;
        } else if after == OrderStatus::Canceled && release_hold(&mut *tx, &order).await? {
            NewTimelineEntry::note(
                &order.id,
                TimelineKind::Fulfilment,
                "Hold released: items back on sale",
            )
            .insert(&mut *tx)
            .await?;
        }
    }
    Ok((
        WebhookOutcome::Order {
            order_id: order.id,
            status: after,
            changed,
        },
        true,
    ))
}

/// Makes `pi` the order's current PaymentIntent, and the one of its attempt in doubt.
async fn link_payment_intent(
    tx: &mut AnyConnection,
    order_id: &str,
    pi: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET payment_intent_id = $1 WHERE id = $2 AND payment_intent_id IS NULL",
    )
    .bind(pi)
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE payment_attempts SET payment_intent_id = $1
          WHERE order_id = $2 AND payment_intent_id IS NULL AND outcome = 'in_doubt'
            AND attempt = (SELECT max(attempt) FROM payment_attempts WHERE order_id = $2)
            AND NOT EXISTS (SELECT 1 FROM payment_attempts WHERE payment_intent_id = $1)",
    )
    .bind(pi)
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sells the order's items, once per order: a hold becomes a sale; without a hold (released
/// by expiry before a late payment, or an order from before holds) the items are taken now, and
/// what is no longer there is flagged as oversold. The items leave the shopper's cart.
async fn sell_stock(tx: &mut AnyConnection, order: &OrderRow) -> Result<(), sqlx::Error> {
    let hold: StockHold = sqlx::query_scalar("SELECT stock_hold FROM orders WHERE id = $1")
        .bind(&order.id)
        .fetch_one(&mut *tx)
        .await?;
    if hold == StockHold::Taken {
        return Ok(());
    }
    sqlx::query("UPDATE orders SET stock_hold = 'taken' WHERE id = $1")
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
    super::fulfilment::assign_invoice(&mut *tx, &order.id).await?;
    super::pricing::take_redemption(&mut *tx, &order.id).await?;
    let items: Vec<OrderItemRow> = sqlx::query_as(
        "SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = $1",
    )
    .bind(&order.id)
    .fetch_all(&mut *tx)
    .await?;
    let mut short = Vec::new();
    if hold != StockHold::Held {
        for item in &items {
            let taken =
                sqlx::query("UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1")
                    .bind(item.quantity)
                    .bind(item.product_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if taken == 0 {
                sqlx::query("UPDATE products SET stock = 0 WHERE id = $1")
                    .bind(item.product_id)
                    .execute(&mut *tx)
                    .await?;
                short.push(item.name.as_str());
            }
        }
    }
    let detail = if short.is_empty() {
        "Stock sold and items removed from the cart".to_string()
    } else {
        tracing::warn!(order = %order.id, items = ?short, "paid after its hold was released: oversold");
        sqlx::query("UPDATE orders SET oversold = 1 WHERE id = $1")
            .bind(&order.id)
            .execute(&mut *tx)
            .await?;
        format!(
            "OVERSOLD: paid after its hold ran out, and not enough stock left of {}",
            short.join(", ")
        )
    };
    NewTimelineEntry::note(&order.id, TimelineKind::Fulfilment, &detail)
        .insert(tx)
        .await?;
    sqlx::query("DELETE FROM cart_items WHERE cart_id = $1 AND product_id IN (SELECT product_id FROM order_items WHERE order_id = $2)")
        .bind(&order.cart_id)
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
