//! Checkout: orders from the cart at database prices; card payments created and confirmed on
//! the server when the shopper presses Pay, for exactly the order's amount at the revision the
//! page shows (https://docs.stripe.com/payments/finalize-payments-on-the-server).
//!
//! Nothing is created at Stripe when the checkout opens: the Payment Element runs in deferred
//! mode with the order's amount, so an abandoned checkout leaves no PaymentIntent behind and a
//! cart change never rewrites one. Pay sends a ConfirmationToken (or, with the Card Element, a
//! PaymentMethod) and the revision shown; under the cart's lock the revision must still be the
//! order's, then one `POST /v1/payment_intents` with `confirm=true` creates and confirms it.
//! Each press is an attempt, recorded before the call, keyed `order-{id}-r{revision}-a{n}`: an
//! answer lost on the way back is found by sending the same request again with the same key
//! (Stripe replays its first answer), never by charging again.
use super::stripe::client::StripeError;
use super::{db, sync, AppState};
use crate::domain::address::{country_name, Address, AddressError, AddressInput};
use crate::domain::cart::{check_quantity, Cart};
use crate::domain::email::Email;
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentEvent};
use crate::domain::pricing::{self, Breakdown, Choices, DiscountError, PricedLine};
use crate::error::AppError;
use crate::model::checkout::{CheckoutSession, PayOutcome, RateOption};
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

pub(super) fn payment_failed(e: StripeError) -> AppError {
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

/// What the shopper chose on the checkout page: where to ship, how, and a code.
#[derive(Clone, Debug, Default)]
pub struct Wants {
    pub address: AddressInput,
    /// A rate of the address's zone; none (or one that is not there) picks the cheapest.
    pub rate_id: Option<i64>,
    pub code: Option<String>,
}

impl Wants {
    /// The rate field as the form sends it: empty or junk is no choice.
    pub fn rate(text: &str) -> Option<i64> {
        text.trim().parse().ok()
    }

    /// The code field as typed: trimmed and upper-cased, empty is none. Codes are at most 40
    /// characters, so anything longer is cut there (it then matches no code, and the shopper is
    /// told so without the whole of what was sent echoed back).
    pub fn code(text: &str) -> Option<String> {
        let code: String = text.trim().to_uppercase().chars().take(40).collect();
        (!code.is_empty()).then_some(code)
    }
}

/// The order as it should be priced now: the cart at database prices, the address's rates
/// (each priced for this cart), the chosen one, the code, and the breakdown.
pub(super) struct Quote {
    cart: Cart,
    address: Address,
    rates: Vec<RateOption>,
    rate_id: i64,
    code: Option<db::DiscountCode>,
    pricing: Breakdown,
}

impl Quote {
    fn draft<'a>(
        &'a self,
        cart_id: &'a str,
        email: &'a str,
        state: &AppState,
    ) -> db::OrderDraft<'a> {
        db::OrderDraft {
            cart_id,
            email,
            cart: &self.cart,
            address: &self.address,
            shipping_rate_id: self.rate_id,
            pricing: &self.pricing,
            code: self.code.as_ref(),
            expires_at: hold_until(state),
        }
    }
}

