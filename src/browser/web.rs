//! The browser implementation.

use super::stripe_js::{self, get, get_str, object, Element, Elements, Stripe};
use super::{Approval, Confirmed, PayPalCallbacks};
use crate::api::orders::get_order;
use crate::domain::money::Money;
use crate::model::checkout::{CheckoutSession, ElementKind};
use futures::StreamExt;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::{set_interval_with_handle, IntervalHandle};
use send_wrapper::SendWrapper;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const GENERIC: &str = "Your payment could not be completed. Please try again.";

pub fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    wasm_bindgen_futures::spawn_local(future);
}

/// Leaves the shop for `url` (Stripe's hosted Checkout page).
/// Submits the form the event's element is in, as its submit button would (a radio's change
/// asks the server for the order at that rate).
pub fn submit_form_of(event: &web_sys::Event) {
    let Some(element) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    if let Ok(Some(form)) = element.closest("form") {
        if let Ok(submit) = js_sys::Reflect::get(&form, &"requestSubmit".into()) {
            if let Ok(submit) = submit.dyn_into::<js_sys::Function>() {
                let _ = submit.call0(&form);
            }
        }
    }
}

pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Takes Stripe's return parameters (the PaymentIntent's client secret among them) out of the
/// address bar, without a reload or a new history entry, so they are not bookmarked, shared, or
/// kept in the tab's history. Call it once the page has read them.
pub fn forget_stripe_return_params() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Some(search) = location
        .search()
        .ok()
        .and_then(|search| super::without_stripe_return_params(&search))
    else {
        return;
    };
    let (Ok(path), Ok(hash), Ok(history)) =
        (location.pathname(), location.hash(), window.history())
    else {
        return;
    };
    // The router's own state stays as it was.
    let state = history.state().unwrap_or(JsValue::NULL);
    let _ = history.replace_state_with_url(&state, "", Some(&format!("{path}{search}{hash}")));
}

/// Loads Stripe.js once (from the configured URL: Stripe's, or the simulator's).
async fn load_stripe_js(url: &str) -> Result<(), String> {
    load_script(url, "Stripe")
        .await
        .map_err(|_| "Stripe.js could not be loaded".to_string())
}

/// Loads a script once: not again when it already defined `global`.
async fn load_script(url: &str, global: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    if Reflect_has(&window, global) {
        return Ok(());
    }
    let document = window.document().ok_or("no document")?;
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(|_| "cannot create a script")?
        .unchecked_into();
    script.set_src(url);
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document
        .head()
        .ok_or("no head")?
        .append_child(&script)
        .map_err(|_| "cannot add the script")?;
    JsFuture::from(loaded)
        .await
        .map_err(|_| format!("{global} could not be loaded"))?;
    Ok(())
}

#[allow(non_snake_case)]
fn Reflect_has(target: &JsValue, key: &str) -> bool {
    js_sys::Reflect::has(target, &JsValue::from_str(key)).unwrap_or(false)
        && !get(target, key).is_undefined()
}

/// A mounted Stripe Element. No PaymentIntent exists while it is shown: the Payment Element runs
/// in deferred mode with the order's amount, and Pay makes what the server confirms with.
pub struct PaymentForm {
    stripe: SendWrapper<Stripe>,
    elements: SendWrapper<Elements>,
    element: SendWrapper<Element>,
    kind: ElementKind,
}

impl Drop for PaymentForm {
    fn drop(&mut self) {
        self.element.destroy();
    }
}

/// What a Stripe.js promise resolved to, or `None` when it threw or rejected.
async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Option<JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}

/// Stripe.js's `{error}` in the shopper's words: card and validation errors are written for
/// them; anything else is not.
fn shopper_error(result: &JsValue) -> Option<String> {
    let error = get(result, "error");
    if error.is_undefined() || error.is_null() {
        return None;
    }
    let kind = get_str(&error, "type").unwrap_or_default();
    let message = match kind.as_str() {
        "card_error" | "validation_error" => get_str(&error, "message"),
        _ if get_str(&error, "code").as_deref()
            == Some("payment_intent_authentication_failure") =>
        {
            get_str(&error, "message")
        }
        _ => None,
    };
    Some(message.unwrap_or_else(|| GENERIC.into()))
}

