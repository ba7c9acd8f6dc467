//! The email outbox: emails are inserted by the transactions that change orders (or answer
//! "find my order"), claimed by the sender, and every attempt is recorded.

use super::orders::{NewTimelineEntry, OrderItemRow, OrderRow};
use super::Json;
use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
use crate::domain::receipts::{Line, Message, OrderLink, OrderSummary, Trigger};
use crate::model::admin::TimelineKind;
use crate::model::emails::EmailStatus;
use sqlx::{AnyConnection, AnyPool};

/// An email as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboxEmail {
    pub id: i64,
    pub dedupe_key: String,
    pub order_id: Option<String>,
    pub recipient: String,
    pub message: Json<Message>,
    pub status: EmailStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const EMAIL_COLUMNS: &str = "id, dedupe_key, order_id, recipient, payload AS message, status, attempts, last_error, created_at, sent_at";

/// What the timeline calls an email.
pub fn describe(message: &Message) -> &'static str {
    match message {
        Message::Receipt { .. } => "Receipt",
        Message::PaymentFailed { .. } => "Payment failed notice",
        Message::Refund { .. } => "Refund notice",
        Message::Canceled { .. } => "Cancellation notice",
        Message::Shipped { .. } => "Shipping notice",
        Message::OrderLinks { .. } => "Order links",
    }
}

fn kind(message: &Message) -> &'static str {
    match message {
        Message::Receipt { .. } => "receipt",
        Message::PaymentFailed { .. } => "payment_failed",
        Message::Refund { .. } => "refund",
        Message::Canceled { .. } => "canceled",
        Message::Shipped { .. } => "shipped",
        Message::OrderLinks { .. } => "order_links",
    }
}

/// Queues the email an order's change calls for, inside the transaction that made the change.
/// The key (`{order}:{change}`) is unique: the same change queues one email, however often it
/// is seen.
pub(super) async fn queue_for_order(
    tx: &mut AnyConnection,
    order: &OrderRow,
    change: &str,
    trigger: Trigger,
) -> Result<(), sqlx::Error> {
    let items: Vec<OrderItemRow> = sqlx::query_as(
        "SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = $1 ORDER BY rowid",
    )
    .bind(&order.id)
    .fetch_all(&mut *tx)
    .await?;
    let lines = items
        .into_iter()
        .map(|item| {
            let unit_price = Money::new(item.unit_price_minor, order.currency.clone());
            Line {
                line_total: Money::new(
                    item.unit_price_minor.saturating_mul(item.quantity),
                    order.currency.clone(),
                ),
                name: item.name,
                quantity: item.quantity,
                unit_price,
            }
        })
        .collect();
    let message = trigger.message(OrderSummary {
        order_id: order.id.clone(),
        lines,
        total: order.total(),
        pricing: order.pricing.as_ref().map(|p| p.0.clone()),
        ship_to: order.address().map(|a| a.lines()).unwrap_or_default(),
    });
    let key = format!("{}:{change}", order.id);
    if insert(&mut *tx, &key, Some(&order.id), &order.email, &message).await? {
        let detail = format!("{} queued for {}", describe(&message), order.email);
        NewTimelineEntry::note(&order.id, TimelineKind::Email, &detail)
            .insert(tx)
            .await?;
    }
    Ok(())
}

async fn insert(
    conn: &mut AnyConnection,
    key: &str,
    order_id: Option<&str>,
    recipient: &str,
    message: &Message,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO email_outbox (dedupe_key, order_id, kind, recipient, payload) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(key)
    .bind(order_id)
    .bind(kind(message))
    .bind(recipient)
    .bind(Json(message))
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A recent order of an address, for "find my order".
#[derive(Debug, sqlx::FromRow)]
pub struct RecentOrder {
    pub id: String,
    pub email: String,
    pub created_at: i64,
    pub status: OrderStatus,
    pub total_minor: i64,
    pub currency: crate::domain::money::Currency,
}

/// The address's orders placed since `since`, newest first (the address compared ignoring case).
pub async fn recent_orders_of(
    pool: &AnyPool,
    email: &str,
    since: i64,
    limit: i64,
) -> Result<Vec<RecentOrder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, created_at, status, total_minor, currency FROM orders
         WHERE email = $1 COLLATE NOCASE AND created_at >= $2 ORDER BY created_at DESC LIMIT $3",
    )
    .bind(email)
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many "find my order" emails went to this address since `since`.
pub async fn link_emails_since(
    pool: &AnyPool,
    recipient: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM email_outbox WHERE recipient = $1 COLLATE NOCASE AND kind = 'order_links' AND created_at >= $2",
    )
    .bind(recipient)
    .bind(since)
    .fetch_one(pool)
    .await
}

/// One link to store: the token's SHA-256 (hex) and what goes in the email.
pub struct NewLink {
    pub token_hash: String,
    pub link: OrderLink,
}

