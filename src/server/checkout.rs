//! Checkout: orders from the cart at database prices, PaymentIntents created and updated with
//! idempotency keys derived from the order.

use super::stripe::client::{CreatePaymentIntent, StripeError, UpdatePaymentIntent};
use super::{db, AppState};
use crate::domain::cart::check_quantity;
use crate::domain::email::Email;
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentEvent};
use crate::error::AppError;
use crate::model::checkout::CheckoutSession;
use crate::model::orders::{OrderLineView, OrderView};
use rand::distributions::{Alphanumeric, DistString};

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

/// A short, stable fingerprint for idempotency keys (FNV-1a).
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    format!("{hash:016x}")
}

pub async fn start(
    state: &AppState,
    cart_id: &str,
    email: &str,
) -> Result<CheckoutSession, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::InvalidEmail(m.into()))?;
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

    let open = db::open_order_for_cart(&state.pool, cart_id).await?;
    if open
        .as_ref()
        .is_some_and(|o| o.status == OrderStatus::Processing)
    {
        return Err(AppError::PaymentInProgress);
    }
    let (order_id, is_new) = match &open {
        Some(order) => (order.id.clone(), false),
        None => (new_order_id(), true),
    };
    db::save_order(
        &state.pool,
        &order_id,
        cart_id,
        email.as_str(),
        &cart,
        &total,
        is_new,
    )
    .await?;

    let stripe = &state.payments.stripe;
    let payment_intent = match open.and_then(|o| o.payment_intent_id) {
        Some(pi) => {
            let update = UpdatePaymentIntent {
                amount: Some(total.minor),
                currency: Some(total.currency.stripe_code()),
                receipt_email: Some(email.as_str().to_string()),
            };
            let key = format!(
                "order-{order_id}-update-{}",
                fingerprint(&format!(
                    "{}|{}|{}",
                    total.minor,
                    total.currency,
                    email.as_str()
                ))
            );
            stripe
                .update_payment_intent(&pi, &update, &key)
                .await
                .map_err(payment_failed)?
        }
        None => {
            let create = CreatePaymentIntent {
                amount: total.minor,
                currency: total.currency.stripe_code(),
                automatic_payment_methods: true,
                metadata: [("order_id".to_string(), order_id.clone())].into(),
                receipt_email: Some(email.as_str().to_string()),
                description: Some(format!("Order {order_id}")),
                ..Default::default()
            };
            let pi = stripe
                .create_payment_intent(&create, &format!("order-{order_id}-create"))
                .await
                .map_err(payment_failed)?;
            db::set_payment_intent(&state.pool, &order_id, &pi.id).await?;
            pi
        }
    };
    let client_secret = payment_intent.client_secret.ok_or_else(|| {
        tracing::error!(order = %order_id, "PaymentIntent without a client secret");
        AppError::Internal
    })?;
    Ok(CheckoutSession {
        order_id,
        client_secret,
        publishable_key: state.payments.publishable_key.clone(),
        stripe_js_url: state.payments.js_url.clone(),
        element: state.config.element,
        total,
    })
}

/// The shopper is trying again after a failed payment: the order goes back to pending.
pub async fn attempt_started(state: &AppState, order_id: &str) -> Result<(), AppError> {
    let order = db::order_by_id(&state.pool, order_id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    if order.status == OrderStatus::PaymentFailed {
        let event_id = format!(
            "local_attempt_{}",
            Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let outcome = db::apply_stripe_event(
            &state.pool,
            &event_id,
            "checkout.attempt_started",
            None,
            Some(order_id),
            |s| {
                (
                    s.apply(&PaymentEvent::AttemptStarted, now),
                    "The shopper is trying another payment".into(),
                )
            },
        )
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