fn amount_options(total: &Money) -> [(&'static str, JsValue); 2] {
    [
        ("amount", JsValue::from_f64(total.minor as f64)),
        ("currency", total.currency.stripe_code().into()),
    ]
}

impl PaymentForm {
    /// Mounts the Element into `target` (an empty node: Stripe.js owns what goes inside).
    pub async fn mount(
        target: web_sys::HtmlElement,
        session: &CheckoutSession,
    ) -> Result<Self, String> {
        load_stripe_js(&session.stripe_js_url).await?;
        let stripe = stripe_js::stripe(&session.publishable_key)
            .map_err(|_| "Stripe.js is not available".to_string())?;
        let appearance = object(&[
            ("theme", "stripe".into()),
            (
                "variables",
                object(&[
                    ("colorPrimary", "#9c4221".into()),
                    ("borderRadius", "6px".into()),
                ]),
            ),
        ]);
        let kind = session.element;
        let options = match kind {
            // Deferred mode: no client secret, the order's amount and currency.
            // https://docs.stripe.com/payments/accept-a-payment-deferred
            ElementKind::Payment => {
                let [amount, currency] = amount_options(&session.total);
                object(&[
                    ("mode", "payment".into()),
                    amount,
                    currency,
                    ("appearance", appearance),
                ])
            }
            ElementKind::Card => object(&[("appearance", appearance)]),
        };
        let elements = stripe
            .elements(&options)
            .map_err(|_| "The payment form could not be set up".to_string())?;
        let element = match kind {
            ElementKind::Payment => {
                elements.create("payment", &object(&[("layout", "tabs".into())]))
            }
            ElementKind::Card => elements.create("card", &JsValue::UNDEFINED),
        }
        .map_err(|_| "The payment form could not be set up".to_string())?;
        element.mount(&target);
        Ok(PaymentForm {
            stripe: SendWrapper::new(stripe),
            elements: SendWrapper::new(elements),
            element: SendWrapper::new(element),
            kind,
        })
    }

    /// The order changed: the Element follows its new amount (wallets and the methods offered
    /// depend on it). https://docs.stripe.com/js/elements_object/update
    pub async fn update_amount(&self, total: &Money) {
        if self.kind == ElementKind::Payment {
            let [amount, currency] = amount_options(total);
            settle(self.elements.update(&object(&[amount, currency]))).await;
        }
    }

    /// Pay was pressed: what the server confirms with (a ConfirmationToken's id, or with the
    /// Card Element a PaymentMethod's), or what to tell the shopper. `return_url` is where a
    /// redirect method comes back to (the order page).
    pub async fn prepare(&self, return_url: &str) -> Result<String, String> {
        let (result, key) = match self.kind {
            ElementKind::Payment => {
                // First, before anything else is awaited (wallets need the click's activation).
                let submitted = settle(self.elements.submit()).await.ok_or(GENERIC)?;
                if let Some(message) = shopper_error(&submitted) {
                    return Err(message);
                }
                let options = object(&[
                    ("elements", JsValue::from((*self.elements).clone())),
                    ("params", object(&[("return_url", return_url.into())])),
                ]);
                let made = settle(self.stripe.create_confirmation_token(&options)).await;
                (made, "confirmationToken")
            }
            ElementKind::Card => {
                let options = object(&[
                    ("type", "card".into()),
                    ("card", JsValue::from((*self.element).clone())),
                ]);
                let made = settle(self.stripe.create_payment_method(&options)).await;
                (made, "paymentMethod")
            }
        };
        let result = result.ok_or(GENERIC)?;
        if let Some(message) = shopper_error(&result) {
            return Err(message);
        }
        get_str(&get(&result, key), "id").ok_or_else(|| GENERIC.to_string())
    }

    /// 3-D Secure for the PaymentIntent the server confirmed: Stripe.js shows the bank's
    /// challenge and says how it ended.
    pub async fn authenticate(&self, client_secret: &str) -> Confirmed {
        let options = object(&[("clientSecret", client_secret.into())]);
        // Stripe.js throws when the PaymentIntent no longer needs an action (another tab
        // finished it): the order page says where it stands.
        let Some(result) = settle(self.stripe.handle_next_action(&options)).await else {
            return Confirmed::Status("unknown".into());
        };
        if let Some(message) = shopper_error(&result) {
            return Confirmed::Failed(message);
        }
        match get_str(&get(&result, "paymentIntent"), "status") {
            Some(status) => Confirmed::Status(status),
            None => Confirmed::Failed(GENERIC.into()),
        }
    }
}

/// Follows an order's status: Server-Sent Events, with polling while the stream is down.
/// Dropping it closes the stream and stops the polling.
/// (Browser handles live on the one browser thread; the wrapper lets Leptos store it.)
pub struct OrderWatch(#[allow(dead_code)] SendWrapper<Watch>);

struct Watch {
    _source: Option<EventSource>,
    polling: Polling,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.polling.stop();
    }
}

pub fn watch_order(order_id: &str, on_status: impl Fn(String) + 'static) -> OrderWatch {
    let on_status: Rc<dyn Fn(String)> = Rc::new(on_status);
    let polling = Polling::new(order_id.to_string(), on_status.clone());
    let stream = EventSource::new(&format!("/orders/{order_id}/events"))
        .and_then(|mut source| source.subscribe("status").map(|s| (source, s)));
    let Ok((source, mut statuses)) = stream else {
        polling.start();
        return OrderWatch(SendWrapper::new(Watch {
            _source: None,
            polling,
        }));
    };
    let watch_polling = polling.clone();
    spawn(async move {
        // Ends when the watch is dropped (the source is closed).
        while let Some(message) = statuses.next().await {
            match message {
                Ok((_, event)) => {
                    polling.stop();
                    if let Some(status) = event.data().as_string() {
                        on_status(status);
                    }
                }
                // The browser reconnects by itself; meanwhile, ask now and then.
                Err(_) => polling.start(),
            }
        }
    });
    OrderWatch(SendWrapper::new(Watch {
        _source: Some(source),
        polling: watch_polling,
    }))
}

/// Asks the server for the order's status every two seconds while started.
#[derive(Clone)]
struct Polling {
    order_id: String,
    on_status: Rc<dyn Fn(String)>,
    interval: Rc<Cell<Option<IntervalHandle>>>,
}

impl Polling {
    fn new(order_id: String, on_status: Rc<dyn Fn(String)>) -> Self {
        Polling {
            order_id,
            on_status,
            interval: Rc::default(),
        }
    }

    fn start(&self) {
        if self.interval.get().is_some() {
            return;
        }
        let (order_id, on_status) = (self.order_id.clone(), self.on_status.clone());
        let tick = move || {
            let (order_id, on_status) = (order_id.clone(), on_status.clone());
            spawn(async move {
                if let Ok(Some(order)) = get_order(order_id).await {
                    on_status(order.status.as_str().to_string());
                }
            });
        };
        self.interval
            .set(set_interval_with_handle(tick, Duration::from_secs(2)).ok());
    }

    fn stop(&self) {
        if let Some(handle) = self.interval.take() {
            handle.clear();
        }
    }
}

/// A callback handed to PayPal's SDK: `(data, actions) -> result`.
type Callback = Closure<dyn FnMut(JsValue, JsValue) -> JsValue>;

/// PayPal's buttons, rendered; closed when dropped. Keeps the callbacks alive meanwhile.
pub struct PayPalButtons {
    buttons: SendWrapper<super::paypal_js::Buttons>,
    _callbacks: SendWrapper<Vec<Callback>>,
}

impl Drop for PayPalButtons {
    fn drop(&mut self) {
        let _ = self.buttons.close();
    }
}

/// A fresh id for one approval, so capturing it again (a retry) is the same capture and a new
/// approval is a new one.
pub fn attempt_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads PayPal's JS SDK (from the configured URL: PayPal's, or the simulator's) and renders its
/// buttons into `target`.
pub async fn render_paypal(
    target: web_sys::HtmlElement,
    sdk_url: &str,
    callbacks: PayPalCallbacks,
) -> Result<PayPalButtons, String> {
    load_script(sdk_url, "paypal")
        .await
        .map_err(|_| "PayPal could not be loaded".to_string())?;
    let paypal = super::paypal_js::paypal().ok_or("PayPal is not available")?;
    let on = |f: Box<dyn FnMut(JsValue, JsValue) -> JsValue>| Closure::wrap(f);
    let create = callbacks.create.clone();
    let create = on(Box::new(move |_data, _actions| {
        let create = create.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            create()
                .await
                .map(JsValue::from)
                .map_err(|e| js_sys::Error::new(&e).into())
        })
        .into()
    }));
    let approve = callbacks.approve.clone();
    let approve = on(Box::new(move |data, actions| {
        let approve = approve.clone();
        let order = get_str(&data, "orderID").unwrap_or_default();
        wasm_bindgen_futures::future_to_promise(async move {
            match approve(order).await {
                Approval::Restart => {
                    let actions: super::paypal_js::ApproveActions = actions.unchecked_into();
                    actions.restart()
                }
                Approval::Done | Approval::Failed => Ok(JsValue::UNDEFINED),
            }
        })
        .into()
    }));
    let cancel = callbacks.cancel.clone();
    let cancel = on(Box::new(move |_data, _actions| {
        cancel();
        JsValue::UNDEFINED
    }));
    let error = callbacks.error.clone();
    let error = on(Box::new(move |err, _actions| {
        let message = get_str(&err, "message")
            .or_else(|| err.as_string())
            .unwrap_or_else(|| "PayPal stopped with an error".into());
        error(message);
        JsValue::UNDEFINED
    }));
    let options = object(&[
        (
            "style",
            object(&[("layout", "vertical".into()), ("label", "paypal".into())]),
        ),
        ("createOrder", create.as_ref().clone()),
        ("onApprove", approve.as_ref().clone()),
        ("onCancel", cancel.as_ref().clone()),
        ("onError", error.as_ref().clone()),
    ]);
    let buttons = paypal
        .buttons(&options)
        .map_err(|_| "PayPal's button could not be made".to_string())?;
    if !buttons.is_eligible() {
        return Err("PayPal is not available for this payment".into());
    }
    let rendered = buttons
        .render(&target)
        .map_err(|_| "PayPal's button could not be shown".to_string())?;
    JsFuture::from(rendered)
        .await
        .map_err(|_| "PayPal's button could not be shown".to_string())?;
    Ok(PayPalButtons {
        buttons: SendWrapper::new(buttons),
        _callbacks: SendWrapper::new(vec![create, approve, cancel, error]),
    })
}
