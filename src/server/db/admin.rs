//! The merchant's order list: filters, keyset pages and counts per status.

use super::orders::{OrderRow, ORDER_COLUMNS};
use super::{Backend, Sql};
use crate::domain::order::OrderStatus;
use sqlx::AnyPool;
use std::fmt;

/// What the admin's order list is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    /// An order id, an email (prefix) or a PaymentIntent id.
    pub search: Option<String>,
}

/// Where a page of orders ends (newest first): the last order's `(created_at, id)`. The list
/// and the CSV export page with it; on the wire it is `<created_at>_<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at: i64,
    pub id: String,
}

impl OrderCursor {
    pub fn after(order: &OrderRow) -> Self {
        OrderCursor {
            created_at: order.created_at,
            id: order.id.clone(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (created_at, id) = text.split_once('_')?;
        Some(OrderCursor {
            created_at: created_at.parse().ok()?,
            id: id.to_string(),
        })
    }
}

impl fmt::Display for OrderCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.created_at, self.id)
    }
}

/// Adds the WHERE clause shared by the list, the counts and the export.
fn push_filter(query: &mut Sql, backend: Backend, filter: &OrderFilter, with_status: bool) {
    query.push(" WHERE 1 = 1");
    if let (true, Some(status)) = (with_status, filter.status) {
        query.push(" AND status = ").bind(status.as_str());
    }
    if let Some(from) = filter.from {
        query.push(" AND created_at >= ").bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND created_at < ").bind(to);
    }
    if let Some(q) = &filter.search {
        let like = format!(
            "{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // An email matches whatever its letters' case: SQLite's LIKE ignores ASCII case,
        // PostgreSQL's ILIKE does the same.
        let like_op = match backend {
            Backend::Sqlite => " OR email LIKE ",
            Backend::Postgres => " OR email ILIKE ",
        };
        query
            .push(" AND (id = ")
            .bind(q.clone())
            .push(" OR payment_intent_id = ")
            .bind(q.clone())
            .push(like_op)
            .bind(like)
            .push(" ESCAPE '\\')");
    }
}

/// One page of orders, newest first, after the cursor.
pub async fn admin_orders(
    pool: &AnyPool,
    filter: &OrderFilter,
    after: Option<&OrderCursor>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let mut query = Sql::new(format!("SELECT {ORDER_COLUMNS} FROM orders"));
    push_filter(&mut query, Backend::of(pool), filter, true);
    if let Some(cursor) = after {
        query
            .push(" AND (created_at, id) < (")
            .bind(cursor.created_at)
            .push(", ")
            .bind(cursor.id.clone())
            .push(")");
    }
    query
        .push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .bind(limit);
    query.fetch_all_as(pool).await
}

/// How many orders per status under the filter (its own status aside).
pub async fn status_counts(
    pool: &AnyPool,
    filter: &OrderFilter,
) -> Result<Vec<(OrderStatus, i64)>, sqlx::Error> {
    if filter.from.is_none() && filter.to.is_none() && filter.search.is_none() {
        // Kept by triggers on `orders` (migration 0006): no scan, whatever the number of orders.
        return sqlx::query_as(
            "SELECT status, count FROM order_status_counts WHERE count > 0 ORDER BY status",
        )
        .fetch_all(pool)
        .await;
    }
    let mut query = Sql::new("SELECT status, count(*) FROM orders".to_string());
    push_filter(&mut query, Backend::of(pool), filter, false);
    query.push(" GROUP BY status ORDER BY status");
    query.fetch_all_as(pool).await
}
