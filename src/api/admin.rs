//! The merchant's server functions. Each one checks the session itself.

use crate::api::orders::OrderView;
use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub id: String,
    pub email: String,
    pub status: OrderStatus,
    pub total: Money,
    pub payment_intent_id: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<AdminOrderRow>,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
    /// Orders per status under the filter.
    pub counts: Vec<(String, i64)>,
}

/// One line of an order's story (a row of `order_events`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TimelineEntry {
    pub at: i64,
    pub kind: String,
    pub stripe_event_id: Option<String>,
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub amount: Money,
    /// pending, succeeded, failed, canceled
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderDetail {
    pub order: OrderView,
    pub payment_intent_id: Option<String>,
    pub dashboard_url: Option<String>,
    pub refundable: Money,
    pub refunds: Vec<RefundView>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
}

/// Whether this browser is signed in as the merchant.
#[server(endpoint = "admin/me")]
pub async fn admin_signed_in() -> Result<bool, AppError> {
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    Ok(crate::server::admin::is_admin(&session).await)
}

#[server(endpoint = "admin/sign-in")]
pub async fn sign_in(password: String) -> Result<(), AppError> {
    crate::server::admin::sign_in(&password)
        .await
        .map_err(crate::server::reject)
}

#[server(endpoint = "admin/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::server::admin::require_admin().await?;
    crate::server::admin::sign_out().await
}

#[server(endpoint = "admin/orders")]
pub async fn admin_orders(
    #[server(default)] status: Option<String>,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
    #[server(default)] q: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<OrdersPage, AppError> {
    use crate::server::{admin, reject};
    let state = admin::require_admin().await?;
    let filter = admin::parse_filter(status, from, to, q).map_err(reject)?;
    admin::orders_page(&state, &filter, after).await
}

#[server(endpoint = "admin/order")]
pub async fn get_admin_order(id: String) -> Result<Option<AdminOrderDetail>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::order(&state, &id).await
}

/// Refunds `amount` (major units, as typed: `12.50`). `attempt` is made when the refund is
/// reviewed, so a double click or a retry of the same confirmation refunds once.
#[server(endpoint = "admin/refund")]
pub async fn refund_order(
    order_id: String,
    amount: String,
    #[server(default)] reason: Option<String>,
    attempt: String,
) -> Result<String, AppError> {
    use crate::server::{admin, reject};
    let state = admin::require_admin().await?;
    let reason = reason.filter(|r| !r.is_empty());
    admin::refund(&state, &order_id, &amount, reason, &attempt)
        .await
        .map_err(reject)
}

/// Sales of the last 30 days.
#[server(endpoint = "admin/analytics")]
pub async fn get_analytics() -> Result<crate::domain::analytics::Analytics, AppError> {
    let state = crate::server::admin::require_admin().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    crate::server::admin::analytics(&state, now, 30).await
}
