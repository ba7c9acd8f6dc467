//! Fulfilment's server functions: the merchant's (each checks the session itself) and the
//! shopper's view of their parcels (by the order's unguessable id, like `orders/get`).

use crate::error::AppError;
use crate::model::fulfilment::{AdminFulfilment, OrderDocument, OrderShipments, QueueEntry};
use leptos::prelude::*;

/// Paid orders with something left to ship, oldest first.
#[server(endpoint = "admin/fulfilment/queue")]
pub async fn fulfilment_queue() -> Result<Vec<QueueEntry>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::fulfilment_queue(&state).await
}

/// The fulfilment panel of the admin's order page.
#[server(endpoint = "admin/fulfilment/order")]
pub async fn get_admin_fulfilment(id: String) -> Result<Option<AdminFulfilment>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::order_fulfilment(&state, &id).await
}

/// "Mark shipped": `lines` is `product:quantity,…`; `key` is made when the form is shown, so
/// a double submit makes one parcel and one email.
#[server(endpoint = "admin/fulfilment/ship")]
pub async fn mark_shipped(
    order_id: String,
    key: String,
    carrier: String,
    tracking_number: String,
    #[server(default)] tracking_url: String,
    lines: String,
) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::ship(
        &state,
        &order_id,
        &key,
        &carrier,
        &tracking_number,
        &tracking_url,
        &lines,
    )
    .await
}

#[server(endpoint = "admin/fulfilment/deliver")]
pub async fn mark_delivered(order_id: String, shipment_id: i64) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::deliver(&state, &order_id, shipment_id).await
}

/// The parcel came back: its items go back in stock.
#[server(endpoint = "admin/fulfilment/return")]
pub async fn mark_returned(order_id: String, shipment_id: i64) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::mark_returned(&state, &order_id, shipment_id).await
}

/// Cancels a paid order nothing was shipped of: restocked, refunded in full through its gateway.
#[server(endpoint = "admin/fulfilment/cancel")]
pub async fn cancel_unshipped(order_id: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::cancel_unshipped(&state, &order_id).await
}

/// The packing slip's and the invoice's contents.
#[server(endpoint = "admin/fulfilment/document")]
pub async fn get_order_document(id: String) -> Result<Option<OrderDocument>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::document(&state, &id).await
}

/// The shopper's copy of the invoice (and of the order's lines), by the order's unguessable id.
#[server(endpoint = "orders/invoice")]
pub async fn get_order_invoice(id: String) -> Result<Option<OrderDocument>, AppError> {
    let state = crate::server::state()?;
    crate::server::admin::document(&state, &id).await
}

/// The shopper's parcels and invoice number, by the order's unguessable id.
#[server(endpoint = "orders/shipments")]
pub async fn get_order_shipments(id: String) -> Result<Option<OrderShipments>, AppError> {
    let state = crate::server::state()?;
    crate::server::admin::shopper_shipments(&state, &id).await
}
