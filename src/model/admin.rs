//! What the merchant's pages show.

use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, RefundStatus};
use crate::model::orders::OrderView;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderRow {
    pub id: String,
    pub email: String,
    pub status: OrderStatus,
    pub total: Money,
    pub payment_intent_id: Option<String>,
    pub created_at: i64,
    /// Paid after its hold ran out with the stock gone.
    pub oversold: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<AdminOrderRow>,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
    /// Orders per status under the filter.
    pub counts: Vec<(OrderStatus, i64)>,
    /// Orders corrected from Stripe because their webhook never came (all time).
    pub reconciled: i64,
}

/// What a line of an order's timeline records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case"))]
pub enum TimelineKind {
    /// The order was placed.
    Created,
    /// The cart (and so the order) changed before payment.
    Updated,
    /// A payment event changed the order.
    StripeEvent,
    /// A payment event arrived that changes nothing (late, repeated, or not used).
    StripeEventIgnored,
    /// Stripe took a different amount from the order's total.
    AmountMismatch,
    /// Stock taken and cart emptied once paid.
    Fulfilment,
    /// The merchant asked for a refund.
    RefundRequested,
    /// The order was corrected from what Stripe's API says (its webhook never came).
    Reconciled,
    /// An email about the order was queued, sent, resent or given up on.
    Email,
    /// A parcel of the order went out (carrier and tracking number).
    Shipped,
    /// A parcel arrived.
    Delivered,
    /// A parcel came back and its items went back in stock.
    Returned,
    /// The merchant canceled the paid order before anything shipped: refunded and restocked.
    FulfilmentCanceled,
    /// The order's invoice number was given (when it was paid).
    Invoiced,
}

/// One line of an order's story (a row of `order_events`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TimelineEntry {
    pub at: i64,
    pub kind: TimelineKind,
    pub stripe_event_id: Option<String>,
    pub old_status: Option<OrderStatus>,
    pub new_status: Option<OrderStatus>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub amount: Money,
    pub state: RefundStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOrderDetail {
    pub order: OrderView,
    pub payment_intent_id: Option<String>,
    pub dashboard_url: Option<String>,
    /// Who takes the payment, and that gateway's order and payment (PayPal's order and capture).
    pub gateway: crate::domain::gateway::Gateway,
    pub gateway_ref: Option<String>,
    pub gateway_payment_ref: Option<String>,
    pub refundable: Money,
    pub refunds: Vec<RefundView>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    pub oversold: bool,
}
