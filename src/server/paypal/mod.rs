//! The PayPal gateway (Orders v2): creating and capturing an order's payment from server
//! functions, its webhooks, refunds, and what reconciliation and expiry ask of it. Everything
//! PayPal says becomes the domain's payment events and goes through the same one path as
//! Stripe's (`db::apply_stripe_event` via the writer), deduplicated by id.

pub mod amount;
pub mod client;
pub mod events;
pub mod verify;

use super::db::{self, OrderRow, Origin, PaymentFact, WebhookOutcome};
use super::{sync, AppState};
use crate::domain::gateway::Gateway;
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentEvent};
use crate::error::AppError;
use crate::model::checkout::PayPalCapture;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use client::{PayPalClient, PayPalError};
use serde_json::Value;

/// A PayPal account (or the simulator standing in for one).
pub struct PayPal {
    pub client: PayPalClient,
    pub verifier: verify::Verifier,
    /// Where the JS SDK is loaded from (`https://www.paypal.com/sdk/js`).
    pub js_url: String,
}

fn paypal(state: &AppState) -> Result<&PayPal, AppError> {
    state
        .payments
        .paypal
        .as_deref()
        .ok_or_else(|| AppError::Payment("PayPal is not available in this shop.".into()))
}

fn refused(e: PayPalError) -> AppError {
    tracing::warn!(error = %e, "PayPal request failed");
    AppError::Payment(e.shopper_message())
}

/// The open order of this cart, as the shopper sees it.
async fn shoppers_order(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
) -> Result<OrderRow, AppError> {
    db::order_by_id(&state.pool, order_id)
        .await?
        .filter(|o| o.cart_id == cart_id)
        .ok_or(AppError::OrderNotFound)
}

/// `createOrder` of the PayPal button: the order moves to PayPal (its card payment, if any, is
/// canceled at Stripe first; refused if that payment is already on its way), then PayPal gets an
/// order for exactly the total the shopper is shown. Returns PayPal's order id.
pub async fn create(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
    shown_minor: i64,
) -> Result<String, AppError> {
    let paypal = paypal(state)?;
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    let mut order = shoppers_order(state, cart_id, order_id).await?;
    if !matches!(
        order.status,
        OrderStatus::Pending | OrderStatus::PaymentFailed
    ) {
        return Err(AppError::PaymentInProgress);
    }
    if order.total_minor != shown_minor {
        return Err(AppError::TotalChanged(order.total().to_string()));
    }
    let total = order.total();
    let Some(value) = amount::to_paypal(&total) else {
        return Err(AppError::Payment(format!(
            "PayPal cannot take this amount in {}; please pay by card.",
            total.currency
        )));
    };
    let card_payment = order.payment_intent_id.clone();
    if order.gateway == Gateway::Paypal {
        if let Some(existing) = &order.gateway_ref {
            // A second click, or the button made again: the same PayPal order.
            return Ok(existing.clone());
        }
        // Moved to PayPal before, but no PayPal order was made: the process may have died
        // before the card payment was canceled, so its cancellation is asked again (the same
        // idempotency key, so Stripe answers a cancellation already made the same way). A
        // PayPal order is never made while the card payment can still be paid.
    } else {
        // Moved first, so the card payment's cancellation (its webhook may come back before
        // Stripe's answer) finds an order that no longer listens to it.
        order = db::switch_gateway(&state.pool, &order, Gateway::Paypal)
            .await?
            .ok_or(AppError::PaymentInProgress)?;
    }
    if let Some(pi) = card_payment {
        let key = format!("order-{}-r{}-to-paypal", order.id, order.revision);
        let canceled = state
            .payments
            .stripe
            .cancel_payment_intent(&pi, "abandoned", &key)
            .await;
        if let Err(e) = canceled {
            // Processing or paid by card meanwhile (or Stripe unreachable): the card
            // payment stays the order's.
            tracing::warn!(error = %e, "card payment not canceled; the order stays with cards");
            db::undo_switch_to(&state.pool, &order.id, Gateway::Paypal).await?;
            if e.refused() {
                if let Some(order) = db::order_by_id(&state.pool, &order.id).await? {
                    super::reconcile::refresh(state, &order, sync::now())
                        .await
                        .map_err(|e| {
                            tracing::warn!(error = %e, "reading back a card payment");
                            AppError::Internal
                        })?;
                }
                return Err(AppError::PaymentInProgress);
            }
            return Err(AppError::Payment(e.shopper_message()));
        }
    }
    let request_id = format!("order-{}-r{}-paypal", order.id, order.revision);
    let invoice_id = format!("{}-r{}", order.id, order.revision);
    let created = paypal
        .client
        .create_order(
            &order.id,
            &invoice_id,
            purchase_amount(&order.breakdown(), &value),
            order.address().map(purchase_shipping),
            &request_id,
        )
        .await
        .map_err(refused)?;
    let paypal_order = created["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            tracing::error!("PayPal order without an id");
            AppError::Internal
        })?;
    let asked = &created["purchase_units"][0]["amount"];
    if !asked.is_null()
        && amount::from_paypal(
            asked["currency_code"].as_str().unwrap_or(""),
            asked["value"].as_str().unwrap_or(""),
        )
        .as_ref()
            != Some(&total)
    {
        tracing::error!(order = %order.id, %paypal_order, "PayPal order amount differs from the order");
        return Err(AppError::Internal);
    }
    db::set_gateway_ref(&state.pool, &order.id, paypal_order).await?;
    Ok(paypal_order.to_string())
}

