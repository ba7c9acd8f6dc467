//! Fulfilment as the pages show it: the merchant's queue and order panel, the packing slip and
//! the invoice, and the shopper's "Shipped" / "Delivered".

use crate::domain::fulfilment::FulfilmentStatus;
use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
use serde::{Deserialize, Serialize};

/// One item of a parcel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLineView {
    pub name: String,
    pub quantity: i64,
}

/// One parcel and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentView {
    pub id: i64,
    pub carrier: String,
    pub tracking_number: String,
    /// An https link, checked when it was entered.
    pub tracking_url: Option<String>,
    pub shipped_at: i64,
    pub delivered_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub lines: Vec<ShipmentLineView>,
}

/// One line of the order with what went out of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfilmentLine {
    pub product_id: i64,
    pub name: String,
    pub ordered: i64,
    pub shipped: i64,
    pub remaining: i64,
}

/// What the shopper's order page shows about the goods (`orders/shipments`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipments {
    pub fulfilment: FulfilmentStatus,
    pub shipments: Vec<ShipmentView>,
    /// Given when the order was paid.
    pub invoice_number: Option<i64>,
}

/// The panel on the merchant's order page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFulfilment {
    pub order_id: String,
    pub status: OrderStatus,
    pub fulfilment: FulfilmentStatus,
    pub lines: Vec<FulfilmentLine>,
    pub shipments: Vec<ShipmentView>,
    pub invoice_number: Option<i64>,
    /// Paid and something left to ship.
    pub can_ship: bool,
    /// Paid and nothing shipped: can be canceled (refunded in full, restocked); or canceled with
    /// its refund still to send.
    pub can_cancel: bool,
}

/// A line of the fulfilment queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub order_id: String,
    pub created_at: i64,
    pub email: String,
    pub status: OrderStatus,
    pub fulfilment: FulfilmentStatus,
    /// The shipping address, a line each (empty for orders placed before addresses).
    pub address: Vec<String>,
    pub lines: Vec<FulfilmentLine>,
}

/// One line of a packing slip or an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    pub name: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
}

/// A packing slip or an invoice: the order as it was sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDocument {
    pub order_id: String,
    pub created_at: i64,
    pub email: String,
    pub status: OrderStatus,
    pub fulfilment: FulfilmentStatus,
    pub address: Vec<String>,
    pub lines: Vec<DocumentLine>,
    /// Sum of the lines.
    pub items: Money,
    pub discount: Option<Money>,
    pub shipping: Option<(String, Money)>,
    /// "Includes VAT 20%" or "Sales tax 8.5%", and the amount.
    pub tax: Option<(String, Money)>,
    pub total: Money,
    /// The invoice's number and date; `None` before the order is paid.
    pub invoice: Option<(i64, i64)>,
}
