//! Payment events applied to orders: each one once, in one transaction.

use super::orders::{NewTimelineEntry, OrderItemRow, OrderRow, ORDER_COLUMNS};
use crate::domain::order::{Applied, OrderState, OrderStatus};
use crate::model::admin::TimelineKind;
use sqlx::types::Json;
use sqlx::{SqliteConnection, SqlitePool};

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

async fn order_where(
    conn: &mut SqliteConnection,
    column: &str,
    value: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE {column} = ?"
    ))
    .bind(value)
    .fetch_optional(conn)
    .await
}

/// Records a Stripe event and applies it to its order in one transaction: a duplicate finds the
/// event id already recorded and changes nothing; a crash leaves either all of it or none.
/// When the order becomes paid, its stock is taken (once) and its cart emptied.
pub async fn apply_stripe_event(
    pool: &SqlitePool,
    event_id: &str,
    event_type: &str,
    payment_intent_id: Option<&str>,
    order_hint: Option<&str>,
    apply: impl FnOnce(&mut OrderState) -> (Applied, String),
) -> Result<WebhookOutcome, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let by_payment_intent = match payment_intent_id {
        Some(pi) => order_where(&mut tx, "payment_intent_id", pi).await?,
        None => None,
    };
    // A PaymentIntent created before its id was stored: find the order by its metadata.
    let order = match (by_payment_intent, order_hint) {
        (None, Some(id)) => order_where(&mut tx, "id", id).await?,
        (found, _) => found,
    };
    let inserted = sqlx::query("INSERT INTO webhook_events (id, type, order_id) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
        .bind(event_id)
        .bind(event_type)
        .bind(order.as_ref().map(|o| o.id.as_str()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        tx.commit().await?;
        return Ok(WebhookOutcome::Duplicate);
    }
    let Some(order) = order else {
        tx.commit().await?;
        return Ok(WebhookOutcome::NoOrder);
    };
    let mut state = order.state.0.clone();
    let before = state.status();
    let (applied, detail) = apply(&mut state);
    let after = state.status();
    let (kind, changed) = match &applied {
        Applied::Changed => (TimelineKind::StripeEvent, true),
        Applied::Ignored(_) => (TimelineKind::StripeEventIgnored, false),
        Applied::Mismatch { .. } => (TimelineKind::AmountMismatch, true),
    };
    let detail = match &applied {
        Applied::Ignored(why) => format!("{detail} (not applied: {why})"),
        Applied::Mismatch { expected, received } => {
            format!("{detail}: received {received}, order total {expected}; not fulfilled, needs review")
        }
        Applied::Changed => detail,
    };
    NewTimelineEntry {
        order_id: &order.id,
        kind,
        stripe_event_id: Some(event_id),
        old_status: Some(before),
        new_status: Some(after),
        detail: &detail,
    }
    .insert(&mut tx)
    .await?;
    if changed {
        sqlx::query(
            "UPDATE orders SET status = ?, state = ?, updated_at = unixepoch() WHERE id = ?",
        )
        .bind(after)
        .bind(Json(&state))
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
        if after.fulfils() {
            commit_stock(&mut tx, &order).await?;
        }
    }
    tx.commit().await?;
    Ok(WebhookOutcome::Order {
        order_id: order.id,
        status: after,
        changed,
    })
}

/// Takes the order's items out of stock and empties its cart, once per order.
async fn commit_stock(tx: &mut SqliteConnection, order: &OrderRow) -> Result<(), sqlx::Error> {
    let first =
        sqlx::query("UPDATE orders SET stock_committed = 1 WHERE id = ? AND stock_committed = 0")
            .bind(&order.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if first == 0 {
        return Ok(());
    }
    let items: Vec<OrderItemRow> = sqlx::query_as(
        "SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = ?",
    )
    .bind(&order.id)
    .fetch_all(&mut *tx)
    .await?;
    for item in &items {
        let short: Option<i64> = sqlx::query_scalar(
            "UPDATE products SET stock = max(stock - ?1, 0) WHERE id = ?2 RETURNING stock",
        )
        .bind(item.quantity)
        .bind(item.product_id)
        .fetch_optional(&mut *tx)
        .await?;
        if short == Some(0) {
            tracing::warn!(order = %order.id, product = item.product_id, "stock ran out with this order");
        }
    }
    NewTimelineEntry::note(
        &order.id,
        TimelineKind::Fulfilment,
        "Stock taken and cart emptied",
    )
    .insert(tx)
    .await?;
    sqlx::query("DELETE FROM cart_items WHERE cart_id = ?")
        .bind(&order.cart_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
