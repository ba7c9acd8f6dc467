//! Checkout: the browser asks for a checkout with an email; the server builds the order from
//! the cart and database prices, creates the PaymentIntent, and hands back only what Stripe.js
//! needs.

use crate::error::AppError;
use crate::model::checkout::CheckoutSession;
use leptos::prelude::*;

/// Builds (or brings up to date) the order for the visitor's cart and its PaymentIntent.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(email: String) -> Result<CheckoutSession, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::start(&state, &cart_id, &email).await
}

/// Notes that the shopper is trying to pay again after a failure.
#[server(endpoint = "checkout/attempt")]
pub async fn payment_attempt(order_id: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    crate::server::checkout::attempt_started(&state, &order_id).await
}