/// `onApprove` of the PayPal button: captures the approved PayPal order. `attempt` is made by the
/// page per approval, so a retry of the same approval captures once and a new approval (after
/// a declined funding source) is a new capture.
pub async fn capture(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
    attempt: &str,
) -> Result<PayPalCapture, AppError> {
    let paypal = paypal(state)?;
    if attempt.is_empty()
        || attempt.len() > 64
        || !attempt
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(AppError::Payment(
            "That payment attempt is not valid.".into(),
        ));
    }
    // One at a time with the cart's checkout (which may take the order back to cards) and the
    // order's expiry: the order cannot leave PayPal, or be canceled, while PayPal captures it.
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    let order = shoppers_order(state, cart_id, order_id).await?;
    let (Gateway::Paypal, Some(paypal_order)) = (order.gateway, order.gateway_ref.clone()) else {
        return Err(AppError::Payment(
            "This order is not being paid with PayPal any more. Please reload the page.".into(),
        ));
    };
    if order.status == OrderStatus::Canceled {
        return Err(AppError::Payment(
            "This order expired before it was paid, and nothing was charged. Please check out again."
                .into(),
        ));
    }
    if !order.status.is_open() {
        return Ok(PayPalCapture {
            status: order.status,
            restart: false,
        });
    }
    let request_id = format!("order-{}-capture-{attempt}", order.id);
    let now = sync::now();
    match paypal
        .client
        .capture_order(&paypal_order, &request_id)
        .await
    {
        Ok(captured) => {
            if let Some(capture) = events::capture_of(&captured).and_then(|c| c["id"].as_str()) {
                db::set_gateway_payment_ref(&state.pool, &order.id, capture).await?;
            }
            let outcome = apply_order(state, &captured, now, Origin::Checkout).await?;
            Ok(PayPalCapture {
                status: status_after(&outcome, order.status),
                restart: false,
            })
        }
        Err(e)
            if matches!(
                e.issue(),
                Some("INSTRUMENT_DECLINED" | "PAYER_ACTION_REQUIRED")
            ) =>
        {
            // The shopper chooses another funding source in PayPal's window (actions.restart()).
            let event_id = format!("paypal:{paypal_order}:declined:{attempt}");
            let outcome = apply(
                state,
                fact(&event_id, "PAYMENT.CAPTURE.DECLINED", Some(&paypal_order), &order.id, Origin::Checkout),
                vec![PaymentEvent::Failed {
                    reason: e.issue().unwrap_or("declined").to_string(),
                }],
                now,
                format!(
                    "PayPal declined the funding source ({}); the shopper is asked to choose another",
                    e.issue().unwrap_or("declined")
                ),
            )
            .await?;
            Ok(PayPalCapture {
                status: status_after(&outcome, order.status),
                restart: true,
            })
        }
        Err(e) if e.issue() == Some("ORDER_ALREADY_CAPTURED") => {
            // Captured already (a lost answer): what PayPal has is the truth.
            let current = paypal
                .client
                .get_order(&paypal_order)
                .await
                .map_err(refused)?;
            if let Some(capture) = events::capture_of(&current).and_then(|c| c["id"].as_str()) {
                db::set_gateway_payment_ref(&state.pool, &order.id, capture).await?;
            }
            let outcome = apply_order(state, &current, now, Origin::Reconciled).await?;
            Ok(PayPalCapture {
                status: status_after(&outcome, order.status),
                restart: false,
            })
        }
        Err(e) => Err(refused(e)),
    }
}

