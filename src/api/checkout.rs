//! Checkout: the browser asks for a checkout with an email; the server builds the order from
//! the cart and database prices, creates the PaymentIntent, and hands back only what Stripe.js
//! needs.

use crate::error::AppError;
use crate::model::checkout::{CheckoutSession, PayPalCapture};
use leptos::prelude::*;

/// Builds (or brings up to date) the order for the visitor's cart and its PaymentIntent.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(email: String) -> Result<CheckoutSession, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::start(&state, &cart_id, &email).await
}

/// Called just before the card is confirmed, with the total the page shows: refused when the
/// order's total has changed since (another tab changed the cart), so the shopper is never
/// charged an amount they were not shown. Also reopens a failed order for a new attempt.
#[server(endpoint = "checkout/attempt")]
pub async fn payment_attempt(order_id: String, shown_minor: i64) -> Result<(), AppError> {
    let state = crate::server::state()?;
    crate::server::checkout::attempt_started(&state, &order_id, shown_minor).await
}

/// `createOrder` of the PayPal button: the order moves to PayPal for the total the page shows.
/// Returns PayPal's order id.
#[server(endpoint = "checkout/paypal/create")]
pub async fn paypal_create(order_id: String, shown_minor: i64) -> Result<String, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::paypal::create(&state, &cart_id, &order_id, shown_minor).await
}

/// `onApprove` of the PayPal button: captures the approved payment. `attempt` is made by the
/// page for each approval.
#[server(endpoint = "checkout/paypal/capture")]
pub async fn paypal_capture(order_id: String, attempt: String) -> Result<PayPalCapture, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::paypal::capture(&state, &cart_id, &order_id, &attempt).await
}
