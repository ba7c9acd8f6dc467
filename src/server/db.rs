//! Every SQL statement of the application lives in this module.

use crate::api::catalog::Product;
use crate::domain::cart::{check_quantity, Cart, CartLine, MAX_LINE_QUANTITY};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Opens (creating it if needed) the database and applies the migrations in `migrations/`.
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: String,
    stock: i64,
    image: String,
}

fn currency(code: &str) -> Result<Currency, sqlx::Error> {
    Currency::parse(code).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl TryFrom<ProductRow> for Product {
    type Error = sqlx::Error;
    fn try_from(r: ProductRow) -> Result<Self, Self::Error> {
        Ok(Product {
            price: Money::new(r.price_minor, currency(&r.currency)?),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            stock: r.stock,
            image: r.image,
        })
    }
}

const PRODUCT_COLUMNS: &str = "id, slug, name, description, price_minor, currency, stock, image";

pub async fn list_products(pool: &SqlitePool) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as::<_, ProductRow>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products ORDER BY id"
    ))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Product::try_from)
    .collect()
}

pub async fn product_by_slug(
    pool: &SqlitePool,
    slug: &str,
) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as::<_, ProductRow>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE slug = ?"
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await?
    .map(Product::try_from)
    .transpose()
}

#[derive(sqlx::FromRow)]
struct CartLineRow {
    product_id: i64,
    slug: String,
    name: String,
    image: String,
    price_minor: i64,
    currency: String,
    stock: i64,
    quantity: i64,
}

/// The cart's lines, priced from `products` as they are now.
pub async fn load_cart(
    pool: &SqlitePool,
    cart_id: &str,
    shop_currency: &Currency,
) -> Result<Cart, sqlx::Error> {
    let rows = sqlx::query_as::<_, CartLineRow>(
        "SELECT p.id AS product_id, p.slug, p.name, p.image, p.price_minor, p.currency, p.stock, ci.quantity
         FROM cart_items ci JOIN products p ON p.id = ci.product_id
         WHERE ci.cart_id = ? ORDER BY ci.rowid",
    )
    .bind(cart_id)
    .fetch_all(pool)
    .await?;
    let lines = rows
        .into_iter()
        .map(|r| {
            Ok(CartLine {
                unit_price: Money::new(r.price_minor, currency(&r.currency)?),
                product_id: r.product_id,
                slug: r.slug,
                name: r.name,
                image: r.image,
                stock: r.stock,
                quantity: r.quantity,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Cart {
        lines,
        currency: shop_currency.clone(),
    })
}

/// What a cart change came to: done, or refused with the reason to show.
#[derive(Debug)]
pub enum Change {
    Done { name: String, quantity: i64 },
    Refused(AppError),
}

async fn product_name_and_stock(
    pool: &SqlitePool,
    product_id: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT name, stock FROM products WHERE id = ?")
        .bind(product_id)
        .fetch_optional(pool)
        .await
}

async fn quantity_in_cart(
    pool: &SqlitePool,
    cart_id: &str,
    product_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT quantity FROM cart_items WHERE cart_id = ? AND product_id = ?")
        .bind(cart_id)
        .bind(product_id)
        .fetch_optional(pool)
        .await
}

/// Explains why a guarded write touched no row, from the state as it is now.
fn refusal(resulting: i64, stock: i64) -> AppError {
    match check_quantity(resulting, stock) {
        Err(e) => e.into(),
        // The stock changed between the write and this read: report it as the stock limit.
        Ok(()) => crate::domain::cart::QuantityError::AboveStock { available: stock }.into(),
    }
}

/// Adds to a line in one statement, guarded by the stock, so that concurrent adds (two tabs)
/// each land or fail whole and never overwrite each other.
pub async fn add_item(
    pool: &SqlitePool,
    cart_id: &str,
    product_id: i64,
    quantity: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, stock)) = product_name_and_stock(pool, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    sqlx::query(
        "INSERT INTO carts (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET updated_at = unixepoch()",
    )
    .bind(cart_id)
    .execute(pool)
    .await?;
    let updated: Option<i64> = sqlx::query_scalar(
        "INSERT INTO cart_items (cart_id, product_id, quantity)
         SELECT ?1, p.id, ?3 FROM products p WHERE p.id = ?2 AND ?3 <= min(p.stock, ?4)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity
         WHERE cart_items.quantity + excluded.quantity
               <= (SELECT min(stock, ?4) FROM products WHERE id = excluded.product_id)
         RETURNING quantity",
    )
    .bind(cart_id)
    .bind(product_id)
    .bind(quantity)
    .bind(MAX_LINE_QUANTITY)
    .fetch_optional(pool)
    .await?;
    Ok(match updated {
        Some(quantity) => Change::Done { name, quantity },
        None => {
            let current = quantity_in_cart(pool, cart_id, product_id)
                .await?
                .unwrap_or(0);
            Change::Refused(refusal(current.saturating_add(quantity), stock))
        }
    })
}

/// Sets a line's quantity, guarded by the stock.
pub async fn set_quantity(
    pool: &SqlitePool,
    cart_id: &str,
    product_id: i64,
    quantity: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, stock)) = product_name_and_stock(pool, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    let updated: Option<i64> = sqlx::query_scalar(
        "UPDATE cart_items SET quantity = ?3
         WHERE cart_id = ?1 AND product_id = ?2
           AND ?3 <= (SELECT min(stock, ?4) FROM products WHERE id = ?2)
         RETURNING quantity",
    )
    .bind(cart_id)
    .bind(product_id)
    .bind(quantity)
    .bind(MAX_LINE_QUANTITY)
    .fetch_optional(pool)
    .await?;
    Ok(match updated {
        Some(quantity) => Change::Done { name, quantity },
        None if quantity_in_cart(pool, cart_id, product_id).await?.is_none() => {
            Change::Refused(AppError::NotInCart)
        }
        None => Change::Refused(refusal(quantity, stock)),
    })
}

pub async fn remove_item(
    pool: &SqlitePool,
    cart_id: &str,
    product_id: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, _)) = product_name_and_stock(pool, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    sqlx::query("DELETE FROM cart_items WHERE cart_id = ? AND product_id = ?")
        .bind(cart_id)
        .bind(product_id)
        .execute(pool)
        .await?;
    Ok(Change::Done { name, quantity: 0 })
}

