//! Stripe's hosted Checkout (`STRIPE_UI=checkout`): the shopper pays on Stripe's page, in a
//! Checkout Session made for the order (https://docs.stripe.com/payments/checkout).
//!
//! The session is made when the shopper presses Pay, for the revision the page shows, from the
//! order's lines at database prices; it expires with the order's hold. Its PaymentIntent carries
//! the order in its metadata, so the PaymentIntent's events move the order as the card form's do;
//! `checkout.session.*` events (completed, async payment succeeded or failed, expired) go through
//! the same apply path (`sync`), deduplicated, and only the order's current session moves it
//! (but for money taken, which is never ignored).

use super::checkout::{as_shown, hold_until, payable, payment_failed};
use super::{db, sync, AppState};
use crate::error::AppError;

/// Stripe's shortest Checkout Session (30 minutes), and a minute of margin for the request.
/// https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at
const SHORTEST_SESSION: i64 = 30 * 60 + 60;

/// Pay with Stripe Checkout: the URL of the order's Checkout Session for the revision the page
/// shows, made now or (pressed again) the one already open. `OrderChanged` when the order is no
/// longer that revision, as for the card form; the order page's URL when it is paid already.
pub async fn pay(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
    revision: i64,
) -> Result<String, AppError> {
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    let order_page = format!("{}/orders/{}", state.config.public_url, order_id);
    let Some(order) = payable(state, cart_id, order_id).await? else {
        return Ok(order_page);
    };
    if !as_shown(state, cart_id, &order, revision).await? {
        return Ok(order_page);
    }
    let stripe = &state.payments.stripe;
    // Pressed again (back from Stripe's page): the open session is the same one.
    if let Some(id) = &order.checkout_session_id {
        let session = stripe.checkout_session(id).await.map_err(payment_failed)?;
        match session["status"].as_str().unwrap_or_default() {
            "open" => {
                if let Some(url) = session["url"].as_str() {
                    return Ok(url.to_string());
                }
            }
            "complete" => {
                sync::apply_object(state, &session, sync::now(), db::Origin::Checkout).await?;
                return Ok(order_page);
            }
            _ => {}
        }
    }
    // The session lives as long as the hold, and the hold at least as long as the session.
    let expires_at = hold_until(state).max(sync::now() + SHORTEST_SESSION);
    db::extend_hold(&state.pool, &order.id, expires_at + 60).await?;
    let form = session_form(state, &order, expires_at).await?;
    // A session expired at Stripe gives way to a new one: its key names the one it follows.
    let key = match &order.checkout_session_id {
        Some(expired) => format!(
            "order-{}-r{}-checkout-after-{expired}",
            order.id, order.revision
        ),
        None => format!("order-{}-r{}-checkout", order.id, order.revision),
    };
    let session = stripe
        .create_checkout_session(&form, &key)
        .await
        .map_err(payment_failed)?;
    let (Some(id), Some(url)) = (session["id"].as_str(), session["url"].as_str()) else {
        tracing::error!(order = %order.id, "Checkout Session without an id or a URL");
        return Err(AppError::Internal);
    };
    if session["amount_total"].as_i64() != Some(order.total_minor) {
        tracing::error!(order = %order.id, session = %id, "Checkout Session total differs from the order");
        let _ = stripe
            .expire_checkout_session(id, &format!("{key}-wrong-total"))
            .await;
        return Err(AppError::Internal);
    }
    db::set_checkout_session(&state.pool, &order.id, Some(id)).await?;
    Ok(url.to_string())
}

