//! Refund attempts the merchant made, keyed by the attempt so a retry refunds once.

use super::orders::NewTimelineEntry;
use crate::domain::money::{Currency, Money};
use crate::model::admin::TimelineKind;
use sqlx::AnyPool;

/// Records a refund attempt (idempotent on its key) and returns whether it is new.
pub async fn record_refund_request(
    pool: &AnyPool,
    attempt_key: &str,
    order_id: &str,
    amount: i64,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let new = sqlx::query("INSERT INTO refund_requests (attempt_key, order_id, amount_minor, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(attempt_key)
        .bind(order_id)
        .bind(amount)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if new {
        let currency: Currency = sqlx::query_scalar("SELECT currency FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&mut *tx)
            .await?;
        let detail = format!("Refund of {} requested", Money::new(amount, currency));
        NewTimelineEntry::note(order_id, TimelineKind::RefundRequested, &detail)
            .insert(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(new)
}

pub async fn set_refund_id(
    pool: &AnyPool,
    attempt_key: &str,
    refund_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refund_requests SET stripe_refund_id = $1 WHERE attempt_key = $2")
        .bind(refund_id)
        .bind(attempt_key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Refund attempts of an order: (stripe refund id if known, amount).
pub async fn refund_requests(
    pool: &AnyPool,
    order_id: &str,
) -> Result<Vec<(Option<String>, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT stripe_refund_id, amount_minor FROM refund_requests WHERE order_id = $1 ORDER BY created_at")
        .bind(order_id)
        .fetch_all(pool)
        .await
}

/// A refund attempt Stripe refused: it never happened.
pub async fn forget_refund_request(pool: &AnyPool, attempt_key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM refund_requests WHERE attempt_key = $1 AND stripe_refund_id IS NULL")
        .bind(attempt_key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Minor units of an order's refund attempts (other than `except`) whose outcome is unknown.
pub async fn unresolved_refunds(
    pool: &AnyPool,
    order_id: &str,
    except: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(coalesce(sum(amount_minor), 0) AS BIGINT) FROM refund_requests
         WHERE order_id = $1 AND attempt_key != $2 AND stripe_refund_id IS NULL",
    )
    .bind(order_id)
    .bind(except)
    .fetch_one(pool)
    .await
}

/// Matches a refund found at Stripe to the attempt that made it (by its metadata).
pub async fn match_refund(
    pool: &AnyPool,
    attempt_key: &str,
    refund_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refund_requests SET stripe_refund_id = $1 WHERE attempt_key = $2 AND stripe_refund_id IS NULL")
        .bind(refund_id)
        .bind(attempt_key)
        .execute(pool)
        .await?;
    Ok(())
}
