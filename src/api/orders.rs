//! Orders as the shopper sees them.

use crate::error::AppError;
use crate::model::orders::OrderView;
use leptos::prelude::*;

/// An order, by its unguessable id (the link is the shopper's receipt).
#[server(endpoint = "orders/get")]
pub async fn get_order(id: String) -> Result<Option<OrderView>, AppError> {
    let state = crate::server::state()?;
    Ok(crate::server::checkout::order_view(&state, &id).await?)
}

/// Reads the order back from Stripe (rate-limited per order): the page asks when the shopper
/// comes back from a redirect or opens an order that is not settled yet, so a lost webhook
/// never leaves them waiting.
#[server(endpoint = "orders/refresh")]
pub async fn refresh_order(id: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    crate::server::reconcile::refresh_order(&state, &id, 10)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "refreshing an order from Stripe");
            AppError::Internal
        })
}

/// "Find my order": emails links to the address's recent orders, if it has any. The answer is
/// the same either way.
#[server(endpoint = "orders/find")]
pub async fn find_my_order(email: String) -> Result<String, AppError> {
    use crate::server::find_order;
    let state = crate::server::state()?;
    let client = crate::server::admin::client_address(&state.config.trusted_proxies);
    find_order::request_links(&state, &email, &client).await?;
    Ok(find_order::ANSWER.to_string())
}