/// Prices the cart for the address, the rate and the code: the one place an order's amounts are
/// worked out (in `domain::pricing`, from the database's prices and the merchant's settings).
/// With `strict`, a code that does not apply is an error for the shopper; without (re-pricing an
/// order at Pay), it is dropped and the changed total tells the page.
pub(super) async fn quote(
    state: &AppState,
    cart_id: &str,
    address: &Address,
    rate_id: Option<i64>,
    code: Option<&str>,
    strict: bool,
) -> Result<Quote, AppError> {
    let cart = priced_cart(state, cart_id).await?;
    let country = crate::domain::address::country_label(&address.country);
    let rates = db::shipping_rates_for(&state.pool, &address.country).await?;
    if rates.is_empty() {
        return Err(AppError::NotShippable(country.clone()));
    }
    let tax = db::tax_rate_for(&state.pool, &address.country, &address.region).await?;
    let currency = &cart.currency;
    let lines: Vec<PricedLine> = cart
        .lines
        .iter()
        .map(|l| PricedLine {
            product_id: l.product_id,
            unit_price: l.unit_price.minor,
            quantity: l.quantity,
            weight_grams: l.weight_grams,
        })
        .collect();
    let overflow = |e: crate::domain::money::MoneyError| {
        tracing::error!(error = %e, "pricing");
        AppError::Internal
    };
    let items = pricing::price(&lines, currency, state.config.tax_mode, &Choices::default())
        .map_err(overflow)?
        .items;
    let code = match code {
        None => None,
        Some(text) => match db::discount_code(&state.pool, text).await? {
            None if strict => return Err(AppError::Discount(DiscountError::Unknown(text.into()))),
            None => None,
            Some(found) => match found.discount.check(&items, sync::now()) {
                Ok(()) => Some(found),
                Err(e) if strict => return Err(AppError::Discount(e)),
                Err(_) => None,
            },
        },
    };
    let mode = state.config.tax_mode;
    let priced_with = |rate| {
        pricing::price(
            &lines,
            currency,
            mode,
            &Choices {
                shipping: Some(rate),
                tax: tax.as_ref(),
                discount: code.as_ref().map(|c| &c.discount),
            },
        )
        .map_err(overflow)
    };
    let mut options = Vec::with_capacity(rates.len());
    let mut chosen: Option<(i64, Breakdown)> = None;
    for rate in &rates {
        let priced = priced_with(rate)?;
        options.push(RateOption {
            id: rate.id,
            name: rate.name.clone(),
            price: priced.shipping.clone(),
            rule: rate.describe(currency),
        });
        let better = match &chosen {
            None => true,
            Some((id, best)) => {
                Some(rate.id) == rate_id
                    || (Some(*id) != rate_id && priced.shipping.minor < best.shipping.minor)
            }
        };
        if better {
            chosen = Some((rate.id, priced));
        }
    }
    let Some((rate_id, pricing)) = chosen else {
        return Err(AppError::NotShippable(country.clone()));
    };
    let minimum = Money::new(currency.minimum_charge(), currency.clone());
    if pricing.total.minor < minimum.minor {
        return Err(AppError::BelowMinimum(minimum.to_string()));
    }
    Ok(Quote {
        cart,
        address: address.clone(),
        rates: options,
        rate_id,
        code,
        pricing,
    })
}

/// Builds (or brings up to date) the cart's order for the address, rate and code the page
/// sends. Nothing is made at Stripe: the page's Payment Element is created for the order's
/// amount, and Pay makes the PaymentIntent.
pub async fn start(
    state: &AppState,
    cart_id: &str,
    email: &str,
    wants: &Wants,
) -> Result<CheckoutSession, AppError> {
    let email = Email::parse(email).map_err(|m| AppError::InvalidEmail(m.into()))?;
    let address = Address::parse(&wants.address).map_err(AppError::InvalidAddress)?;
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    // At most: an order found paid or canceled at Stripe is settled, then a new one starts.
    for _ in 0..3 {
        let quote = quote(
            state,
            cart_id,
            &address,
            wants.rate_id,
            wants.code.as_deref(),
            true,
        )
        .await?;
        let draft = quote.draft(cart_id, email.as_str(), state);
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
        if order.status == OrderStatus::Processing {
            return Err(AppError::PaymentInProgress);
        }
        if same_order(state, &order, &draft).await? {
            db::extend_hold(&state.pool, &order.id, draft.expires_at).await?;
            return Ok(session(state, &order, &quote));
        }
        match revise(state, &order, &draft).await? {
            Some(order) => return Ok(session(state, &order, &quote)),
            // Paid or canceled meanwhile: start afresh.
            None => continue,
        }
    }
    Err(AppError::PaymentInProgress)
}

pub(super) fn hold_until(state: &AppState) -> i64 {
    sync::now() + state.config.orders.hold.as_secs() as i64
}

/// The cart priced from the database, checked against the stock.
async fn priced_cart(state: &AppState, cart_id: &str) -> Result<Cart, AppError> {
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
    Ok(cart)
}