fn status_after(outcome: &WebhookOutcome, before: OrderStatus) -> OrderStatus {
    match outcome {
        WebhookOutcome::Order { status, .. } => *status,
        _ => before,
    }
}

fn fact<'a>(
    event_id: &'a str,
    event_type: &'a str,
    reference: Option<&'a str>,
    order_hint: &'a str,
    origin: Origin,
) -> PaymentFact<'a> {
    PaymentFact {
        event_id,
        event_type,
        gateway: Gateway::Paypal,
        reference,
        order_hint: Some(order_hint),
        origin,
    }
}

async fn apply(
    state: &AppState,
    fact: PaymentFact<'_>,
    events: Vec<PaymentEvent>,
    at: i64,
    description: String,
) -> Result<WebhookOutcome, sqlx::Error> {
    sync::apply(state, fact, &events, at, description).await
}

/// A PayPal order as it is now (the answer to a capture, or read back). Its id for
/// deduplication names the order and what was seen, so reading the same state twice records it
/// once.
pub async fn apply_order(
    state: &AppState,
    order: &Value,
    now: i64,
    origin: Origin,
) -> Result<WebhookOutcome, sqlx::Error> {
    let paypal_order = order["id"].as_str().unwrap_or_default();
    let capture = events::capture_of(order);
    let capture_status = capture.and_then(|c| c["status"].as_str()).unwrap_or("none");
    let refunds = order["purchase_units"][0]["payments"]["refunds"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    format!(
                        "{}={}",
                        r["id"].as_str().unwrap_or(""),
                        r["status"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let status = order["status"].as_str().unwrap_or("");
    let id = format!("paypal:{paypal_order}:{status}:{capture_status}:{refunds}");
    let custom_id = order["purchase_units"][0]["custom_id"]
        .as_str()
        .or_else(|| capture.and_then(|c| c["custom_id"].as_str()))
        .unwrap_or_default()
        .to_string();
    let description = match (status, capture) {
        ("COMPLETED", Some(c)) => events::describe(
            match capture_status {
                "PENDING" => "PAYMENT.CAPTURE.PENDING",
                "DECLINED" | "FAILED" => "PAYMENT.CAPTURE.DECLINED",
                _ => "PAYMENT.CAPTURE.COMPLETED",
            },
            c,
        ),
        ("APPROVED", _) => events::describe("CHECKOUT.ORDER.APPROVED", order),
        _ => format!("PayPal order {status}"),
    };
    apply(
        state,
        fact(&id, "paypal.order", Some(paypal_order), &custom_id, origin),
        events::order_events(order),
        now,
        description,
    )
    .await
}

/// `POST /webhooks/paypal`: verified (see [`verify`]), then applied like any payment event,
/// deduplicated by PayPal's event id. Not acknowledged (so PayPal delivers it again) when it
/// could not be recorded.
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let Some(paypal) = state.payments.paypal.as_deref() else {
        return (StatusCode::NOT_FOUND, "not found");
    };
    if let Err(e) = paypal.verifier.verify(&headers, &body).await {
        tracing::warn!(reason = %e, "PayPal webhook refused");
        return match e {
            verify::VerifyError::CertFetch(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again"),
            _ => (StatusCode::BAD_REQUEST, "invalid signature"),
        };
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "invalid payload");
    };
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["event_type"].as_str()) else {
        return (StatusCode::BAD_REQUEST, "invalid event");
    };
    let resource = &event["resource"];
    let (paypal_order, capture, custom_id) = events::references(kind, resource);
    let reference = paypal_order.as_deref().or(capture.as_deref());
    let now = sync::now();
    let at = event["create_time"]
        .as_str()
        .and_then(crate::domain::calendar::parse_rfc3339)
        .unwrap_or(now);
    let applied = sync::apply(
        &state,
        PaymentFact {
            event_id: id,
            event_type: kind,
            gateway: Gateway::Paypal,
            reference,
            order_hint: custom_id.as_deref(),
            origin: Origin::Webhook,
        },
        &events::webhook_events(kind, resource),
        at,
        events::describe(kind, resource),
    )
    .await;
    match applied {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, event = %id, "PayPal webhook could not be applied");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again")
        }
    }
}

