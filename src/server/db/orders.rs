//! Orders, their items and their timeline.

use crate::domain::cart::Cart;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderState, OrderStatus};
use crate::model::admin::{TimelineEntry, TimelineKind};
use sqlx::types::Json;
use sqlx::{SqliteConnection, SqlitePool};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub cart_id: String,
    pub email: String,
    pub status: OrderStatus,
    pub currency: Currency,
    pub total_minor: i64,
    pub payment_intent_id: Option<String>,
    pub state: Json<OrderState>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrderRow {
    pub fn total(&self) -> Money {
        Money::new(self.total_minor, self.currency.clone())
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderItemRow {
    pub product_id: i64,
    pub name: String,
    pub unit_price_minor: i64,
    pub quantity: i64,
}

pub(super) const ORDER_COLUMNS: &str =
    "id, cart_id, email, status, currency, total_minor, payment_intent_id, state, created_at, updated_at";

/// The cart's order that can still be paid (and so still follow the cart), if any.
pub async fn open_order_for_cart(
    pool: &SqlitePool,
    cart_id: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE cart_id = ? AND status IN ('pending', 'payment_failed', 'processing')
         ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(cart_id)
    .fetch_optional(pool)
    .await
}

pub async fn order_by_id(pool: &SqlitePool, id: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn order_items(
    pool: &SqlitePool,
    order_id: &str,
) -> Result<Vec<OrderItemRow>, sqlx::Error> {
    sqlx::query_as("SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = ? ORDER BY rowid")
        .bind(order_id)
        .fetch_all(pool)
        .await
}

pub async fn order_timeline(
    pool: &SqlitePool,
    order_id: &str,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, kind, stripe_event_id, old_status, new_status, detail FROM order_events
         WHERE order_id = ? ORDER BY id DESC",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// Writes an order (new, or the cart's open one brought up to date) with its items, priced
/// from `lines` as they are now, in one transaction.
pub async fn save_order(
    pool: &SqlitePool,
    order_id: &str,
    cart_id: &str,
    email: &str,
    cart: &Cart,
    total: &Money,
    is_new: bool,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if is_new {
        sqlx::query("INSERT INTO orders (id, cart_id, email, status, currency, total_minor, state) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(order_id)
            .bind(cart_id)
            .bind(email)
            .bind(OrderStatus::Pending)
            .bind(&total.currency)
            .bind(total.minor)
            .bind(Json(OrderState::new(total.clone())))
            .execute(&mut *tx)
            .await?;
        NewTimelineEntry {
            new_status: Some(OrderStatus::Pending),
            ..NewTimelineEntry::note(
                order_id,
                TimelineKind::Created,
                &format!("Order placed for {total}"),
            )
        }
        .insert(&mut tx)
        .await?;
    } else {
        let row: OrderRow =
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
        let mut state = row.state.0.clone();
        state.total = total.clone();
        sqlx::query("UPDATE orders SET email = ?, total_minor = ?, currency = ?, state = ?, updated_at = unixepoch() WHERE id = ?")
            .bind(email)
            .bind(total.minor)
            .bind(&total.currency)
            .bind(Json(state))
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        if row.total_minor != total.minor || row.email != email {
            NewTimelineEntry::note(
                order_id,
                TimelineKind::Updated,
                &format!("Cart changed: total now {total}"),
            )
            .insert(&mut tx)
            .await?;
        }
        sqlx::query("DELETE FROM order_items WHERE order_id = ?")
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
    }
    for line in &cart.lines {
        sqlx::query("INSERT INTO order_items (order_id, product_id, name, unit_price_minor, quantity) VALUES (?, ?, ?, ?, ?)")
            .bind(order_id)
            .bind(line.product_id)
            .bind(&line.name)
            .bind(line.unit_price.minor)
            .bind(line.quantity)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

pub async fn set_payment_intent(
    pool: &SqlitePool,
    order_id: &str,
    payment_intent_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET payment_intent_id = ?, updated_at = unixepoch() WHERE id = ? AND payment_intent_id IS NULL")
        .bind(payment_intent_id)
        .bind(order_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A line to add to an order's timeline (`order_events`).
pub(super) struct NewTimelineEntry<'a> {
    pub order_id: &'a str,
    pub kind: TimelineKind,
    pub stripe_event_id: Option<&'a str>,
    pub old_status: Option<OrderStatus>,
    pub new_status: Option<OrderStatus>,
    pub detail: &'a str,
}

impl<'a> NewTimelineEntry<'a> {
    /// An entry that changes no status and comes from no Stripe event.
    pub fn note(order_id: &'a str, kind: TimelineKind, detail: &'a str) -> Self {
        NewTimelineEntry {
            order_id,
            kind,
            stripe_event_id: None,
            old_status: None,
            new_status: None,
            detail,
        }
    }

    pub async fn insert(self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO order_events (order_id, kind, stripe_event_id, old_status, new_status, detail) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(self.order_id)
            .bind(self.kind)
            .bind(self.stripe_event_id)
            .bind(self.old_status)
            .bind(self.new_status)
            .bind(self.detail)
            .execute(conn)
            .await?;
        Ok(())
    }
}
