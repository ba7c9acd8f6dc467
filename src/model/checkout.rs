//! What the payment form needs from the server.

use crate::domain::money::Money;
use serde::{Deserialize, Serialize};

/// Which Stripe Element collects the card (`STRIPE_ELEMENT=payment|card`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElementKind {
    Payment,
    Card,
}

/// What the payment form needs. The client secret goes to this shopper's browser only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub order_id: String,
    pub client_secret: String,
    pub publishable_key: String,
    pub stripe_js_url: String,
    pub element: ElementKind,
    pub total: Money,
    /// The PayPal JS SDK's URL for this order (client id, currency, intent), when the shop
    /// takes PayPal.
    pub paypal_sdk_url: Option<String>,
}

/// What capturing an approved PayPal payment did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayPalCapture {
    /// The order's status after it.
    pub status: crate::domain::order::OrderStatus,
    /// PayPal declined the funding source: the shopper chooses another in PayPal's window.
    pub restart: bool,
}