/// Stores the links and queues the email that carries them, in one transaction.
pub async fn queue_order_links(
    pool: &AnyPool,
    recipient: &str,
    links: Vec<NewLink>,
    expires_at: i64,
    valid_hours: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    for link in &links {
        sqlx::query(
            "INSERT INTO order_links (token_hash, order_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(&link.token_hash)
        .bind(&link.link.order_id)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    }
    // Each request is its own email: keyed by its first token, which is random.
    let key = format!(
        "links:{}",
        links.first().map(|l| l.token_hash.as_str()).unwrap_or("")
    );
    let message = Message::OrderLinks {
        links: links.into_iter().map(|l| l.link).collect(),
        valid_hours,
    };
    insert(&mut tx, &key, None, recipient, &message).await?;
    tx.commit().await
}

/// The order a link opens, if the link exists and has not expired at `now`.
pub async fn order_of_link(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM order_links WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
}

/// Deletes the links that stopped working before `now`.
pub async fn forget_expired_links(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let _turn = super::write_turn(pool).await;
    Ok(
        sqlx::query("DELETE FROM order_links WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Takes up to `limit` emails due at `now` for sending: each one's attempt is counted and its
/// next attempt set to `retry_at(attempts)` before it goes out, so a crash mid-send leaves it
/// due again then (sent twice at most), never lost.
pub async fn claim_due(
    pool: &AnyPool,
    now: i64,
    limit: i64,
    retry_at: impl Fn(i64) -> i64,
) -> Result<Vec<OutboxEmail>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let due: Vec<OutboxEmail> = sqlx::query_as(&format!(
        "SELECT {EMAIL_COLUMNS} FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for mut email in due {
        email.attempts += 1;
        sqlx::query("UPDATE email_outbox SET attempts = $1, next_attempt_at = $2 WHERE id = $3")
            .bind(email.attempts)
            .bind(retry_at(email.attempts))
            .bind(email.id)
            .execute(&mut *tx)
            .await?;
        claimed.push(email);
    }
    tx.commit().await?;
    Ok(claimed)
}

/// How an attempt ended.
pub enum Attempt<'a> {
    Sent,
    /// Will be tried again at the time already set when it was claimed.
    Retry(&'a str),
    /// Given up on.
    Failed(&'a str),
}

/// Records an attempt, and in the order's timeline when it was sent or given up on.
pub async fn record_attempt(
    pool: &AnyPool,
    email: &OutboxEmail,
    attempt: Attempt<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let (ok, error) = match attempt {
        Attempt::Sent => (true, None),
        Attempt::Retry(e) | Attempt::Failed(e) => (false, Some(e)),
    };
    sqlx::query("INSERT INTO email_attempts (email_id, ok, error) VALUES ($1, $2, $3)")
        .bind(email.id)
        .bind(super::Flag(ok))
        .bind(error)
        .execute(&mut *tx)
        .await?;
    let what = describe(&email.message);
    let note = match attempt {
        Attempt::Sent => {
            sqlx::query("UPDATE email_outbox SET status = 'sent', sent_at = unixepoch(), last_error = NULL WHERE id = $1")
                .bind(email.id)
                .execute(&mut *tx)
                .await?;
            Some(format!("{what} sent to {}", email.recipient))
        }
        Attempt::Retry(e) => {
            sqlx::query("UPDATE email_outbox SET last_error = $1 WHERE id = $2")
                .bind(e)
                .bind(email.id)
                .execute(&mut *tx)
                .await?;
            None
        }
        Attempt::Failed(e) => {
            sqlx::query("UPDATE email_outbox SET status = 'failed', last_error = $1 WHERE id = $2")
                .bind(e)
                .bind(email.id)
                .execute(&mut *tx)
                .await?;
            Some(format!(
                "{what} to {} could not be sent: {e}",
                email.recipient
            ))
        }
    };
    if let (Some(note), Some(order_id)) = (note, &email.order_id) {
        NewTimelineEntry::note(order_id, TimelineKind::Email, &note)
            .insert(&mut tx)
            .await?;
    }
    tx.commit().await
}

/// The newest emails, optionally only those about one order.
pub async fn emails(
    pool: &AnyPool,
    order_id: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxEmail>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EMAIL_COLUMNS} FROM email_outbox WHERE $1 IS NULL OR order_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(order_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn email_by_id(pool: &AnyPool, id: i64) -> Result<Option<OutboxEmail>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EMAIL_COLUMNS} FROM email_outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Queues the same message again, as a new email (the merchant's resend). Returns its id.
pub async fn resend(pool: &AnyPool, id: i64) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let Some(email): Option<OutboxEmail> = sqlx::query_as(&format!(
        "SELECT {EMAIL_COLUMNS} FROM email_outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let copies: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM email_outbox WHERE dedupe_key LIKE $1 ESCAPE '\\'",
    )
    .bind(format!("{}:resend:%", like_escape(&email.dedupe_key)))
    .fetch_one(&mut *tx)
    .await?;
    let key = format!("{}:resend:{}", email.dedupe_key, copies + 1);
    insert(
        &mut tx,
        &key,
        email.order_id.as_deref(),
        &email.recipient,
        &email.message,
    )
    .await?;
    let new_id: i64 = sqlx::query_scalar("SELECT id FROM email_outbox WHERE dedupe_key = $1")
        .bind(&key)
        .fetch_one(&mut *tx)
        .await?;
    if let Some(order_id) = &email.order_id {
        let detail = format!(
            "{} to {} resent by the merchant",
            describe(&email.message),
            email.recipient
        );
        NewTimelineEntry::note(order_id, TimelineKind::Email, &detail)
            .insert(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Some(new_id))
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
