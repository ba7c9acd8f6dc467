//! Checkout and orders: the browser asks for a checkout with an email; the server builds the
//! order from the cart and database prices, creates the PaymentIntent, and hands back only
//! what Stripe.js needs.

use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
use crate::error::AppError;
use leptos::prelude::*;
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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub name: String,
    pub unit_price: Money,
    pub quantity: i64,
    pub line_total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub status: OrderStatus,
    pub email: String,
    pub total: Money,
    pub items: Vec<OrderLineView>,
    pub created_at: i64,
}

/// Builds (or brings up to date) the order for the visitor's cart and its PaymentIntent.
#[server(endpoint = "checkout/start")]
pub async fn start_checkout(email: String) -> Result<CheckoutSession, AppError> {
    let (state, cart_id) = crate::server::session::current_cart().await?;
    crate::server::checkout::start(&state, &cart_id, &email)
        .await
        .map_err(crate::server::reject)
}

/// Notes that the shopper is trying to pay again after a failure.
#[server(endpoint = "checkout/attempt")]
pub async fn payment_attempt(order_id: String) -> Result<(), AppError> {
    let state = crate::server::state()?;
    crate::server::checkout::attempt_started(&state, &order_id)
        .await
        .map_err(crate::server::reject)
}

/// An order, by its unguessable id (the link is the shopper's receipt).
#[server(endpoint = "orders/get")]
pub async fn get_order(id: String) -> Result<Option<OrderView>, AppError> {
    let state = crate::server::state()?;
    Ok(crate::server::checkout::order_view(&state, &id).await?)
}
