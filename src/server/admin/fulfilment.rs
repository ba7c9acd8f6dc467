//! Fulfilment from the admin: the queue, marking parcels shipped, delivered or returned,
//! canceling a paid order nothing was shipped of (refunded through its gateway, restocked),
//! and the packing slip and invoice. Every change is published to the live order pages.

use crate::domain::fulfilment::{parse_lines, FulfilmentStatus, ShipmentInput};
use crate::domain::money::Money;
use crate::domain::order::refundable;
use crate::error::AppError;
use crate::model::fulfilment::{
    AdminFulfilment, DocumentLine, FulfilmentLine, OrderDocument, OrderShipments, QueueEntry,
    ShipmentLineView, ShipmentView,
};
use crate::server::db::{self, Fulfilment, Moved, Shipped, WebhookOutcome};
use crate::server::AppState;

/// Orders shown in the queue at most.
pub const QUEUE_LIMIT: i64 = 200;

fn lines_of(f: &Fulfilment) -> Vec<FulfilmentLine> {
    let remaining = f.remaining();
    f.items
        .iter()
        .map(|i| {
            let left = remaining.get(&i.product_id).copied().unwrap_or(0);
            FulfilmentLine {
                product_id: i.product_id,
                name: i.name.clone(),
                ordered: i.quantity,
                shipped: i.quantity - left,
                remaining: left,
            }
        })
        .collect()
}

fn shipments_of(f: &Fulfilment) -> Vec<ShipmentView> {
    f.shipments
        .iter()
        .map(|s| ShipmentView {
            id: s.id,
            carrier: s.carrier.clone(),
            tracking_number: s.tracking_number.clone(),
            tracking_url: s.tracking_url.clone(),
            shipped_at: s.shipped_at,
            delivered_at: s.delivered_at,
            returned_at: s.returned_at,
            lines: s
                .lines
                .iter()
                .map(|(p, q)| ShipmentLineView {
                    name: f.name_of(*p),
                    quantity: *q,
                })
                .collect(),
        })
        .collect()
}

fn address_of(f: &Fulfilment) -> Vec<String> {
    f.address.as_ref().map(|a| a.lines()).unwrap_or_default()
}

/// The live order pages (the shopper's and the merchant's) read the order again.
fn publish(state: &AppState, order_id: &str, status: crate::domain::order::OrderStatus) {
    crate::server::live::publish(
        state,
        &WebhookOutcome::Order {
            order_id: order_id.to_string(),
            status,
            changed: true,
        },
    );
}

pub async fn queue(state: &AppState) -> Result<Vec<QueueEntry>, AppError> {
    let orders = db::fulfilment_queue(&state.pool, QUEUE_LIMIT).await?;
    Ok(orders
        .iter()
        .map(|f| QueueEntry {
            order_id: f.order.id.clone(),
            created_at: f.order.created_at,
            email: f.order.email.clone(),
            status: f.order.status,
            fulfilment: f.fulfilment,
            address: address_of(f),
            lines: lines_of(f),
        })
        .collect())
}

pub async fn order_fulfilment(
    state: &AppState,
    order_id: &str,
) -> Result<Option<AdminFulfilment>, AppError> {
    let Some(f) = db::fulfilment_of(&state.pool, order_id).await? else {
        return Ok(None);
    };
    let paid = f.order.status.fulfils();
    // Canceled, but its refund has not gone out (the gateway did not answer): Cancel again
    // sends it, with the same attempt key.
    let refund_owed = f.fulfilment == FulfilmentStatus::Canceled && refundable(&f.order.state) > 0;
    Ok(Some(AdminFulfilment {
        order_id: f.order.id.clone(),
        status: f.order.status,
        fulfilment: f.fulfilment,
        lines: lines_of(&f),
        shipments: shipments_of(&f),
        invoice_number: f.invoice.map(|(n, _)| n),
        can_ship: paid && f.fulfilment.awaits_shipping(),
        can_cancel: paid
            && ((f.fulfilment == FulfilmentStatus::Unfulfilled && f.shipments.is_empty())
                || refund_owed),
    }))
}

/// What the shopper's order page shows: the parcels and the invoice number.
pub async fn shopper_shipments(
    state: &AppState,
    order_id: &str,
) -> Result<Option<OrderShipments>, AppError> {
    let Some(f) = db::fulfilment_of(&state.pool, order_id).await? else {
        return Ok(None);
    };
    Ok(Some(OrderShipments {
        fulfilment: f.fulfilment,
        shipments: shipments_of(&f),
        invoice_number: f.invoice.map(|(n, _)| n),
    }))
}

/// "Mark shipped": `lines` as the form sends them (`product:quantity,…`); `request_key` is the
/// form's, so sending it twice makes one parcel and one email.
pub async fn ship(
    state: &AppState,
    order_id: &str,
    request_key: &str,
    carrier: &str,
    tracking_number: &str,
    tracking_url: &str,
    lines: &str,
) -> Result<String, AppError> {
    crate::domain::fulfilment::check_request_key(request_key).map_err(AppError::Fulfilment)?;
    let lines = parse_lines(lines).map_err(AppError::Fulfilment)?;
    let input = ShipmentInput {
        carrier: carrier.to_string(),
        tracking_number: tracking_number.to_string(),
        tracking_url: tracking_url.to_string(),
        lines,
    };
    match db::ship(&state.pool, order_id, request_key, &input).await {
        Ok(Ok(Shipped::New {
            status,
            order_status,
            ..
        })) => {
            publish(state, order_id, order_status);
            Ok(format!(
                "Marked shipped; the order is now {}. The customer is emailed the tracking number.",
                status.label().to_lowercase()
            ))
        }
        Ok(Ok(Shipped::Repeated { .. })) => {
            Ok("Already marked shipped with this form: nothing was sent twice.".into())
        }
        Ok(Err(refused)) => Err(AppError::Fulfilment(refused)),
        Err(sqlx::Error::RowNotFound) => Err(AppError::OrderNotFound),
        Err(e) => Err(e.into()),
    }
}