/// The Checkout Session's request: the order's lines at the prices it was made with, the order
/// in its metadata and its PaymentIntent's, back to the live order page or to the cart.
async fn session_form(
    state: &AppState,
    order: &db::OrderRow,
    expires_at: i64,
) -> Result<Vec<(String, String)>, AppError> {
    let public = &state.config.public_url;
    let revision = order.revision.to_string();
    let mut form: Vec<(String, String)> = vec![
        ("mode".into(), "payment".into()),
        ("customer_email".into(), order.email.clone()),
        ("client_reference_id".into(), order.id.clone()),
        ("metadata[order_id]".into(), order.id.clone()),
        ("metadata[order_revision]".into(), revision.clone()),
        (
            "payment_intent_data[metadata][order_id]".into(),
            order.id.clone(),
        ),
        (
            "payment_intent_data[metadata][order_revision]".into(),
            revision,
        ),
        (
            "payment_intent_data[description]".into(),
            format!("Order {}", order.id),
        ),
        (
            "success_url".into(),
            format!("{public}/orders/{}", order.id),
        ),
        ("cancel_url".into(), format!("{public}/cart")),
        ("expires_at".into(), expires_at.to_string()),
    ];
    let currency = order.currency.stripe_code();
    if let Some(address) = order.address() {
        form.extend(
            super::checkout::stripe_shipping(address)
                .into_iter()
                .map(|(k, v)| {
                    let rest = k.strip_prefix("shipping").unwrap_or_default();
                    (format!("payment_intent_data[shipping]{rest}"), v)
                }),
        );
    }
    let pricing = order.breakdown();
    if pricing.total != pricing.items {
        // Shipping, a discount or added tax: Stripe would price those with its own objects
        // (shipping rates, coupons, tax rates). The order's total is worked out here, once, so
        // the page charges it as one line, named for what it holds.
        form.extend([
            ("line_items[0][price_data][currency]".into(), currency),
            (
                "line_items[0][price_data][unit_amount]".into(),
                pricing.total.minor.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                hosted_line_name(order, &pricing),
            ),
            ("line_items[0][quantity]".into(), "1".into()),
        ]);
        return Ok(form);
    }
    for (i, item) in db::order_items(&state.pool, &order.id)
        .await?
        .into_iter()
        .enumerate()
    {
        let line = |field: &str| format!("line_items[{i}]{field}");
        form.extend([
            (line("[price_data][currency]"), currency.clone()),
            (
                line("[price_data][unit_amount]"),
                item.unit_price_minor.to_string(),
            ),
            (line("[price_data][product_data][name]"), item.name),
            (line("[quantity]"), item.quantity.to_string()),
        ]);
    }
    Ok(form)
}

/// Expires the order's Checkout Session at Stripe, after forgetting it. `false` when Stripe
/// would not, because the shopper paid it meanwhile: then it is applied and the order is its.
pub(super) async fn expire(
    state: &AppState,
    order: &db::OrderRow,
    session: &str,
) -> Result<bool, AppError> {
    db::set_checkout_session(&state.pool, &order.id, None).await?;
    let key = format!("order-{}-r{}-checkout-expire", order.id, order.revision);
    let stripe = &state.payments.stripe;
    match stripe.expire_checkout_session(session, &key).await {
        Ok(_) => Ok(true),
        Err(e) if e.refused() => {
            let object = stripe
                .checkout_session(session)
                .await
                .map_err(payment_failed)?;
            if object["status"] == "expired" {
                return Ok(true);
            }
            db::set_checkout_session(&state.pool, &order.id, Some(session)).await?;
            sync::apply_object(state, &object, sync::now(), db::Origin::Checkout).await?;
            Ok(false)
        }
        Err(e) => {
            db::set_checkout_session(&state.pool, &order.id, Some(session)).await?;
            Err(payment_failed(e))
        }
    }
}

/// "Order ord_…: items $74.50, Standard shipping $8.00, SAVE10 −$7.45, tax $5.96".
fn hosted_line_name(order: &db::OrderRow, pricing: &crate::domain::pricing::Breakdown) -> String {
    let mut parts = vec![format!("items {}", pricing.items)];
    if let Some(name) = &pricing.shipping_name {
        parts.push(format!("{name} shipping {}", pricing.shipping));
    }
    if pricing.discount.minor > 0 {
        let code = pricing.discount_code.as_deref().unwrap_or("discount");
        parts.push(format!("{code} −{}", pricing.discount));
    }
    if pricing.tax_mode == crate::domain::pricing::TaxMode::Exclusive && pricing.tax.minor > 0 {
        parts.push(format!("tax {}", pricing.tax));
    }
    format!("Order {}: {}", order.id, parts.join(", "))
}
