//! The merchant's server functions. Each one checks the session itself.

use crate::error::AppError;
use crate::model::admin::{AdminOrderDetail, OrdersPage};
use crate::model::emails::{EmailDetail, EmailsPage};
use leptos::prelude::*;

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
    crate::server::admin::sign_in(&password).await
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
    use crate::server::admin;
    let state = admin::require_admin().await?;
    let filter = admin::parse_filter(status, from, to, q)?;
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
    use crate::server::admin;
    let state = admin::require_admin().await?;
    let reason = reason.filter(|r| !r.is_empty());
    admin::refund(&state, &order_id, &amount, reason, &attempt).await
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

/// "Refresh from Stripe" (or PayPal) on the admin's order page.
#[server(endpoint = "admin/refresh")]
pub async fn admin_refresh_order(id: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::reconcile::refresh_order(&state, &id, 0)
        .await
        .map(|()| "Read back from the payment provider: the order is up to date.".to_string())
        .map_err(|e| {
            tracing::warn!(error = %e, "refreshing an order from Stripe");
            AppError::Payment(
                "The payment provider could not be reached; try again in a moment.".into(),
            )
        })
}

/// The outbox, newest first; with `order_id`, only that order's emails.
#[server(endpoint = "admin/emails")]
pub async fn admin_emails(
    #[server(default)] order_id: Option<String>,
) -> Result<EmailsPage, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::emails(&state, order_id.as_deref()).await
}

#[server(endpoint = "admin/email")]
pub async fn admin_email(id: i64) -> Result<Option<EmailDetail>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::email(&state, id).await
}

/// Sends the email again (a new email in the outbox, with the same message).
#[server(endpoint = "admin/email/resend")]
pub async fn resend_email(id: i64) -> Result<i64, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::resend(&state, id).await
}
