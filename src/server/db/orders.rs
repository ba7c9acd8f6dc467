//! Orders, their items and their timeline.

use super::Json;
use crate::domain::address::Address;
use crate::domain::cart::Cart;
use crate::domain::gateway::Gateway;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderState, OrderStatus};
use crate::domain::pricing::Breakdown;
use crate::error::AppError;
use crate::model::admin::{TimelineEntry, TimelineKind};
use sqlx::{AnyConnection, AnyPool};

/// Where an order's items stand against the stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Deserialize)]
#[sqlx(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum StockHold {
    /// Nothing held (orders placed before holds existed).
    None,
    /// Taken out of stock for this order until it is paid, canceled or expires.
    Held,
    /// Sold.
    Taken,
    /// Given back: the order was canceled or expired.
    Released,
}

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
    pub stock_hold: StockHold,
    /// Bumped whenever the order changes; Pay must name the current one, and its payment
    /// attempts' keys carry it.
    pub revision: i64,
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "super::Flag")]
    pub oversold: bool,
    pub gateway: Gateway,
    /// Another gateway's order (PayPal's order id).
    pub gateway_ref: Option<String>,
    /// Another gateway's payment (PayPal's capture id).
    pub gateway_payment_ref: Option<String>,
    /// The current Stripe Checkout Session (hosted Checkout), if one was made.
    pub checkout_session_id: Option<String>,
    /// Where the goods go (orders from before addresses have none).
    pub shipping_address: Option<Json<Address>>,
    /// The rate the shopper chose.
    pub shipping_rate_id: Option<i64>,
    /// The code the shopper applied.
    pub discount_code: Option<String>,
    /// How the total was made (orders from before have none: their items are their total).
    pub pricing: Option<Json<Breakdown>>,
}

impl OrderRow {
    pub fn total(&self) -> Money {
        Money::new(self.total_minor, self.currency.clone())
    }

    pub fn address(&self) -> Option<&Address> {
        self.shipping_address.as_ref().map(|a| &a.0)
    }

    /// How the total was made: items, shipping, discount, tax.
    pub fn breakdown(&self) -> Breakdown {
        match &self.pricing {
            Some(b) => b.0.clone(),
            None => Breakdown::items_only(self.total()),
        }
    }