fn moved(
    state: &AppState,
    order_id: &str,
    outcome: Result<Result<Moved, crate::domain::fulfilment::FulfilmentError>, sqlx::Error>,
    done: &str,
    before: &str,
) -> Result<String, AppError> {
    match outcome {
        Ok(Ok(m)) if m.changed => {
            publish(state, order_id, m.order_status);
            Ok(format!(
                "{done}; the order is now {}.",
                m.status.label().to_lowercase()
            ))
        }
        Ok(Ok(_)) => Ok(before.to_string()),
        Ok(Err(refused)) => Err(AppError::Fulfilment(refused)),
        Err(sqlx::Error::RowNotFound) => Err(AppError::OrderNotFound),
        Err(e) => Err(e.into()),
    }
}

pub async fn deliver(
    state: &AppState,
    order_id: &str,
    shipment_id: i64,
) -> Result<String, AppError> {
    let outcome = db::mark_delivered(&state.pool, order_id, shipment_id).await;
    moved(
        state,
        order_id,
        outcome,
        "Marked delivered",
        "Already marked delivered.",
    )
}

/// "Mark returned": the parcel's items go back in stock (a refund is the merchant's choice,
/// made on its own).
pub async fn mark_returned(
    state: &AppState,
    order_id: &str,
    shipment_id: i64,
) -> Result<String, AppError> {
    let outcome = db::mark_returned(&state.pool, order_id, shipment_id).await;
    moved(
        state,
        order_id,
        outcome,
        "Marked returned and its items put back in stock",
        "Already marked returned.",
    )
}

/// The refund attempt of an order's cancellation: one per order, so pressing Cancel again
/// (after Stripe or PayPal did not answer) cannot refund twice.
fn cancel_attempt_key(order_id: &str) -> String {
    let id: String = order_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(56)
        .collect();
    format!("cancel{id}")
}

/// "Cancel unshipped order": restocks and leaves the queue (once), then refunds what is left to
/// refund through the order's gateway, with one attempt key per order.
pub async fn cancel(state: &AppState, order_id: &str) -> Result<String, AppError> {
    let outcome = match db::cancel_unshipped(&state.pool, order_id).await {
        Ok(Ok(m)) => m,
        Ok(Err(refused)) => return Err(AppError::Fulfilment(refused)),
        Err(sqlx::Error::RowNotFound) => return Err(AppError::OrderNotFound),
        Err(e) => return Err(e.into()),
    };
    if outcome.changed {
        publish(state, order_id, outcome.order_status);
    }
    let row = db::order_by_id(&state.pool, order_id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    let key = cancel_attempt_key(order_id);
    let unresolved = db::unresolved_refunds(&state.pool, order_id, &key).await?;
    let left = (refundable(&row.state) - unresolved).max(0);
    let restocked = if outcome.changed {
        "Canceled and its items put back in stock"
    } else {
        "Already canceled (the stock was put back then)"
    };
    if left == 0 {
        return Ok(format!("{restocked}; nothing is left to refund."));
    }
    let amount = Money::new(left, row.currency.clone());
    let refunded = super::refunds::refund(
        state,
        order_id,
        &amount.to_major_string(),
        Some("requested_by_customer".into()),
        &key,
    )
    .await?;
    Ok(format!("{restocked}. {refunded}"))
}

/// The packing slip's and the invoice's contents.
pub async fn document(state: &AppState, order_id: &str) -> Result<Option<OrderDocument>, AppError> {
    let Some(f) = db::fulfilment_of(&state.pool, order_id).await? else {
        return Ok(None);
    };
    let currency = f.order.currency.clone();
    let lines: Vec<DocumentLine> = f
        .items
        .iter()
        .map(|i| DocumentLine {
            name: i.name.clone(),
            quantity: i.quantity,
            unit_price: Money::new(i.unit_price_minor, currency.clone()),
            line_total: Money::new(
                i.unit_price_minor.saturating_mul(i.quantity),
                currency.clone(),
            ),
        })
        .collect();
    let items = Money::new(
        lines.iter().map(|l| l.line_total.minor).sum(),
        currency.clone(),
    );
    let pricing = f.pricing.as_ref();
    let discount = pricing.map(|p| p.discount.clone()).filter(|d| d.minor > 0);
    let shipping = pricing
        .filter(|p| p.shipping_name.is_some() || p.shipping.minor > 0)
        .map(|p| {
            (
                p.shipping_name.clone().unwrap_or_else(|| "Shipping".into()),
                p.shipping.clone(),
            )
        });
    let tax = pricing
        .filter(|p| p.tax.minor > 0)
        .map(|p| (p.tax_caption(), p.tax.clone()));
    Ok(Some(OrderDocument {
        order_id: f.order.id.clone(),
        created_at: f.order.created_at,
        email: f.order.email.clone(),
        status: f.order.status,
        fulfilment: f.fulfilment,
        address: address_of(&f),
        lines,
        items,
        discount,
        shipping,
        tax,
        total: f.order.total(),
        invoice: f.invoice,
    }))
}