/// Reconciliation: the PayPal order read back and applied.
pub async fn refresh(state: &AppState, order: &OrderRow, now: i64) -> Result<(), PayPalError> {
    let (Some(paypal), Some(paypal_order)) = (state.payments.paypal.as_deref(), &order.gateway_ref)
    else {
        return Ok(());
    };
    let current = paypal.client.get_order(paypal_order).await?;
    if let Some(capture) = events::capture_of(&current).and_then(|c| c["id"].as_str()) {
        db::set_gateway_payment_ref(&state.pool, &order.id, capture)
            .await
            .map_err(|e| PayPalError::Unexpected(e.to_string()))?;
    }
    apply_order(state, &current, now, Origin::Reconciled)
        .await
        .map_err(|e| PayPalError::Unexpected(e.to_string()))?;
    Ok(())
}

/// Expiry of an unpaid PayPal order: PayPal orders cannot be canceled (an approved one is voided
/// by PayPal if never captured), and ours captures only open orders; so the order is canceled
/// here, after reading PayPal once so that a payment already taken wins.
pub async fn expire(state: &AppState, order: &OrderRow, now: i64) -> Result<(), PayPalError> {
    // Not while the shopper's capture is running (see `capture`): the order as it is after it.
    let _one_at_a_time = state.cart_locks.lock(&order.cart_id).await;
    let Some(order) = db::order_by_id(&state.pool, &order.id)
        .await
        .map_err(|e| PayPalError::Unexpected(e.to_string()))?
        .filter(|o| {
            o.gateway == Gateway::Paypal
                && matches!(o.status, OrderStatus::Pending | OrderStatus::PaymentFailed)
        })
    else {
        return Ok(());
    };
    let order = &order;
    if order.gateway_ref.is_none() && order.payment_intent_id.is_some() {
        // Moved to PayPal, but no PayPal order was made: the card payment's cancellation may
        // never have happened (the process died in between). Back to cards, whose expiry (next
        // round) cancels the card payment and the order, or reads back a payment made by card
        // meanwhile.
        db::undo_switch_to(&state.pool, &order.id, Gateway::Paypal)
            .await
            .map_err(|e| PayPalError::Unexpected(e.to_string()))?;
        return Ok(());
    }
    refresh(state, order, now).await?;
    let still_open = db::order_by_id(&state.pool, &order.id)
        .await
        .map_err(|e| PayPalError::Unexpected(e.to_string()))?
        .is_some_and(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::PaymentFailed));
    if !still_open {
        return Ok(());
    }
    let event_id = format!("paypal_expiry_{}", order.id);
    apply(
        state,
        fact(
            &event_id,
            "checkout.expired",
            order.gateway_ref.as_deref(),
            &order.id,
            Origin::Checkout,
        ),
        vec![PaymentEvent::Canceled],
        now,
        "Checkout expired before the PayPal payment".into(),
    )
    .await
    .map_err(|e| PayPalError::Unexpected(e.to_string()))?;
    Ok(())
}

