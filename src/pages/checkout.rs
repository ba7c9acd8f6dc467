use crate::api::checkout::{
    order_summary, pay, pay_hosted, paypal_capture, paypal_create, resume_checkout, StartCheckout,
};
use crate::browser::{self, Approval, Confirmed, PayPalCallbacks, PaymentForm};
use crate::components::cart_context::use_cart;
use crate::components::hydrated::use_hydrated;
use crate::components::notice::ErrorAlert;
use crate::components::price_lines::PriceLines;
use crate::domain::address::COUNTRIES;
use crate::domain::money::Money;
use crate::domain::pricing::Breakdown;
use crate::error::AppError;
use crate::model::checkout::{CheckoutDetails, CheckoutSession, PayOutcome, StripeUi};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use std::sync::Arc;

lazy_page! {
    /// `/checkout`: with Stripe Elements and the PayPal button, loaded when the shopper checks out.
    CheckoutRoute => CheckoutPage;
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let start = ServerAction::<StartCheckout>::new();
    // Back to an open order (from PayPal's window, Stripe's page, a reload): the form is filled
    // with what it was given.
    let resumed = Resource::new(|| (), |_| resume_checkout());
    // How the order's total is made, once the server has priced it for the address.
    let pricing = RwSignal::new(None::<Breakdown>);
    Effect::new(move |_| match start.value().get() {
        Some(Ok(session)) => pricing.set(Some(session.pricing)),
        Some(Err(_)) => pricing.set(None),
        None => {}
    });
    view! {
        <Title text="Checkout"/>
        <h1>"Checkout"</h1>
        <div class="checkout-layout">
            <section class="checkout-main" aria-label="Contact, shipping and payment">
                <ActionForm action=start attr:class="checkout-form">
                    <Suspense fallback=|| view! { <ContactAndAddress details=CheckoutDetails::default()/> }>
                        {move || Suspend::new(async move {
                            let details = resumed.await.unwrap_or_default();
                            view! {
                                <ContactAndAddress details=details.clone()/>
                                <ShippingChoice start/>
                                <DiscountCodeField code=details.code/>
                            }
                        })}
                    </Suspense>
                    <button type="submit" class="btn btn-secondary">
                        {move || if matches!(start.value().get(), Some(Ok(_))) { "Update order" } else { "Continue to payment" }}
                    </button>
                </ActionForm>
                <noscript>
                    <p class="alert alert-info">"Paying by card needs JavaScript."</p>
                </noscript>
                {move || match start.value().get() {
                    Some(Ok(session)) if session.ui == StripeUi::Checkout => {
                        view! { <HostedCheckoutStep session pricing/> }.into_any()
                    }
                    Some(Ok(session)) => view! { <PaymentStep session pricing/> }.into_any(),
                    Some(Err(error)) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                    None => ().into_any(),
                }}
            </section>
            <OrderSummary pricing/>
        </div>
    }
}

/// Email and shipping address. The server checks every field (per country) and prices the
/// order for the address; the browser's `required` only saves a round trip.
#[component]
fn ContactAndAddress(details: CheckoutDetails) -> impl IntoView {
    let a = details.address;
    let country = if a.country.is_empty() {
        "US".to_string()
    } else {
        a.country
    };
    let more = details.more_countries;
    let more_selected = country.clone();
    view! {
        <fieldset class="address-fields">
            <legend>"Contact and shipping address"</legend>
            <label for="checkout-email">"Email for your receipt"</label>
            <input id="checkout-email" type="email" name="email" autocomplete="email" required maxlength="254" value=details.email/>
            <label for="ship-name">"Full name"</label>
            <input id="ship-name" name="name" autocomplete="shipping name" required maxlength="100" value=a.name/>
            <label for="ship-line1">"Street address"</label>
            <input id="ship-line1" name="line1" autocomplete="shipping address-line1" required maxlength="100" value=a.line1/>
            <label for="ship-line2">"Apartment, suite (optional)"</label>
            <input id="ship-line2" name="line2" autocomplete="shipping address-line2" maxlength="100" value=a.line2/>
            <div class="address-row">
                <div>
                    <label for="ship-city">"City"</label>
                    <input id="ship-city" name="city" autocomplete="shipping address-level2" required maxlength="100" value=a.city/>
                </div>
                <div>
                    <label for="ship-region">"State / province"</label>
                    <input id="ship-region" name="region" autocomplete="shipping address-level1" maxlength="100" value=a.region/>
                </div>
                <div>
                    <label for="ship-postal">"Postal code"</label>
                    <input id="ship-postal" name="postal_code" autocomplete="shipping postal-code" maxlength="100" value=a.postal_code/>
                </div>
            </div>
            <label for="ship-country">"Country"</label>
            <select id="ship-country" name="country" autocomplete="shipping country">
                {COUNTRIES.iter().map(|(code, name)| view! { <option value=*code selected=*code == country>{*name}</option> }).collect_view()}
                {more.into_iter().map(|code| view! { <option value=code.clone() selected=code == more_selected>{code.clone()}</option> }).collect_view()}
            </select>
        </fieldset>
    }
}