    /// The order's payment reference at `gateway`.
    pub fn reference(&self, gateway: Gateway) -> Option<&str> {
        match gateway {
            Gateway::Stripe => self.payment_intent_id.as_deref(),
            Gateway::Paypal if self.gateway == Gateway::Paypal => self.gateway_ref.as_deref(),
            Gateway::Paypal => None,
        }
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
    "id, cart_id, email, status, currency, total_minor, payment_intent_id, \
     state, created_at, updated_at, stock_hold, revision, expires_at, oversold, \
     gateway, gateway_ref, gateway_payment_ref, checkout_session_id, \
     shipping_address, shipping_rate_id, discount_code, pricing";

/// The cart's order that can still be paid (and so still follow the cart), if any.
pub async fn open_order_for_cart(
    pool: &AnyPool,
    cart_id: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE cart_id = $1 AND status IN ('pending', 'payment_failed', 'processing')
         ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(cart_id)
    .fetch_optional(pool)
    .await
}

pub async fn order_by_id(pool: &AnyPool, id: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn order_items(pool: &AnyPool, order_id: &str) -> Result<Vec<OrderItemRow>, sqlx::Error> {
    sqlx::query_as("SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = $1 ORDER BY rowid")
        .bind(order_id)
        .fetch_all(pool)
        .await
}

pub async fn order_timeline(
    pool: &AnyPool,
    order_id: &str,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, kind, stripe_event_id, old_status, new_status, detail FROM order_events
         WHERE order_id = $1 ORDER BY id DESC",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// What [`create_order`] did.
#[derive(Debug)]
pub enum Created {
    New(OrderRow),
    /// The cart already has an order it can pay (a second tab, a double click): use that one.
    Existing(OrderRow),
    /// A line no longer fits the stock.
    Refused(AppError),
}

/// The cart's order as it should be now.
pub struct OrderDraft<'a> {
    pub cart_id: &'a str,
    pub email: &'a str,
    pub cart: &'a Cart,
    pub address: &'a Address,
    pub shipping_rate_id: i64,
    /// The order's price; its lines are the cart's, in the same order.
    pub pricing: &'a Breakdown,
    pub code: Option<&'a super::pricing::DiscountCode>,
    /// When the hold runs out (unix seconds).
    pub expires_at: i64,
}

/// Places a new order for the cart and holds its items, in one transaction, unless the cart
/// already has an open order (looked up inside the transaction, and unique per cart).
pub async fn create_order(
    pool: &AnyPool,
    order_id: &str,
    draft: &OrderDraft<'_>,
) -> Result<Created, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if let Some(open) = open_order(&mut tx, draft.cart_id).await? {
        tx.commit().await?;
        return Ok(Created::Existing(open));
    }
    let total = &draft.pricing.total;
    sqlx::query("INSERT INTO orders (id, cart_id, email, status, currency, total_minor, state, stock_hold, expires_at, shipping_address, shipping_rate_id, discount_code, pricing) VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8, $9, $10, $11, $12)")
        .bind(order_id)
        .bind(draft.cart_id)
        .bind(draft.email)
        .bind(OrderStatus::Pending)
        .bind(&total.currency)
        .bind(total.minor)
        .bind(Json(OrderState::new(total.clone())))
        .bind(draft.expires_at)
        .bind(Json(draft.address))
        .bind(draft.shipping_rate_id)
        .bind(draft.code.map(|c| c.discount.code.as_str()))
        .bind(Json(draft.pricing))
        .execute(&mut *tx)
        .await?;
    if let Err(refused) = write_items_and_hold(&mut tx, order_id, draft).await? {
        return Ok(Created::Refused(refused));
    }
    NewTimelineEntry {
        new_status: Some(OrderStatus::Pending),
        ..NewTimelineEntry::note(
            order_id,
            TimelineKind::Created,
            &format!("Order placed for {total}; items held"),
        )
    }
    .insert(&mut tx)
    .await?;
    let row = order_in(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(Created::New(row))
}

/// Brings an open order to the cart as it is now: items, total and hold change together, and
/// the revision moves on (a page still showing the old one is refused when it pays). `Err`
/// when a line no longer fits the stock (nothing changed then).
pub async fn revise_order(
    pool: &AnyPool,
    order: &OrderRow,
    revision: i64,
    draft: &OrderDraft<'_>,
) -> Result<Result<OrderRow, AppError>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let current = order_in(&mut tx, &order.id).await?;
    if !current.status.is_open() || current.revision != order.revision {
        // Settled or revised meanwhile: the caller starts over.
        return Ok(Err(AppError::PaymentInProgress));
    }
    release_hold(&mut tx, &current).await?;
    sqlx::query("DELETE FROM order_items WHERE order_id = $1")
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
    if let Err(refused) = write_items_and_hold(&mut tx, &order.id, draft).await? {
        return Ok(Err(refused));
    }
    let total = &draft.pricing.total;
    let mut state = current.state.0.clone();
    state.total = total.clone();
    sqlx::query("UPDATE orders SET email = $1, total_minor = $2, currency = $3, state = $4, revision = $5, stock_hold = 'held', expires_at = $6, shipping_address = $7, shipping_rate_id = $8, discount_code = $9, pricing = $10, updated_at = unixepoch() WHERE id = $11")
        .bind(draft.email)
        .bind(total.minor)
        .bind(&total.currency)
        .bind(Json(state))
        .bind(revision)
        .bind(draft.expires_at)
        .bind(Json(draft.address))
        .bind(draft.shipping_rate_id)
        .bind(draft.code.map(|c| c.discount.code.as_str()))
        .bind(Json(draft.pricing))
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
    NewTimelineEntry::note(
        &order.id,
        TimelineKind::Updated,
        &format!("Order changed: total now {total} (revision {revision})"),
    )
    .insert(&mut tx)
    .await?;
    let row = order_in(&mut tx, &order.id).await?;
    tx.commit().await?;
    Ok(Ok(row))
}

/// Moves an unchanged open order's hold on (the shopper is back at checkout).
pub async fn extend_hold(
    pool: &AnyPool,
    order_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET expires_at = $1 WHERE id = $2 AND stock_hold = 'held'")
        .bind(expires_at)
        .bind(order_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Unpaid orders whose hold has run out, oldest first.
pub async fn expired_orders(
    pool: &AnyPool,
    now: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE stock_hold = 'held' AND expires_at < $1
           AND status IN ('pending', 'payment_failed') ORDER BY expires_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Orders Stripe may know more about than we do: unsettled ones with a PaymentIntent (and
/// orders with a refund not yet confirmed), unchanged since `before`, oldest first.
pub async fn unsettled_orders(
    pool: &AnyPool,
    before: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    // A pending refund is in the order's state (JSON): each backend's way to look into it.
    let pending_refund = match super::Backend::of(pool) {
        super::Backend::Sqlite => "SELECT 1 FROM json_each(orders.state, '$.refunds') AS f WHERE json_extract(f.value, '$.status') = 'pending'",
        super::Backend::Postgres => "SELECT 1 FROM jsonb_each(orders.state::jsonb -> 'refunds') AS f WHERE f.value ->> 'status' = 'pending'",
    };
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE (payment_intent_id IS NOT NULL OR gateway_ref IS NOT NULL OR checkout_session_id IS NOT NULL) AND updated_at < $1
           AND (status IN ('pending', 'payment_failed', 'processing', 'disputed')
                OR EXISTS (SELECT 1 FROM refund_requests r WHERE r.order_id = orders.id AND r.stripe_refund_id IS NULL)
                OR EXISTS ({pending_refund}))
         ORDER BY updated_at LIMIT $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

async fn open_order(
    conn: &mut AnyConnection,
    cart_id: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE cart_id = $1 AND status IN ('pending', 'payment_failed', 'processing')"
    ))
    .bind(cart_id)
    .fetch_optional(conn)
    .await
}

pub(super) async fn order_in(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<OrderRow, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
        .bind(order_id)
        .fetch_one(conn)
        .await
}

/// Writes the cart's lines as the order's items (with their share of the discount and their
/// tax) and takes each out of stock, guarded, and holds the discount code's redemption: a line
/// that no longer fits, or a code used up meanwhile, is refused (and the caller's transaction is
/// dropped, undoing it all).
async fn write_items_and_hold(
    conn: &mut AnyConnection,
    order_id: &str,
    draft: &OrderDraft<'_>,
) -> Result<Result<(), AppError>, sqlx::Error> {
    let cart: &Cart = draft.cart;
    for (i, line) in cart.lines.iter().enumerate() {
        let charge = draft.pricing.lines.get(i);
        sqlx::query("INSERT INTO order_items (order_id, product_id, name, unit_price_minor, quantity, discount_minor, tax_minor, tax_rate_bp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(order_id)
            .bind(line.product_id)
            .bind(&line.name)
            .bind(line.unit_price.minor)
            .bind(line.quantity)
            .bind(charge.map_or(0, |c| c.discount))
            .bind(charge.map_or(0, |c| c.tax))
            .bind(draft.pricing.tax_rate_bp)
            .execute(&mut *conn)
            .await?;
        let held =
            sqlx::query("UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1")
                .bind(line.quantity)
                .bind(line.product_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        if held == 0 {
            let available: i64 = sqlx::query_scalar("SELECT stock FROM products WHERE id = $1")
                .bind(line.product_id)
                .fetch_one(&mut *conn)
                .await?;
            return Ok(Err(AppError::StockChanged {
                name: line.name.clone(),
                available: available.max(0),
            }));
        }
    }
    if let Err(refused) =
        super::pricing::hold_redemption(conn, order_id, draft.email, draft.code).await?
    {
        return Ok(Err(AppError::Discount(refused)));
    }
    Ok(Ok(()))
}

/// Gives a held order's items back to the stock (once: the hold is marked released).
pub(super) async fn release_hold(
    conn: &mut AnyConnection,
    order: &OrderRow,
) -> Result<bool, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE orders SET stock_hold = 'released' WHERE id = $1 AND stock_hold = 'held'",
    )
    .bind(&order.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if released == 0 {
        return Ok(false);
    }
    super::pricing::release_redemption(conn, &order.id).await?;
    sqlx::query(
        "UPDATE products SET stock = stock + (SELECT i.quantity FROM order_items i WHERE i.order_id = $1 AND i.product_id = products.id)
         WHERE id IN (SELECT product_id FROM order_items WHERE order_id = $1)",
    )
    .bind(&order.id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Moves an open order to another gateway: a new revision (so nothing is keyed like the old
/// payment), and the old gateway's references forgotten (its events then find the order by id and
/// are ignored, but for money taken). `None` if the order was settled or revised meanwhile.
pub async fn switch_gateway(
    pool: &AnyPool,
    order: &OrderRow,
    to: Gateway,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    // To cards again, the old PaymentIntent (canceled) is forgotten and a new one made; to
    // another gateway it stays, so its late events still find the order (and are ignored).
    let switched = sqlx::query(
        "UPDATE orders SET gateway = $1, gateway_ref = NULL, gateway_payment_ref = NULL,
                payment_intent_id = CASE WHEN $1 = 'stripe' THEN NULL ELSE payment_intent_id END,
                revision = revision + 1, updated_at = unixepoch()
         WHERE id = $2 AND revision = $3 AND status IN ('pending', 'payment_failed')",
    )
    .bind(to)
    .bind(&order.id)
    .bind(order.revision)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !switched {
        return Ok(None);
    }
    let detail = match (&order.payment_intent_id, to) {
        (Some(pi), Gateway::Paypal) => format!("Paying with PayPal; card payment {pi} canceled"),
        (_, to) => format!("Paying with {}", to.label()),
    };
    NewTimelineEntry::note(&order.id, TimelineKind::Updated, &detail)
        .insert(&mut tx)
        .await?;
    let order = order_in(&mut tx, &order.id).await?;
    tx.commit().await?;
    Ok(Some(order))
}

/// Back to cards when the card payment could not be canceled (it is on its way): the
/// PaymentIntent was kept, so nothing else changes.
pub async fn undo_switch_to(
    pool: &AnyPool,
    order_id: &str,
    from: Gateway,
) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let undone = sqlx::query("UPDATE orders SET gateway = 'stripe', updated_at = unixepoch() WHERE id = $1 AND gateway = $2 AND gateway_ref IS NULL")
        .bind(order_id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if undone {
        NewTimelineEntry::note(
            order_id,
            TimelineKind::Updated,
            "Back to the card payment, which could not be canceled",
        )
        .insert(&mut tx)
        .await?;
    }
    tx.commit().await
}

/// PayPal's order for an order now paid with PayPal (set once).
pub async fn set_gateway_ref(
    pool: &AnyPool,
    order_id: &str,
    reference: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET gateway_ref = $1, updated_at = unixepoch() WHERE id = $2 AND gateway <> 'stripe' AND gateway_ref IS NULL")
        .bind(reference)
        .bind(order_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The gateway's payment (PayPal's capture), once known.
pub async fn set_gateway_payment_ref(
    pool: &AnyPool,
    order_id: &str,
    reference: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET gateway_payment_ref = $1 WHERE id = $2 AND gateway <> 'stripe' AND gateway_payment_ref IS NULL")
        .bind(reference)
        .bind(order_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The order's Checkout Session: `Some` makes it the current one, `None` forgets it (before it
/// is expired at Stripe, so its expiry finds an order that no longer listens to it).
pub async fn set_checkout_session(
    pool: &AnyPool,
    order_id: &str,
    session: Option<&str>,
) -> Result<(), sqlx::Error> {
    let _turn = super::write_turn(pool).await;
    sqlx::query(
        "UPDATE orders SET checkout_session_id = $1, updated_at = unixepoch() WHERE id = $2",
    )
    .bind(session)
    .bind(order_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_payment_intent(
    pool: &AnyPool,
    order_id: &str,
    payment_intent_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET payment_intent_id = $1, updated_at = unixepoch() WHERE id = $2 AND payment_intent_id IS NULL")
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

    pub async fn insert(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO order_events (order_id, kind, stripe_event_id, old_status, new_status, detail) VALUES ($1, $2, $3, $4, $5, $6)")
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
