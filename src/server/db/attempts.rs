//! Card payment attempts: one row per press of Pay, written before Stripe is called.

use super::orders::{order_in, NewTimelineEntry, OrderRow};
use super::Json;
use crate::model::admin::TimelineKind;
use sqlx::AnyPool;

/// How an attempt ended, as far as we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Deserialize)]
#[sqlx(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Sent to Stripe; the answer was not (yet) received.
    InDoubt,
    RequiresAction,
    Succeeded,
    Processing,
    /// The card was declined: the order can be paid again, with a new attempt.
    Declined,
    /// Stripe refused the request (a used or expired token, a mismatch): nothing was charged.
    Refused,
    /// A PaymentIntent made at checkout start by an earlier version.
    Legacy,
}

impl AttemptOutcome {
    /// The outcome a PaymentIntent's status stands for.
    pub fn of_status(status: &str) -> Self {
        match status {
            "succeeded" | "requires_capture" => AttemptOutcome::Succeeded,
            "processing" => AttemptOutcome::Processing,
            "requires_action" | "requires_confirmation" => AttemptOutcome::RequiresAction,
            _ => AttemptOutcome::Declined,
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AttemptRow {
    pub order_id: String,
    pub attempt: i64,
    pub revision: i64,
    pub amount_minor: i64,
    pub idempotency_key: String,
    /// The form sent, to replay it exactly.
    pub request: Json<Vec<(String, String)>>,
    pub payment_intent_id: Option<String>,
    pub outcome: AttemptOutcome,
}

const ATTEMPT_COLUMNS: &str =
    "order_id, attempt, revision, amount_minor, idempotency_key, request, payment_intent_id, outcome";

/// Records a new attempt for `order` at its current revision, before Stripe is called, and makes
/// the order's current PaymentIntent unknown until Stripe answers (so the new PaymentIntent's
/// events find the order by its id, and the previous one's find it through its own attempt and
/// are ignored, unless they say money was taken). `build` makes the request from the attempt's
/// number and key. `None` when the order was revised or settled meanwhile.
pub async fn start_attempt(
    pool: &AnyPool,
    order: &OrderRow,
    build: impl FnOnce(i64) -> (String, Vec<(String, String)>),
) -> Result<Option<AttemptRow>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let current = order_in(&mut tx, &order.id).await?;
    if current.revision != order.revision
        || !current.status.is_open()
        || current.gateway != order.gateway
    {
        return Ok(None);
    }
    let number: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(attempt), 0) + 1 FROM payment_attempts WHERE order_id = $1",
    )
    .bind(&order.id)
    .fetch_one(&mut *tx)
    .await?;
    let (key, request) = build(number);
    sqlx::query(
        "INSERT INTO payment_attempts (order_id, attempt, revision, amount_minor, currency, idempotency_key, request)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&order.id)
    .bind(number)
    .bind(current.revision)
    .bind(current.total_minor)
    .bind(&current.currency)
    .bind(&key)
    .bind(Json(&request))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE orders SET payment_intent_id = NULL, updated_at = unixepoch() WHERE id = $1",
    )
    .bind(&order.id)
    .execute(&mut *tx)
    .await?;
    NewTimelineEntry::note(
        &order.id,
        TimelineKind::Updated,
        &format!(
            "Pay pressed: attempt {number} for {} (revision {})",
            current.total(),
            current.revision
        ),
    )
    .insert(&mut tx)
    .await?;
    let row = sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE order_id = $1 AND attempt = $2"
    ))
    .bind(&order.id)
    .bind(number)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// What Stripe answered to an attempt: its outcome and PaymentIntent, which becomes the order's
/// current one if it has none (a newer attempt's, or one a webhook named, stays).
pub async fn record_outcome(
    pool: &AnyPool,
    attempt: &AttemptRow,
    payment_intent: Option<&str>,
    outcome: AttemptOutcome,
) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    sqlx::query(
        "UPDATE payment_attempts SET outcome = $1, payment_intent_id = coalesce(payment_intent_id, $2)
         WHERE order_id = $3 AND attempt = $4",
    )
    .bind(outcome)
    .bind(payment_intent)
    .bind(&attempt.order_id)
    .bind(attempt.attempt)
    .execute(&mut *tx)
    .await?;
    if let Some(pi) = payment_intent {
        let newest: i64 =
            sqlx::query_scalar("SELECT max(attempt) FROM payment_attempts WHERE order_id = $1")
                .bind(&attempt.order_id)
                .fetch_one(&mut *tx)
                .await?;
        if newest == attempt.attempt {
            sqlx::query(
                "UPDATE orders SET payment_intent_id = $1, updated_at = unixepoch()
                 WHERE id = $2 AND payment_intent_id IS NULL",
            )
            .bind(pi)
            .bind(&attempt.order_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await
}

/// The order's attempts whose answer never came, oldest first.
pub async fn attempts_in_doubt(
    pool: &AnyPool,
    order_id: &str,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE order_id = $1 AND outcome = 'in_doubt' ORDER BY attempt"
    ))
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// Every attempt of an order, oldest first (the admin's order page, tests).
pub async fn attempts_of(pool: &AnyPool, order_id: &str) -> Result<Vec<AttemptRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE order_id = $1 ORDER BY attempt"
    ))
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// Open orders with an attempt in doubt older than `before`, for reconciliation.
pub async fn orders_in_doubt(
    pool: &AnyPool,
    before: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT a.order_id FROM payment_attempts a JOIN orders o ON o.id = a.order_id
          WHERE a.outcome = 'in_doubt' AND a.created_at < $1
            AND o.status IN ('pending', 'payment_failed', 'processing')
          LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Forgets the order's current PaymentIntent (kept in its attempt), before it is canceled at
/// Stripe: its cancellation then finds an order that no longer listens to it.
pub async fn retire_payment_intent(
    pool: &AnyPool,
    order_id: &str,
    payment_intent: &str,
) -> Result<bool, sqlx::Error> {
    let _turn = super::write_turn(pool).await;
    let retired = sqlx::query(
        "UPDATE orders SET payment_intent_id = NULL, updated_at = unixepoch()
         WHERE id = $1 AND payment_intent_id = $2",
    )
    .bind(order_id)
    .bind(payment_intent)
    .execute(pool)
    .await?
    .rows_affected()
        == 1;
    Ok(retired)
}