/// The ways to ship to the address, each priced for this order. Picking one asks the server
/// for the order at that rate (a new revision), and the page shows its total.
#[component]
fn ShippingChoice(start: ServerAction<StartCheckout>) -> impl IntoView {
    move || {
        let Some(Ok(session)) = start.value().get() else {
            return ().into_any();
        };
        let chosen = session.rate_id;
        view! {
            <fieldset class="shipping-rates">
                <legend>"Shipping"</legend>
                {session.rates.into_iter().map(|rate| {
                    let price = if rate.price.minor == 0 { "Free".to_string() } else { rate.price.to_string() };
                    view! {
                        <label class="rate-option">
                            <input type="radio" name="rate" value=rate.id.to_string() checked=rate.id == chosen
                                on:change=move |ev| browser::submit_form_of(&ev)/>
                            <span class="rate-name">{rate.name}</span>
                            <span class="muted">{rate.rule}</span>
                            <span class="price">{price}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        }
        .into_any()
    }
}

/// One discount code per order; applying it asks the server for the order with it.
#[component]
fn DiscountCodeField(code: String) -> impl IntoView {
    view! {
        <div class="discount-field">
            <label for="discount-code">"Discount code (optional)"</label>
            <div class="inline-field">
                <input id="discount-code" name="code" autocomplete="off" maxlength="40" value=code/>
                <button type="submit" class="btn btn-secondary">"Apply"</button>
            </div>
        </div>
    }
}

/// The cart as it will be ordered, and (once the address is in) how its total is made.
#[component]
fn OrderSummary(pricing: RwSignal<Option<Breakdown>>) -> impl IntoView {
    let cart = use_cart().cart;
    view! {
        <aside class="cart-summary" aria-label="Order summary">
            <h2>"Order summary"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match cart.await {
                        Ok(cart) if !cart.is_empty() => {
                            let subtotal = cart.total().map(|t| t.to_string()).unwrap_or_default();
                            view! {
                                <ul class="summary-lines">
                                    {cart.lines.into_iter().map(|l| view! {
                                        <li>{format!("{} × {}", l.quantity, l.name)}
                                            <span class="price">{l.line_total().map(|m| m.to_string()).unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {move || match pricing.get() {
                                    Some(pricing) => view! { <PriceLines pricing total_testid="checkout-total"/> }.into_any(),
                                    None => view! {
                                        <dl class="summary-list">
                                            <div><dt>"Subtotal"</dt><dd class="price" data-testid="checkout-subtotal">{subtotal.clone()}</dd></div>
                                        </dl>
                                        <p class="muted">"Shipping and tax are worked out from your address."</p>
                                    }.into_any(),
                                }}
                            }.into_any()
                        }
                        Ok(_) => view! { <p>"Your cart is empty. " <a href="/">"Browse the shop"</a></p> }.into_any(),
                        Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </aside>
    }
}

/// Stripe's Element and the Pay button. The Element is mounted into an empty node after
/// hydration and destroyed when this leaves the page. The page holds the order's revision and
/// total it shows; Pay sends that revision, and the server charges exactly that order or answers
/// that it changed (then the page shows the new total, and the shopper presses Pay again).
#[component]
fn PaymentStep(session: CheckoutSession, pricing: RwSignal<Option<Breakdown>>) -> impl IntoView {
    let target = NodeRef::<leptos::html::Div>::new();
    let form = StoredValue::new(None::<Arc<PaymentForm>>);
    let ready = RwSignal::new(false);
    let paying = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let total = RwSignal::new(session.total.clone());
    let revision = RwSignal::new(session.revision);
    let navigate = use_navigate();
    let cart = use_cart();

    let mount_session = session.clone();
    Effect::new(move |_| {
        let Some(div) = target.get() else { return };
        let session = mount_session.clone();
        browser::spawn(async move {
            match PaymentForm::mount(div.into(), &session).await {
                Ok(mounted) => {
                    form.set_value(Some(Arc::new(mounted)));
                    ready.set(true);
                }
                Err(message) => error.set(Some(message)),
            }
        });
    });
    on_cleanup(move || form.set_value(None));

    // Once PayPal has the order, the card form's payment is canceled: only PayPal pays it.
    let with_paypal = RwSignal::new(false);
    let paypal = session.paypal_sdk_url.clone().map(|sdk_url| {
        view! {
            <PayPalOption sdk_url order_id=session.order_id.clone() total error with_paypal/>
        }
    });
    let order_id = session.order_id.clone();
    let pay = move |_| {
        // One payment at a time: a double click does nothing the second time.
        if paying.get_untracked() {
            return;
        }
        let Some(mounted) = form.get_value() else {
            return;
        };
        paying.set(true);
        error.set(None);
        let (order_id, navigate) = (order_id.clone(), navigate.clone());
        browser::spawn(async move {
            let order_page = format!("/orders/{order_id}");
            let failed = |message: String| {
                error.set(Some(message));
                paying.set(false);
            };
            let with = match mounted
                .prepare(&format!("{}{order_page}", browser::origin()))
                .await
            {
                Ok(with) => with,
                Err(message) => return failed(message),
            };
            match pay(order_id.clone(), revision.get_untracked(), with).await {
                Ok(PayOutcome::Submitted) => navigate(&order_page, Default::default()),
                Ok(PayOutcome::Authenticate { client_secret }) => {
                    match mounted.authenticate(&client_secret).await {
                        Confirmed::Status(_) => navigate(&order_page, Default::default()),
                        Confirmed::Failed(message) => failed(message),
                    }
                }
                Ok(PayOutcome::Declined { message }) => failed(message),
                Err(AppError::OrderChanged {
                    total: now,
                    revision: now_revision,
                }) => {
                    mounted.update_amount(&now).await;
                    failed(order_changed(now, now_revision, total, revision, cart));
                    refresh_pricing(order_id.clone(), pricing);
                }
                Err(e) => failed(e.to_string()),
            }
        });
    };

    view! {
        <section class="payment-step" aria-labelledby="payment-heading" data-order-id=session.order_id.clone()>
            <h2 id="payment-heading">"Payment"</h2>
            <div class="payment-element" node_ref=target data-testid="payment-element"></div>
            {move || error.get().map(|message| view! { <ErrorAlert message/> })}
            <button
                type="button"
                class="btn btn-primary pay-button"
                on:click=pay
                disabled=move || paying.get() || !ready.get() || with_paypal.get()
            >
                {move || if paying.get() { "Processing…".to_string() } else { format!("Pay {}", total.get()) }}
            </button>
            {move || with_paypal.get().then(|| view! {
                <p class="muted" data-testid="paying-with-paypal">"Paying with PayPal. To pay by card instead, reload this page."</p>
            })}
            {paypal}
        </section>
    }
}

/// The order changed since the page showed it (nothing was charged): the page shows the new
/// total and revision, and the cart summary follows. Returns what to tell the shopper.
fn order_changed(
    now: Money,
    now_revision: i64,
    total: RwSignal<Money>,
    revision: RwSignal<i64>,
    cart: crate::components::cart_context::CartContext,
) -> String {
    let message = AppError::OrderChanged {
        total: now.clone(),
        revision: now_revision,
    }
    .to_string();
    total.set(now);
    revision.set(now_revision);
    cart.refresh();
    message
}

/// Reads how the changed order's total is made, for the summary.
fn refresh_pricing(order_id: String, pricing: RwSignal<Option<Breakdown>>) {
    browser::spawn(async move {
        if let Ok(now) = order_summary(order_id).await {
            pricing.set(Some(now));
        }
    });
}

/// Stripe's hosted Checkout (`STRIPE_UI=checkout`): Pay makes a Checkout Session for the order
/// as the page shows it, and the shopper pays on Stripe's page, then comes back to the live
/// order page (or, canceling, to the cart, the items still held).
#[component]
fn HostedCheckoutStep(
    session: CheckoutSession,
    pricing: RwSignal<Option<Breakdown>>,
) -> impl IntoView {
    let paying = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let total = RwSignal::new(session.total.clone());
    let revision = RwSignal::new(session.revision);
    let hydrated = use_hydrated();
    let cart = use_cart();
    let with_paypal = RwSignal::new(false);
    let paypal = session.paypal_sdk_url.clone().map(|sdk_url| {
        view! {
            <PayPalOption sdk_url order_id=session.order_id.clone() total error with_paypal/>
        }
    });
    let order_id = session.order_id.clone();
    let pay = move |_| {
        if paying.get_untracked() {
            return;
        }
        paying.set(true);
        error.set(None);
        let order_id = order_id.clone();
        browser::spawn(async move {
            let message = match pay_hosted(order_id.clone(), revision.get_untracked()).await {
                // Stays "Redirecting…" while the browser leaves.
                Ok(url) => return browser::go_to(&url),
                Err(AppError::OrderChanged {
                    total: now,
                    revision: now_revision,
                }) => {
                    refresh_pricing(order_id, pricing);
                    order_changed(now, now_revision, total, revision, cart)
                }
                Err(e) => e.to_string(),
            };
            error.set(Some(message));
            paying.set(false);
        });
    };
    view! {
        <section class="payment-step" aria-labelledby="payment-heading" data-order-id=session.order_id.clone()>
            <h2 id="payment-heading">"Payment"</h2>
            <p class="muted">"You pay on Stripe's secure page, then come back here to follow your order."</p>
            {move || error.get().map(|message| view! { <ErrorAlert message/> })}
            <button
                type="button"
                class="btn btn-primary pay-button"
                on:click=pay
                disabled=move || paying.get() || !hydrated.get() || with_paypal.get()
            >
                {move || if paying.get() { "Redirecting…".to_string() } else { format!("Pay {} with Stripe Checkout", total.get()) }}
            </button>
            {paypal}
        </section>
    }
}

/// PayPal's button beside the card form. PayPal's window approves; the server captures.
#[component]
fn PayPalOption(
    sdk_url: String,
    order_id: String,
    total: RwSignal<Money>,
    error: RwSignal<Option<String>>,
    with_paypal: RwSignal<bool>,
) -> impl IntoView {
    let target = NodeRef::<leptos::html::Div>::new();
    let buttons = StoredValue::new(None::<Arc<browser::PayPalButtons>>);
    let navigate = use_navigate();
    Effect::new(move |_| {
        let Some(div) = target.get() else { return };
        let (create_order, approve_order) = (order_id.clone(), order_id.clone());
        let navigate = navigate.clone();
        let callbacks = PayPalCallbacks {
            create: std::rc::Rc::new(move || {
                let order_id = create_order.clone();
                Box::pin(async move {
                    error.set(None);
                    match paypal_create(order_id, total.get_untracked().minor).await {
                        Ok(paypal_order) => {
                            with_paypal.set(true);
                            Ok(paypal_order)
                        }
                        Err(e) => {
                            error.set(Some(e.to_string()));
                            Err(e.to_string())
                        }
                    }
                })
            }),
            approve: std::rc::Rc::new(move |_paypal_order| {
                let (order_id, navigate) = (approve_order.clone(), navigate.clone());
                Box::pin(async move {
                    match paypal_capture(order_id.clone(), browser::attempt_id()).await {
                        Ok(captured) if captured.restart => {
                            error.set(Some("PayPal declined that payment method. Please choose another one in PayPal's window.".into()));
                            Approval::Restart
                        }
                        Ok(_) => {
                            navigate(&format!("/orders/{order_id}"), Default::default());
                            Approval::Done
                        }
                        Err(e) => {
                            error.set(Some(e.to_string()));
                            Approval::Failed
                        }
                    }
                })
            }),
            cancel: std::rc::Rc::new(move || {
                error.set(Some("You left PayPal before paying, so nothing was charged. You can try PayPal again, or reload the page to pay by card.".into()));
            }),
            error: std::rc::Rc::new(move |message| {
                error.set(Some(format!(
                    "PayPal could not take the payment: {message}"
                )));
            }),
        };
        let sdk_url = sdk_url.clone();
        browser::spawn(async move {
            match browser::render_paypal(div.into(), &sdk_url, callbacks).await {
                Ok(rendered) => buttons.set_value(Some(Arc::new(rendered))),
                Err(message) => error.set(Some(message)),
            }
        });
    });
    on_cleanup(move || buttons.set_value(None));
    view! {
        <div class="paypal-option">
            <p class="muted or-divider">"or"</p>
            <div class="paypal-button" node_ref=target data-testid="paypal-button"></div>
        </div>
    }
}
