//! Checkout: the browser asks for a checkout with an email; the server builds the order from
//! the cart and database prices and hands back what the payment form needs. Pay sends what the
//! card form made and the order's revision the page shows; the server creates and confirms the
//! PaymentIntent for exactly that order.

// The checkout form's fields are the server function's arguments, one each (the client function
// the macro makes for the browser has them all too).
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::checkout::{CheckoutSession, PayOutcome, PayPalCapture};
use leptos::prelude::*;

/// Builds (or brings up to date) the order for the visitor's cart, shipped to the address, by
/// the rate (`rate`, a rate id; empty picks the cheapest) with the code (`code`, may be empty).
/// Every change of them makes a new revision of the order.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(
    email: String,
    name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: Option<String>,
    country: String,
    rate: Option<String>,
    code: Option<String>,
) -> Result<CheckoutSession, AppError> {
    use crate::domain::address::AddressInput;
    use crate::server::checkout::Wants;
    let (state, cart_id) = crate::server::session::current_cart().await?;
    let wants = Wants {
        address: AddressInput {
            name,
            line1,
            line2: line2.unwrap_or_default(),
            city,
            region: region.unwrap_or_default(),
            postal_code: postal_code.unwrap_or_default(),
            country,
        },
        rate_id: rate.as_deref().and_then(Wants::rate),
        code: code.as_deref().and_then(Wants::code),
    };
    crate::server::checkout::start(&state, &cart_id, &email, &wants).await
}

/// The email, address and code of the cart's open order, to fill the checkout form again (empty
/// without one), and the countries the shop ships to beyond those the form lists by name.
#[server(endpoint = "checkout/resume")]
pub async fn resume_checkout() -> Result<crate::model::checkout::CheckoutDetails, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::resume(&state, &cart_id).await
}

/// How the shopper's open order's total is made now (after the page learnt it changed).
#[server(endpoint = "checkout/summary")]
pub async fn order_summary(
    order_id: String,
) -> Result<crate::domain::pricing::Breakdown, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::summary(&state, &cart_id, &order_id).await
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
