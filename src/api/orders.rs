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