/// Brings an open order to the cart as it is now, as a new revision. A card payment of the old
/// amount that could still be confirmed (declined, or waiting for 3-D Secure) is canceled first,
/// so no confirmable PaymentIntent of an older amount is left behind; one already paid or on its
/// way settles the order instead (`None`: the caller starts afresh or says so).
async fn revise(
    state: &AppState,
    order: &db::OrderRow,
    draft: &db::OrderDraft<'_>,
) -> Result<Option<db::OrderRow>, AppError> {
    // A payment whose answer was lost may have taken the old amount: known first.
    settle_attempts_in_doubt(state, order)
        .await
        .map_err(|_| AppError::PaymentInProgress)?;
    let Some(order) = db::order_by_id(&state.pool, &order.id)
        .await?
        .filter(|o| matches!(o.status, OrderStatus::Pending | OrderStatus::PaymentFailed))
    else {
        return Ok(None);
    };
    let order = &order;
    if let Some(session) = &order.checkout_session_id {
        if !super::hosted_checkout::expire(state, order, session).await? {
            return Ok(None);
        }
    }
    if let Some(pi) = &order.payment_intent_id {
        if !cancel_card_payment(state, order, pi).await? {
            return Ok(None);
        }
    }
    match db::revise_order(&state.pool, order, order.revision + 1, draft).await? {
        Ok(order) => Ok(Some(order)),
        Err(AppError::PaymentInProgress) => Ok(None),
        Err(refused) => Err(refused),
    }
}

/// Cancels the order's current card payment, after forgetting it (its cancellation's webhook then
/// finds an order that no longer listens to it). `false` when Stripe would not cancel it because
/// it is paid or processing: then it is applied, and the order is the payment's.
async fn cancel_card_payment(
    state: &AppState,
    order: &db::OrderRow,
    pi: &str,
) -> Result<bool, AppError> {
    let stripe = &state.payments.stripe;
    let object = stripe
        .payment_intent_object(pi)
        .await
        .map_err(payment_failed)?;
    match object["status"].as_str().unwrap_or_default() {
        "canceled" => {
            db::retire_payment_intent(&state.pool, &order.id, pi).await?;
            Ok(true)
        }
        "requires_payment_method" | "requires_confirmation" | "requires_action" => {
            db::retire_payment_intent(&state.pool, &order.id, pi).await?;
            let key = format!("order-{}-r{}-retire", order.id, order.revision);
            match stripe.cancel_payment_intent(pi, "abandoned", &key).await {
                Ok(_) => Ok(true),
                Err(e) if !e.refused() => {
                    // No answer: the payment may still be confirmable, so the order keeps it
                    // (the next start, Pay or expiry asks for its cancellation again, with the
                    // same key) rather than forgetting one a shopper could still pay.
                    db::set_payment_intent(&state.pool, &order.id, pi).await?;
                    Err(payment_failed(e))
                }
                Err(_) => {
                    // Paid meanwhile: the payment is the order's again.
                    let object = stripe
                        .payment_intent_object(pi)
                        .await
                        .map_err(payment_failed)?;
                    db::set_payment_intent(&state.pool, &order.id, pi).await?;
                    sync::apply_object(state, &object, sync::now(), db::Origin::Checkout).await?;
                    Ok(false)
                }
            }
        }
        _ => {
            sync::apply_object(state, &object, sync::now(), db::Origin::Checkout).await?;
            Ok(false)
        }
    }
}

/// Whether the order already is what the draft describes (items, prices, address, rate, code,
/// every amount, email).
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
    Ok(same_items
        && order.total() == draft.pricing.total
        && order.pricing.as_ref().map(|p| &p.0) == Some(draft.pricing)
        && order.address() == Some(draft.address)
        && order.shipping_rate_id == Some(draft.shipping_rate_id)
        && order.discount_code.as_deref() == draft.code.map(|c| c.discount.code.as_str())
        && order.email == draft.email)
}

fn session(state: &AppState, order: &db::OrderRow, quote: &Quote) -> CheckoutSession {
    let total = order.total();
    CheckoutSession {
        order_id: order.id.clone(),
        revision: order.revision,
        pricing: order.breakdown(),
        rates: quote.rates.clone(),
        rate_id: quote.rate_id,
        address: quote.address.clone(),
        publishable_key: state.payments.publishable_key.clone(),
        stripe_js_url: state.payments.js_url.clone(),
        element: state.config.element,
        ui: state.config.ui,
        paypal_sdk_url: state.payments.paypal.as_ref().map(|p| {
            format!(
                "{}?client-id={}&currency={}&intent=capture&components=buttons",
                p.js_url,
                p.client.client_id(),
                total.currency.code()
            )
        }),
        total,
    }
}

/// What the browser hands over to pay with: a ConfirmationToken (Payment Element) or a
/// PaymentMethod (Card Element). Only its shape is checked here; Stripe checks the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayWith {
    ConfirmationToken(String),
    PaymentMethod(String),
}

