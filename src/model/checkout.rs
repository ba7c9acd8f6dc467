//! What the payment form needs from the server.

use crate::domain::address::{Address, AddressInput};
use crate::domain::money::Money;
use crate::domain::pricing::Breakdown;
use serde::{Deserialize, Serialize};

/// Which Stripe Element collects the card (`STRIPE_ELEMENT=payment|card`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElementKind {
    Payment,
    Card,
}

/// Where the shopper types their card (`STRIPE_UI=elements|checkout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StripeUi {
    /// Stripe Elements on the shop's checkout page.
    Elements,
    /// Stripe's hosted Checkout page (https://docs.stripe.com/payments/checkout).
    Checkout,
}

/// What the payment form needs. No PaymentIntent exists yet: the Payment Element is made for
/// the order's amount and currency (Stripe's deferred mode), and the PaymentIntent is created and
/// confirmed on the server when the shopper presses Pay, for the revision the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub order_id: String,
    /// The order's revision the page shows; Pay sends it back, and a changed order is refused.
    pub revision: i64,
    pub publishable_key: String,
    pub stripe_js_url: String,
    pub element: ElementKind,
    pub ui: StripeUi,
    pub total: Money,
    /// Items, shipping, discount, tax: how the total is made.
    pub pricing: Breakdown,
    /// The ways to ship to the address, each priced for this order; `rate_id` is the chosen one.
    pub rates: Vec<RateOption>,
    pub rate_id: i64,
    /// The address as the server checked it.
    pub address: Address,
    /// The PayPal JS SDK's URL for this order (client id, currency, intent), when the shop
    /// takes PayPal.
    pub paypal_sdk_url: Option<String>,
}

/// What the checkout form is filled with when the shopper comes back to an open order (after
/// leaving PayPal's window or Stripe's page, or a reload): their email, address and code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutDetails {
    pub email: String,
    pub address: AddressInput,
    pub code: String,
    /// Countries the shop's zones ship to, beyond those the checkout lists by name.
    pub more_countries: Vec<String>,
}

/// A way to ship the order, priced for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateOption {
    pub id: i64,
    pub name: String,
    pub price: Money,
    /// The rate's rule in words ("Free from $75.00").
    pub rule: String,
}

/// What capturing an approved PayPal payment did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayPalCapture {
    /// The order's status after it.
    pub status: crate::domain::order::OrderStatus,
    /// PayPal declined the funding source: the shopper chooses another in PayPal's window.
    pub restart: bool,
}

/// What pressing Pay did (`checkout/pay`). An order that changed since the page showed it is
/// an error (`AppError::OrderChanged`): nothing was charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayOutcome {
    /// Paid, or on its way (processing, or paid already by another tab): the order page follows.
    Submitted,
    /// The bank asks the shopper to authenticate: `stripe.handleNextAction` with this client
    /// secret (for this shopper's browser only), then the order page.
    Authenticate { client_secret: String },
    /// The card was declined, in words for the shopper; another card can pay the same order.
    Declined { message: String },
}
