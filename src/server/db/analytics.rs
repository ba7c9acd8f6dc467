//! The merchant's analytics: sums and counts over orders and payment events.

use sqlx::SqlitePool;

/// Statuses of orders whose money was taken as ordered and is (at least partly) still there:
/// a lost dispute took it back, and an order that needs review is not counted until settled.
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

/// A value the reconciler keeps across restarts (its events cursor, its corrections count).
pub async fn sync_value(pool: &SqlitePool, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM sync_state WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
}

pub async fn set_sync_value(pool: &SqlitePool, name: &str, value: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(name)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(())
}
