//! Checkout: orders from the cart at database prices, PaymentIntents created and updated with
//! idempotency keys derived from the order.

use super::stripe::client::{CreatePaymentIntent, PaymentIntent, StripeError, UpdatePaymentIntent};
use super::{db, sync, AppState};
use crate::domain::cart::check_quantity;
use crate::domain::email::Email;
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentEvent};
use crate::error::AppError;
use crate::model::checkout::CheckoutSession;
use crate::model::orders::{OrderLineView, OrderView};
use rand::distributions::{Alphanumeric, DistString};
use std::collections::HashMap;
use std::sync::Arc;

fn new_order_id() -> String {
    format!(
        "ord_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 24)
    )
}

fn payment_failed(e: StripeError) -> AppError {
    tracing::error!(error = %e, "Stripe request failed");
    AppError::Payment(e.shopper_message())
}

/// Checkout starts for one cart run one at a time in this process (two tabs, a double click),
/// so an order's revisions never race; the database's one-open-order-per-cart index covers the
/// rest.
#[derive(Default)]
pub struct CartLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl CartLocks {
    pub(crate) async fn lock(&self, cart_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            // Forget locks nobody holds, so the map stays small.
            map.retain(|_, l| Arc::strong_count(l) > 1);
            map.entry(cart_id.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// Builds (or brings up to date) the cart's order and its PaymentIntent. The order's amount and
/// items change only while Stripe still lets the PaymentIntent change, and only after Stripe
/// accepted the new amount; a payment already on its way is never touched.
pub async fn start(
    state: &AppState,
    cart_id: &str,
    email: &str,
) -> Result<CheckoutSession, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::InvalidEmail(m.into()))?;
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    // At most: an order found paid or canceled at Stripe is settled, then a new one starts.
    for _ in 0..3 {
        let (cart, total) = priced_cart(state, cart_id).await?;
        let expires_at = sync::now() + state.config.orders.hold.as_secs() as i64;
        let draft = db::OrderDraft {
            cart_id,
            email: email.as_str(),
            cart: &cart,
            total: &total,
            expires_at,
        };
        let order = match db::open_order_for_cart(&state.pool, cart_id).await? {
            Some(order) => order,
            None => match db::create_order(&state.pool, &new_order_id(), &draft).await? {
                db::Created::New(order) | db::Created::Existing(order) => order,
                db::Created::Refused(err) => return Err(err),
            },
        };
        if order.gateway != crate::domain::gateway::Gateway::Stripe {
            // Back from PayPal's window to the card form: unless PayPal took the money.
            super::paypal::back_to_cards(state, &order).await?;
            continue;
        }
        let Some(pi_id) = order.payment_intent_id.clone() else {
            return create_payment_intent(state, order, &draft).await;
        };
        let pi = state
            .payments
            .stripe
            .payment_intent_object(&pi_id)
            .await
            .map_err(payment_failed)?;
        match pi["status"].as_str().unwrap_or_default() {
            // Stripe still lets the amount change. https://docs.stripe.com/api/payment_intents/update
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {
                return bring_up_to_date(state, order, &pi, &draft).await;
            }
            "processing" => {
                sync::apply_object(state, &pi, sync::now(), db::Origin::Reconciled).await?;
                return Err(AppError::PaymentInProgress);
            }
            // Paid or canceled meanwhile (its webhook not here yet): settle it, start afresh.
            _ => {
                sync::apply_object(state, &pi, sync::now(), db::Origin::Reconciled).await?;
                if db::order_by_id(&state.pool, &order.id)
                    .await?
                    .is_some_and(|o| o.status.is_open())
                {
                    return Err(AppError::PaymentInProgress);
                }
            }
        }
    }
    Err(AppError::PaymentInProgress)
}

/// The cart priced from the database, checked against the stock and Stripe's minimum.
async fn priced_cart(
    state: &AppState,
    cart_id: &str,
) -> Result<(crate::domain::cart::Cart, Money), AppError> {
    let cart = db::load_cart(&state.pool, cart_id, &state.config.currency).await?;
    if cart.is_empty() {
        return Err(AppError::EmptyCart);
    }
    for line in &cart.lines {
        if check_quantity(line.quantity, line.stock).is_err() {
            return Err(AppError::StockChanged {
                name: line.name.clone(),
                available: line.stock.max(0),
            });
        }
    }
    let total = cart.total().map_err(|e| {
        tracing::error!(error = %e, "cart total");
        AppError::Internal
    })?;
    let minimum = Money::new(total.currency.minimum_charge(), total.currency.clone());
    if total.minor < minimum.minor {
        return Err(AppError::BelowMinimum(minimum.to_string()));
    }
    Ok((cart, total))
}

/// An order without a PaymentIntent (new, or its creation failed last time): brought up to
/// the cart first (nothing was charged yet), then given its PaymentIntent. The key names the
/// revision, so a retry finds the same PaymentIntent and a changed cart makes a fresh one.
async fn create_payment_intent(
    state: &AppState,
    mut order: db::OrderRow,
    draft: &db::OrderDraft<'_>,
) -> Result<CheckoutSession, AppError> {
    if !same_order(state, &order, draft).await? {
        order = db::revise_order(&state.pool, &order, order.revision + 1, draft).await??;
    }
    let total = order.total();
    let create = CreatePaymentIntent {
        amount: total.minor,
        currency: total.currency.stripe_code(),
        automatic_payment_methods: true,
        metadata: [("order_id".to_string(), order.id.clone())].into(),
        receipt_email: Some(order.email.clone()),
        description: Some(format!("Order {}", order.id)),
        ..Default::default()
    };
    let key = format!("order-{}-r{}-create", order.id, order.revision);
    let pi = state
        .payments
        .stripe
        .create_payment_intent(&create, &key)
        .await
        .map_err(payment_failed)?;
    check_amount(&pi, &total)?;
    db::set_payment_intent(&state.pool, &order.id, &pi.id).await?;
    session(state, &order.id, pi.client_secret, total)
}

/// An open order whose PaymentIntent can still change: unchanged, it only keeps its hold;
/// changed, Stripe gets the new amount first (keyed by the next revision), then the order.
async fn bring_up_to_date(
    state: &AppState,
    order: db::OrderRow,
    pi: &serde_json::Value,
    draft: &db::OrderDraft<'_>,
) -> Result<CheckoutSession, AppError> {
    let stripe = &state.payments.stripe;
    let pi_id = pi["id"].as_str().unwrap_or_default().to_string();
    let client_secret = pi["client_secret"].as_str().map(str::to_string);
    if same_order(state, &order, draft).await? && pi["amount"].as_i64() == Some(order.total_minor) {
        db::extend_hold(&state.pool, &order.id, draft.expires_at).await?;
        return session(state, &order.id, client_secret, order.total());
    }
    let revision = order.revision + 1;
    let update = UpdatePaymentIntent {
        amount: Some(draft.total.minor),
        currency: Some(draft.total.currency.stripe_code()),
        receipt_email: Some(draft.email.to_string()),
    };
    let updated = stripe
        .update_payment_intent(&pi_id, &update, &format!("order-{}-r{revision}", order.id))
        .await
        .map_err(payment_failed)?;
    check_amount(&updated, draft.total)?;
    match db::revise_order(&state.pool, &order, revision, draft).await? {
        Ok(order) => session(state, &order.id, updated.client_secret, order.total()),
        Err(refused) => {
            // The stock went meanwhile: put the PaymentIntent back to what the order says.
            let back = UpdatePaymentIntent {
                amount: Some(order.total_minor),
                currency: Some(order.currency.stripe_code()),
                receipt_email: Some(order.email.clone()),
            };
            let undo = revision + 1;
            stripe
                .update_payment_intent(&pi_id, &back, &format!("order-{}-r{undo}", order.id))
                .await
                .map_err(payment_failed)?;
            db::set_revision(&state.pool, &order.id, undo).await?;
            Err(refused)
        }
    }
}

/// Whether the order already is what the draft describes (items, prices, total, email).
async fn same_order(
    state: &AppState,
    order: &db::OrderRow,
    draft: &db::OrderDraft<'_>,
) -> Result<bool, AppError> {
    let items = db::order_items(&state.pool, &order.id).await?;
    let same_items = items.len() == draft.cart.lines.len()
        && items.iter().zip(&draft.cart.lines).all(|(i, l)| {
            i.product_id == l.product_id
                && i.quantity == l.quantity
                && i.unit_price_minor == l.unit_price.minor
        });
    Ok(same_items && order.total() == *draft.total && order.email == draft.email)
}

/// Stripe must have taken exactly the amount the shopper is shown.
fn check_amount(pi: &PaymentIntent, total: &Money) -> Result<(), AppError> {
    if pi.amount == total.minor && pi.currency == total.currency.stripe_code() {
        Ok(())
    } else {
        tracing::error!(pi = %pi.id, amount = pi.amount, currency = %pi.currency, expected = %total, "PaymentIntent amount differs from the order");
        Err(AppError::Internal)
    }
}

fn session(
    state: &AppState,
    order_id: &str,
    client_secret: Option<String>,
    total: Money,
) -> Result<CheckoutSession, AppError> {
    let client_secret = client_secret.ok_or_else(|| {
        tracing::error!(order = %order_id, "PaymentIntent without a client secret");
        AppError::Internal
    })?;
    Ok(CheckoutSession {
        order_id: order_id.to_string(),
        client_secret,
        publishable_key: state.payments.publishable_key.clone(),
        stripe_js_url: state.payments.js_url.clone(),
        element: state.config.element,
        paypal_sdk_url: state.payments.paypal.as_ref().map(|p| {
            format!(
                "{}?client-id={}&currency={}&intent=capture&components=buttons",
                p.js_url,
                p.client.client_id(),
                total.currency.code()
            )
        }),
        total,
    })
}

/// The shopper is about to pay what the page shows: refused if the order changed meanwhile;
/// after a failed payment the order goes back to pending.
pub async fn attempt_started(
    state: &AppState,
    order_id: &str,
    shown_minor: i64,
) -> Result<(), AppError> {
    let order = db::order_by_id(&state.pool, order_id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    if order.total_minor != shown_minor {
        return Err(AppError::TotalChanged(order.total().to_string()));
    }
    if order.status == OrderStatus::PaymentFailed {
        let event_id = format!(
            "local_attempt_{}",
            Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
        );
        let now = sync::now();
        let fact = db::PaymentFact {
            event_id: &event_id,
            event_type: "checkout.attempt_started",
            gateway: order.gateway,
            reference: order.reference(order.gateway),
            order_hint: Some(order_id),
            origin: db::Origin::Checkout,
        };
        let outcome = db::apply_stripe_event(&state.pool, fact, |s| {
            (
                s.apply(&PaymentEvent::AttemptStarted, now),
                "The shopper is trying another payment".into(),
            )
        })
        .await?;
        super::live::publish(state, &outcome);
    }
    Ok(())
}

pub async fn order_view(state: &AppState, id: &str) -> Result<Option<OrderView>, sqlx::Error> {
    let Some(order) = db::order_by_id(&state.pool, id).await? else {
        return Ok(None);
    };
    let currency = order.currency.clone();
    let items = db::order_items(&state.pool, id)
        .await?
        .into_iter()
        .map(|i| {
            let unit_price = Money::new(i.unit_price_minor, currency.clone());
            OrderLineView {
                line_total: Money::new(i.unit_price_minor * i.quantity, currency.clone()),
                name: i.name,
                unit_price,
                quantity: i.quantity,
            }
        })
        .collect();
    Ok(Some(OrderView {
        status: order.status,
        total: order.total(),
        id: order.id,
        email: order.email,
        items,
        created_at: order.created_at,
    }))
}
