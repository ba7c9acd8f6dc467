//! Checkout: the browser asks for a checkout with an email; the server builds the order from
//! the cart and database prices and hands back what the payment form needs. Pay sends what the
//! card form made and the order's revision the page shows; the server creates and confirms the
//! PaymentIntent for exactly that order.

use crate::error::AppError;
use crate::model::checkout::{CheckoutSession, PayOutcome, PayPalCapture};
use leptos::prelude::*;

/// Builds (or brings up to date) the order for the visitor's cart.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(email: String) -> Result<CheckoutSession, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::start(&state, &cart_id, &email).await
}

/// Pay by card: `with` is the ConfirmationToken (`ctoken_…`, Payment Element) or PaymentMethod
/// (`pm_…`, Card Element) the page made, `revision` the order's revision it shows. Refused with
/// `OrderChanged` (409, nothing charged) when the order is no longer that revision.
#[server(endpoint = "checkout/pay")]
pub async fn pay(order_id: String, revision: i64, with: String) -> Result<PayOutcome, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::pay(&state, &cart_id, &order_id, revision, &with).await
}

/// Pay on Stripe's hosted Checkout page (`STRIPE_UI=checkout`): the URL of a Checkout Session
/// for exactly the order at `revision` (or `OrderChanged`), where the page sends the shopper.
#[server(endpoint = "checkout/hosted")]
pub async fn pay_hosted(order_id: String, revision: i64) -> Result<String, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::hosted_checkout::pay(&state, &cart_id, &order_id, revision).await
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
