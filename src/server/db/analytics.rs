//! The merchant's analytics: sums and counts over orders and payment events.

use super::Backend;
use crate::domain::gateway::Gateway;
use sqlx::AnyPool;

/// Statuses of orders whose money was taken as ordered and is (at least partly) still there:
/// a lost dispute took it back, and an order that needs review is not counted until settled.
const PAID_STATUSES: &str = "('paid', 'partially_refunded', 'refunded', 'disputed')";

/// Paid revenue (order totals) per UTC day since `from`: (day start, minor units, orders).
pub async fn revenue_by_day(
    pool: &AnyPool,
    from: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT (created_at / 86400) * 86400 AS day, CAST(sum(total_minor) AS BIGINT), count(*) FROM orders
         WHERE created_at >= $1 AND status IN {PAID_STATUSES} GROUP BY day ORDER BY day"
    ))
    .bind(from)
    .fetch_all(pool)
    .await
}

/// (orders placed, orders paid) since `from`.
pub async fn order_counts(pool: &AnyPool, from: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE status IN {PAID_STATUSES}) FROM orders WHERE created_at >= $1"
    ))
    .bind(from)
    .fetch_one(pool)
    .await
}

/// Event types that report a payment attempt's end, at every gateway.
const SUCCEEDED: &str = "('payment_intent.succeeded', 'PAYMENT.CAPTURE.COMPLETED')";
const FAILED: &str =
    "('payment_intent.payment_failed', 'PAYMENT.CAPTURE.DECLINED', 'PAYMENT.CAPTURE.DENIED')";

/// Payment attempts that succeeded and that failed since `from`, from the gateways' events.
pub async fn payment_attempts(pool: &AnyPool, from: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT count(*) FILTER (WHERE type IN {SUCCEEDED}), count(*) FILTER (WHERE type IN {FAILED})
         FROM webhook_events WHERE received_at >= $1 AND order_id IS NOT NULL"
    ))
    .bind(from)
    .fetch_one(pool)
    .await
}

/// Per gateway since `from`: (gateway, revenue, orders paid, attempts succeeded, failed).
pub async fn gateway_figures(
    pool: &AnyPool,
    from: i64,
) -> Result<Vec<(Gateway, i64, i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "WITH paid AS (SELECT gateway, CAST(sum(total_minor) AS BIGINT) AS revenue, count(*) AS n FROM orders
                       WHERE created_at >= $1 AND status IN {PAID_STATUSES} GROUP BY gateway),
              tries AS (SELECT gateway, count(*) FILTER (WHERE type IN {SUCCEEDED}) AS ok, count(*) FILTER (WHERE type IN {FAILED}) AS failed
                        FROM webhook_events WHERE received_at >= $1 AND order_id IS NOT NULL GROUP BY gateway),
              seen AS (SELECT DISTINCT gateway FROM orders WHERE created_at >= $1)
         SELECT seen.gateway, coalesce(paid.revenue, 0), coalesce(paid.n, 0), coalesce(tries.ok, 0), coalesce(tries.failed, 0)
         FROM seen LEFT JOIN paid USING (gateway) LEFT JOIN tries USING (gateway) ORDER BY seen.gateway DESC"
    ))
    .bind(from)
    .fetch_all(pool)
    .await
}

/// Refunds standing (pending or succeeded) on orders placed since `from`, in minor units.
pub async fn refunded_total(pool: &AnyPool, from: i64) -> Result<i64, sqlx::Error> {
    // The refunds are in the order's state (a JSON object by refund id): each backend's way to
    // read into it.
    let sql = match Backend::of(pool) {
        Backend::Sqlite => "SELECT coalesce(sum(json_extract(r.value, '$.amount')), 0) FROM orders, json_each(orders.state, '$.refunds') AS r
         WHERE orders.created_at >= $1 AND json_extract(r.value, '$.status') IN ('pending', 'succeeded')",
        Backend::Postgres => "SELECT CAST(coalesce(sum((r.value ->> 'amount')::bigint), 0) AS BIGINT) FROM orders, jsonb_each(orders.state::jsonb -> 'refunds') AS r
         WHERE orders.created_at >= $1 AND r.value ->> 'status' IN ('pending', 'succeeded')",
    };
    sqlx::query_scalar(sql).bind(from).fetch_one(pool).await
}

/// Best sellers of paid orders since `from`: (name, quantity, minor units).
pub async fn top_products(
    pool: &AnyPool,
    from: i64,
    limit: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT max(i.name) AS name, CAST(sum(i.quantity) AS BIGINT), CAST(sum(i.quantity * i.unit_price_minor) AS BIGINT) AS revenue
         FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.created_at >= $1 AND o.status IN {PAID_STATUSES}
         GROUP BY i.product_id ORDER BY revenue DESC, name LIMIT $2"
    ))
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A value the reconciler keeps across restarts (its events cursor, its corrections count).
pub async fn sync_value(pool: &AnyPool, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM sync_state WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
}

pub async fn set_sync_value(pool: &AnyPool, name: &str, value: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sync_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(name)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(())
}