/// Refunds `amount` of a PayPal order's capture (`None`: everything left), once per `attempt`.
/// Returns PayPal's refund id; the refund is applied at once and again (deduplicated) when its
/// webhook comes.
pub async fn refund(
    state: &AppState,
    order: &OrderRow,
    amount: Option<&Money>,
    attempt_key: &str,
) -> Result<String, PayPalError> {
    let (Some(paypal), Some(capture)) =
        (state.payments.paypal.as_deref(), &order.gateway_payment_ref)
    else {
        return Err(PayPalError::Unexpected(
            "no PayPal capture to refund".into(),
        ));
    };
    let value = match amount {
        Some(m) => Some((
            m.currency.code().to_string(),
            amount::to_paypal(m).ok_or_else(|| PayPalError::Unexpected("amount".into()))?,
        )),
        None => None,
    };
    let refund = paypal
        .client
        .refund_capture(
            capture,
            value.as_ref().map(|(c, v)| (c.as_str(), v.as_str())),
            &order.id,
            attempt_key,
        )
        .await?;
    let id = refund["id"].as_str().unwrap_or_default().to_string();
    let event_id = format!(
        "paypal:refund:{id}:{}",
        refund["status"].as_str().unwrap_or("")
    );
    apply(
        state,
        fact(
            &event_id,
            "PAYMENT.CAPTURE.REFUNDED",
            Some(capture),
            &order.id,
            Origin::Checkout,
        ),
        events::refund_event(&refund).into_iter().collect(),
        sync::now(),
        events::describe("PAYMENT.CAPTURE.REFUNDED", &refund),
    )
    .await
    .map_err(|e| PayPalError::Unexpected(e.to_string()))?;
    Ok(id)
}

/// The checkout page is opened again for an order that was moving to PayPal: unless PayPal
/// already took the money, the order goes back to cards (a new PaymentIntent is made for it).
pub async fn back_to_cards(state: &AppState, order: &OrderRow) -> Result<bool, AppError> {
    if order.gateway_ref.is_some() {
        refresh(state, order, sync::now()).await.map_err(refused)?;
        let now_open = db::order_by_id(&state.pool, &order.id)
            .await?
            .is_some_and(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::PaymentFailed));
        if !now_open {
            return Ok(false);
        }
    }
    let current = db::order_by_id(&state.pool, &order.id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    Ok(db::switch_gateway(&state.pool, &current, Gateway::Stripe)
        .await?
        .is_some())
}

/// The purchase unit's amount: the order's total and, when every part can be written in
/// PayPal's format, how it is made (items, shipping, tax added on top, discount), which PayPal
/// checks adds up (https://developer.paypal.com/docs/api/orders/v2/#definition-amount_breakdown).
fn purchase_amount(pricing: &crate::domain::pricing::Breakdown, value: &str) -> serde_json::Value {
    use crate::domain::pricing::TaxMode;
    let currency = pricing.total.currency.code();
    let mut amount = serde_json::json!({"currency_code": currency, "value": value});
    let mut parts = vec![
        ("item_total", &pricing.items),
        ("shipping", &pricing.shipping),
    ];
    if pricing.tax_mode == TaxMode::Exclusive {
        parts.push(("tax_total", &pricing.tax));
    }
    if pricing.discount.minor > 0 {
        parts.push(("discount", &pricing.discount));
    }
    let mut breakdown = serde_json::Map::new();
    for (name, money) in parts {
        let Some(v) = amount::to_paypal(money) else {
            return amount;
        };
        breakdown.insert(
            name.into(),
            serde_json::json!({"currency_code": currency, "value": v}),
        );
    }
    amount["breakdown"] = serde_json::Value::Object(breakdown);
    amount
}

/// The address as a purchase unit's shipping (https://developer.paypal.com/docs/api/orders/v2/#definition-shipping_detail).
fn purchase_shipping(address: &crate::domain::address::Address) -> serde_json::Value {
    let mut postal = serde_json::json!({
        "address_line_1": address.line1,
        "admin_area_2": address.city,
        "country_code": address.country,
    });
    for (key, value) in [
        ("address_line_2", &address.line2),
        ("admin_area_1", &address.region),
        ("postal_code", &address.postal_code),
    ] {
        if !value.is_empty() {
            postal[key] = serde_json::json!(value);
        }
    }
    serde_json::json!({"type": "SHIPPING", "name": {"full_name": address.name}, "address": postal})
}