impl PayWith {
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let shaped = |prefix: &str| {
            text.strip_prefix(prefix).is_some_and(|rest| {
                !rest.is_empty()
                    && rest.len() <= 200
                    && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        };
        if shaped("ctoken_") {
            Ok(PayWith::ConfirmationToken(text.to_string()))
        } else if shaped("pm_") {
            Ok(PayWith::PaymentMethod(text.to_string()))
        } else {
            Err(AppError::InvalidPaymentMethod)
        }
    }

    fn params(&self) -> [(String, String); 2] {
        match self {
            PayWith::ConfirmationToken(t) => [
                ("confirmation_token".into(), t.clone()),
                // Tokens default to it; said for clarity, as Stripe's samples do.
                ("use_stripe_sdk".into(), "true".into()),
            ],
            PayWith::PaymentMethod(pm) => [
                ("payment_method".into(), pm.clone()),
                ("use_stripe_sdk".into(), "true".into()),
            ],
        }
    }
}

/// Pay: the shopper's page shows `revision` of the order and hands over what the card form made.
/// Under the cart's lock: an earlier attempt whose answer was lost is settled first; the order
/// must still be what the cart says and the revision the page shows (else `OrderChanged`, and
/// nothing is charged); then one PaymentIntent is created and confirmed for exactly the order's
/// amount. A second Pay for an order already paid or on its way makes nothing.
pub async fn pay(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
    revision: i64,
    with: &str,
) -> Result<PayOutcome, AppError> {
    let with = PayWith::parse(with)?;
    let _one_at_a_time = state.cart_locks.lock(cart_id).await;
    let order = shoppers_order(state, cart_id, order_id).await?;
    settle_attempts_in_doubt(state, &order)
        .await
        .map_err(payment_failed)?;
    let Some(order) = payable(state, cart_id, order_id).await? else {
        return Ok(PayOutcome::Submitted);
    };
    // The current card payment decides first: paid or on its way, nothing new is made; waiting
    // for 3-D Secure, the shopper finishes that one.
    if let Some(pi) = &order.payment_intent_id {
        let object = state
            .payments
            .stripe
            .payment_intent_object(pi)
            .await
            .map_err(payment_failed)?;
        match object["status"].as_str().unwrap_or_default() {
            "succeeded" | "processing" | "requires_capture" => {
                sync::apply_object(state, &object, sync::now(), db::Origin::Checkout).await?;
                return Ok(PayOutcome::Submitted);
            }
            "requires_action" if order.revision == revision => {
                if let Some(client_secret) = object["client_secret"].as_str() {
                    return Ok(PayOutcome::Authenticate {
                        client_secret: client_secret.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    if !as_shown(state, cart_id, &order, revision).await? {
        return Ok(PayOutcome::Submitted);
    }
    if let Some(pi) = &order.payment_intent_id {
        // Waiting for 3-D Secure of another revision (the page changed since): canceled first.
        if !cancel_card_payment(state, &order, pi).await? {
            return Ok(PayOutcome::Submitted);
        }
    }
    if order.status == OrderStatus::PaymentFailed {
        reopen(state, &order).await?;
    }
    db::extend_hold(&state.pool, &order.id, hold_until(state)).await?;
    let request = |n: i64| {
        (
            format!("order-{}-r{}-a{n}", order.id, order.revision),
            pay_form(state, &order, &with),
        )
    };
    let Some(attempt) = db::start_attempt(&state.pool, &order, request).await? else {
        return Err(AppError::OrderChanged {
            total: order.total(),
            revision: order.revision,
        });
    };
    let answer = state
        .payments
        .stripe
        .create_payment_intent_form(&attempt.request.0, &attempt.idempotency_key)
        .await;
    match settle_answer(state, &attempt, answer).await? {
        Settled::Answered(outcome) => Ok(outcome),
        Settled::Refused(e) => {
            tracing::warn!(order = %order.id, error = %e, "Stripe refused the payment");
            Err(AppError::Payment(
                "Your payment could not be completed. Please check your card details and try again."
                    .into(),
            ))
        }
        Settled::InDoubt(e) => Err(payment_failed(e)),
    }
}

/// The shopper's order, if Pay can still pay it: by card (not moving to PayPal), pending or
/// failed. `None` when it is paid or on its way (the page goes to the order page).
pub(super) async fn payable(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
) -> Result<Option<db::OrderRow>, AppError> {
    let order = shoppers_order(state, cart_id, order_id).await?;
    if order.gateway != crate::domain::gateway::Gateway::Stripe {
        return Err(AppError::Payment(
            "This order is being paid with PayPal. To pay by card instead, reload the page.".into(),
        ));
    }
    match order.status {
        OrderStatus::Pending | OrderStatus::PaymentFailed => Ok(Some(order)),
        OrderStatus::Processing => Ok(None),
        status if status.fulfils() => Ok(None),
        _ => Err(AppError::OrderClosed),
    }
}

/// The order must still be the cart as it is now (prices, stock), at the revision the page shows:
/// else it is revised and `OrderChanged` tells the page the new total and revision (nothing is
/// charged). `false` when revising found it paid meanwhile.
pub(super) async fn as_shown(
    state: &AppState,
    cart_id: &str,
    order: &db::OrderRow,
    revision: i64,
) -> Result<bool, AppError> {
    let address = order
        .address()
        .ok_or(AppError::InvalidAddress(AddressError::Missing(
            "street address".into(),
        )))?;
    let quote = quote(
        state,
        cart_id,
        address,
        order.shipping_rate_id,
        order.discount_code.as_deref(),
        false,
    )
    .await?;
    let draft = quote.draft(cart_id, &order.email, state);
    if !same_order(state, order, &draft).await? {
        return match revise(state, order, &draft).await? {
            Some(revised) => Err(AppError::OrderChanged {
                total: revised.total(),
                revision: revised.revision,
            }),
            None => Ok(false),
        };
    }
    if order.revision != revision {
        return Err(AppError::OrderChanged {
            total: order.total(),
            revision: order.revision,
        });
    }
    Ok(true)
}

/// What the cart's open order was given (email, address, code), for the form, and the countries
/// the shop ships to beyond those the form lists by name.
pub async fn resume(
    state: &AppState,
    cart_id: &str,
) -> Result<crate::model::checkout::CheckoutDetails, AppError> {
    let more_countries: Vec<String> = db::shipping_countries(&state.pool)
        .await?
        .into_iter()
        .filter(|c| country_name(c).is_none())
        .collect();
    let order = db::open_order_for_cart(&state.pool, cart_id).await?;
    let details = match order.as_ref().and_then(|o| o.address().map(|a| (o, a))) {
        Some((order, address)) => crate::model::checkout::CheckoutDetails {
            email: order.email.clone(),
            address: address.input(),
            code: order.discount_code.clone().unwrap_or_default(),
            more_countries,
        },
        None => crate::model::checkout::CheckoutDetails {
            more_countries,
            ..Default::default()
        },
    };
    Ok(details)
}

/// How the shopper's order's total is made.
pub async fn summary(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
) -> Result<Breakdown, AppError> {
    Ok(shoppers_order(state, cart_id, order_id).await?.breakdown())
}

/// The open order of this cart, as the shopper sees it.
async fn shoppers_order(
    state: &AppState,
    cart_id: &str,
    order_id: &str,
) -> Result<db::OrderRow, AppError> {
    db::order_by_id(&state.pool, order_id)
        .await?
        .filter(|o| o.cart_id == cart_id)
        .ok_or(AppError::OrderNotFound)
}

/// The request that creates and confirms the order's PaymentIntent: its amount, currency and
/// order from the database, what to pay with from the browser.
fn pay_form(state: &AppState, order: &db::OrderRow, with: &PayWith) -> Vec<(String, String)> {
    let total = order.total();
    let mut form: Vec<(String, String)> = vec![
        ("amount".into(), total.minor.to_string()),
        ("currency".into(), total.currency.stripe_code()),
        ("confirm".into(), "true".into()),
        ("automatic_payment_methods[enabled]".into(), "true".into()),
        ("metadata[order_id]".into(), order.id.clone()),
        (
            "metadata[order_revision]".into(),
            order.revision.to_string(),
        ),
        ("receipt_email".into(), order.email.clone()),
        ("description".into(), format!("Order {}", order.id)),
        (
            "return_url".into(),
            format!("{}/orders/{}", state.config.public_url, order.id),
        ),
    ];
    form.extend(with.params());
    if let Some(address) = order.address() {
        form.extend(stripe_shipping(address));
    }
    form
}

/// The address as a PaymentIntent's `shipping` (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-shipping).
pub(super) fn stripe_shipping(address: &Address) -> Vec<(String, String)> {
    let mut form = vec![
        ("shipping[name]".to_string(), address.name.clone()),
        ("shipping[address][line1]".into(), address.line1.clone()),
        ("shipping[address][city]".into(), address.city.clone()),
        ("shipping[address][country]".into(), address.country.clone()),
    ];
    for (key, value) in [
        ("shipping[address][line2]", &address.line2),
        ("shipping[address][state]", &address.region),
        ("shipping[address][postal_code]", &address.postal_code),
    ] {
        if !value.is_empty() {
            form.push((key.into(), value.clone()));
        }
    }
    form
}

/// How Stripe's answer to an attempt was taken.
enum Settled {
    Answered(PayOutcome),
    /// Stripe refused the request: nothing was charged.
    Refused(StripeError),
    /// No answer: the attempt stays in doubt until it is sent again.
    InDoubt(StripeError),
}

/// Records Stripe's answer to an attempt and applies what it says to the order.
async fn settle_answer(
    state: &AppState,
    attempt: &db::AttemptRow,
    answer: Result<serde_json::Value, StripeError>,
) -> Result<Settled, AppError> {
    match answer {
        Ok(pi) => {
            let Some(id) = pi["id"].as_str() else {
                tracing::error!(order = %attempt.order_id, "PaymentIntent without an id");
                return Err(AppError::Internal);
            };
            let status = pi["status"].as_str().unwrap_or_default();
            if pi["amount"].as_i64() != Some(attempt.amount_minor) {
                tracing::error!(order = %attempt.order_id, pi = %id, "PaymentIntent amount differs from the attempt");
            }
            db::record_outcome(
                &state.pool,
                attempt,
                Some(id),
                db::AttemptOutcome::of_status(status),
            )
            .await?;
            sync::apply_object(state, &pi, sync::now(), db::Origin::Checkout).await?;
            Ok(Settled::Answered(match status {
                "requires_action" => match pi["client_secret"].as_str() {
                    Some(secret) => PayOutcome::Authenticate {
                        client_secret: secret.to_string(),
                    },
                    None => return Err(AppError::Internal),
                },
                "succeeded" | "processing" | "requires_capture" => PayOutcome::Submitted,
                _ => PayOutcome::Declined {
                    message: pi["last_payment_error"]["message"]
                        .as_str()
                        .unwrap_or("Your card was declined.")
                        .to_string(),
                },
            }))
        }
        Err(StripeError::Card {
            message,
            payment_intent,
            ..
        }) => {
            db::record_outcome(
                &state.pool,
                attempt,
                payment_intent.as_deref(),
                db::AttemptOutcome::Declined,
            )
            .await?;
            Ok(Settled::Answered(PayOutcome::Declined { message }))
        }
        Err(e) if e.refused() => {
            db::record_outcome(&state.pool, attempt, None, db::AttemptOutcome::Refused).await?;
            Ok(Settled::Refused(e))
        }
        Err(e) => Ok(Settled::InDoubt(e)),
    }
}

/// Sends every attempt of the order whose answer was lost again, exactly as it was sent, with its
/// key: Stripe answers what it did the first time (or does it now, once). Errs while Stripe
/// still does not answer; nothing new may be charged until it does.
pub async fn settle_attempts_in_doubt(
    state: &AppState,
    order: &db::OrderRow,
) -> Result<(), StripeError> {
    let attempts = db::attempts_in_doubt(&state.pool, &order.id)
        .await
        .map_err(|e| StripeError::Network(format!("database: {e}")))?;
    for attempt in attempts {
        let answer = state
            .payments
            .stripe
            .create_payment_intent_form(&attempt.request.0, &attempt.idempotency_key)
            .await;
        tracing::info!(order = %order.id, attempt = attempt.attempt, ok = answer.is_ok(), "an attempt in doubt was sent again");
        match settle_answer(state, &attempt, answer).await {
            Ok(Settled::InDoubt(e)) => return Err(e),
            Ok(_) => {}
            Err(e) => return Err(StripeError::Network(format!("recording an attempt: {e}"))),
        }
    }
    Ok(())
}

/// After a failed payment the order goes back to pending for the new attempt.
async fn reopen(state: &AppState, order: &db::OrderRow) -> Result<(), AppError> {
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
        order_hint: Some(&order.id),
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
        pricing: order.breakdown(),
        address: order.address().cloned(),
        id: order.id,
        email: order.email,
        items,
        created_at: order.created_at,
    }))
}