// ---------------------------------------------------------------------------------------------
// Orders

use crate::domain::order::{Applied, OrderState, OrderStatus};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub cart_id: String,
    pub email: String,
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub payment_intent_id: Option<String>,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrderRow {
    pub fn order_state(&self) -> Result<OrderState, sqlx::Error> {
        serde_json::from_str(&self.state).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderItemRow {
    pub product_id: i64,
    pub name: String,
    pub unit_price_minor: i64,
    pub quantity: i64,
}

const ORDER_COLUMNS: &str =
    "id, cart_id, email, status, currency, total_minor, payment_intent_id, state, created_at, updated_at";

fn encode_state(state: &OrderState) -> Result<String, sqlx::Error> {
    serde_json::to_string(state).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

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
) -> Result<Vec<crate::api::admin::TimelineEntry>, sqlx::Error> {
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
        let state = encode_state(&OrderState::new(total.clone()))?;
        sqlx::query("INSERT INTO orders (id, cart_id, email, status, currency, total_minor, state) VALUES (?, ?, ?, 'pending', ?, ?, ?)")
            .bind(order_id)
            .bind(cart_id)
            .bind(email)
            .bind(total.currency.code())
            .bind(total.minor)
            .bind(state)
            .execute(&mut *tx)
            .await?;
        timeline_entry(
            &mut tx,
            order_id,
            "created",
            None,
            None,
            Some("pending"),
            &format!("Order placed for {total}"),
        )
        .await?;
    } else {
        let row: OrderRow =
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
        let mut state = row.order_state()?;
        state.total = total.clone();
        sqlx::query("UPDATE orders SET email = ?, total_minor = ?, currency = ?, state = ?, updated_at = unixepoch() WHERE id = ?")
            .bind(email)
            .bind(total.minor)
            .bind(total.currency.code())
            .bind(encode_state(&state)?)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        if row.total_minor != total.minor || row.email != email {
            timeline_entry(
                &mut tx,
                order_id,
                "updated",
                None,
                None,
                None,
                &format!("Cart changed: total now {total}"),
            )
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

async fn timeline_entry(
    tx: &mut sqlx::SqliteConnection,
    order_id: &str,
    kind: &str,
    stripe_event_id: Option<&str>,
    old_status: Option<&str>,
    new_status: Option<&str>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO order_events (order_id, kind, stripe_event_id, old_status, new_status, detail) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(order_id)
        .bind(kind)
        .bind(stripe_event_id)
        .bind(old_status)
        .bind(new_status)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records a note in an order's timeline (e.g. a payment attempt started).
pub async fn note(
    pool: &SqlitePool,
    order_id: &str,
    kind: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    timeline_entry(&mut conn, order_id, kind, None, None, None, detail).await
}

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
    let order: Option<OrderRow> = match (payment_intent_id, order_hint) {
        (Some(pi), _) => {
            sqlx::query_as(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE payment_intent_id = ?"
            ))
            .bind(pi)
            .fetch_optional(&mut *tx)
            .await?
        }
        (None, Some(id)) => {
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        }
        (None, None) => None,
    };
    // A PaymentIntent created before its id was stored: find the order by its metadata.
    let order = match (order, order_hint) {
        (None, Some(id)) => {
            sqlx::query_as(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        }
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
    let mut state = order.order_state()?;
    let before = state.status();
    let (applied, detail) = apply(&mut state);
    let after = state.status();
    let (kind, changed) = match &applied {
        Applied::Changed => ("stripe_event", true),
        Applied::Ignored(_) => ("stripe_event_ignored", false),
        Applied::Mismatch { .. } => ("amount_mismatch", false),
    };
    let detail = match &applied {
        Applied::Ignored(why) => format!("{detail} (not applied: {why})"),
        Applied::Mismatch { expected, received } => {
            format!("{detail}: received {received}, order total {expected}; not fulfilled")
        }
        Applied::Changed => detail,
    };
    timeline_entry(
        &mut tx,
        &order.id,
        kind,
        Some(event_id),
        Some(before.as_str()),
        Some(after.as_str()),
        &detail,
    )
    .await?;
    if changed {
        sqlx::query(
            "UPDATE orders SET status = ?, state = ?, updated_at = unixepoch() WHERE id = ?",
        )
        .bind(after.as_str())
        .bind(encode_state(&state)?)
        .bind(&order.id)
        .execute(&mut *tx)
        .await?;
        if after.was_paid() {
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
async fn commit_stock(
    tx: &mut sqlx::SqliteConnection,
    order: &OrderRow,
) -> Result<(), sqlx::Error> {
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
    timeline_entry(
        &mut *tx,
        &order.id,
        "fulfilment",
        None,
        None,
        None,
        "Stock taken and cart emptied",
    )
    .await?;
    sqlx::query("DELETE FROM cart_items WHERE cart_id = ?")
        .bind(&order.cart_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Admin

/// What the admin's order list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    /// An order id, an email (prefix) or a PaymentIntent id.
    pub search: Option<String>,
}

/// Builds the WHERE clause shared by the list, the counts and the export.
fn filter_sql(filter: &OrderFilter, with_status: bool) -> (String, Vec<String>) {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    if with_status {
        if let Some(status) = &filter.status {
            clauses.push("status = ?".into());
            binds.push(status.clone());
        }
    }
    if let Some(from) = filter.from {
        clauses.push("created_at >= CAST(? AS INTEGER)".into());
        binds.push(from.to_string());
    }
    if let Some(to) = filter.to {
        clauses.push("created_at < CAST(? AS INTEGER)".into());
        binds.push(to.to_string());
    }
    if let Some(q) = &filter.search {
        clauses.push("(id = ? OR payment_intent_id = ? OR email LIKE ? ESCAPE '\\')".into());
        let like = format!(
            "{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        binds.extend([q.clone(), q.clone(), like]);
    }
    (clauses.join(" AND "), binds)
}

/// One page of orders, newest first, after the (created_at, id) cursor.
pub async fn admin_orders(
    pool: &SqlitePool,
    filter: &OrderFilter,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let (mut clause, mut binds) = filter_sql(filter, true);
    if let Some((created, id)) = after {
        clause.push_str(" AND (created_at, id) < (CAST(? AS INTEGER), ?)");
        binds.extend([created.to_string(), id]);
    }
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {clause} ORDER BY created_at DESC, id DESC LIMIT {limit}");
    let mut query = sqlx::query_as::<_, OrderRow>(&sql);
    for b in binds {
        query = query.bind(b);
    }
    query.fetch_all(pool).await
}

/// How many orders per status under the filter (its own status aside).
pub async fn status_counts(
    pool: &SqlitePool,
    filter: &OrderFilter,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let (clause, binds) = filter_sql(filter, false);
    let sql = format!(
        "SELECT status, count(*) FROM orders WHERE {clause} GROUP BY status ORDER BY status"
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
    for b in binds {
        query = query.bind(b);
    }
    query.fetch_all(pool).await
}

/// Records a refund attempt (idempotent on its key) and returns whether it is new.
pub async fn record_refund_request(
    pool: &SqlitePool,
    attempt_key: &str,
    order_id: &str,
    amount: i64,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let new = sqlx::query("INSERT INTO refund_requests (attempt_key, order_id, amount_minor, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(attempt_key)
        .bind(order_id)
        .bind(amount)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if new {
        let detail = format!(
            "Refund of {} requested",
            order_amount(&mut tx, order_id, amount).await?
        );
        timeline_entry(
            &mut tx,
            order_id,
            "refund_requested",
            None,
            None,
            None,
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(new)
}

async fn order_amount(
    tx: &mut sqlx::SqliteConnection,
    order_id: &str,
    amount: i64,
) -> Result<String, sqlx::Error> {
    let currency: String = sqlx::query_scalar("SELECT currency FROM orders WHERE id = ?")
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
    Ok(Money::new(amount, currency_of(&currency)?).to_string())
}

fn currency_of(code: &str) -> Result<Currency, sqlx::Error> {
    currency(code)
}

pub async fn set_refund_id(
    pool: &SqlitePool,
    attempt_key: &str,
    refund_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refund_requests SET stripe_refund_id = ? WHERE attempt_key = ?")
        .bind(refund_id)
        .bind(attempt_key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Refund attempts of an order: (stripe refund id if known, amount).
pub async fn refund_requests(
    pool: &SqlitePool,
    order_id: &str,
) -> Result<Vec<(Option<String>, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT stripe_refund_id, amount_minor FROM refund_requests WHERE order_id = ? ORDER BY created_at")
        .bind(order_id)
        .fetch_all(pool)
        .await
}

/// A refund attempt Stripe refused: it never happened.
pub async fn forget_refund_request(
    pool: &SqlitePool,
    attempt_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM refund_requests WHERE attempt_key = ? AND stripe_refund_id IS NULL")
        .bind(attempt_key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Statuses of orders whose money was taken.
const PAID_STATUSES: &str = "('paid', 'partially_refunded', 'refunded', 'disputed')";

/// Paid revenue (order totals) per UTC day since `from`: (day start, minor units, orders).
pub async fn revenue_by_day(
    pool: &SqlitePool,
    from: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT (created_at / 86400) * 86400 AS day, sum(total_minor), count(*) FROM orders
         WHERE created_at >= ? AND status IN {PAID_STATUSES} GROUP BY day ORDER BY day"
    ))
    .bind(from)
    .fetch_all(pool)
    .await
}

/// (orders placed, orders paid) since `from`.
pub async fn order_counts(pool: &SqlitePool, from: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(status IN {PAID_STATUSES}), 0) FROM orders WHERE created_at >= ?"
    ))
    .bind(from)
    .fetch_one(pool)
    .await
}

/// Payment attempts that succeeded and that failed since `from`, from Stripe's events.
pub async fn payment_attempts(pool: &SqlitePool, from: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce(sum(type = 'payment_intent.succeeded'), 0), coalesce(sum(type = 'payment_intent.payment_failed'), 0)
         FROM webhook_events WHERE received_at >= ? AND order_id IS NOT NULL",
    )
    .bind(from)
    .fetch_one(pool)
    .await
}

/// Refunds standing (pending or succeeded) on orders placed since `from`, in minor units.
pub async fn refunded_total(pool: &SqlitePool, from: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(sum(json_extract(r.value, '$.amount')), 0) FROM orders, json_each(orders.state, '$.refunds') AS r
         WHERE orders.created_at >= ? AND json_extract(r.value, '$.status') IN ('pending', 'succeeded')",
    )
    .bind(from)
    .fetch_one(pool)
    .await
}

/// Best sellers of paid orders since `from`: (name, quantity, minor units).
pub async fn top_products(
    pool: &SqlitePool,
    from: i64,
    limit: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT i.name, sum(i.quantity), sum(i.quantity * i.unit_price_minor) AS revenue
         FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.created_at >= ? AND o.status IN {PAID_STATUSES}
         GROUP BY i.product_id ORDER BY revenue DESC, i.name LIMIT ?"
    ))
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await
}
