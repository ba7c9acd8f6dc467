//! Typed bindings for the part of Stripe.js v3 the checkout uses (https://docs.stripe.com/js).

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[derive(Clone)]
    pub type Stripe;
    #[derive(Clone)]
    pub type Elements;
    #[derive(Clone)]
    pub type Element;

    /// `window.Stripe(pk)`: `catch` turns a missing Stripe.js into an error, not a trap.
    #[wasm_bindgen(catch, js_name = Stripe)]
    pub fn stripe(publishable_key: &str) -> Result<Stripe, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn elements(this: &Stripe, options: &JsValue) -> Result<Elements, JsValue>;

    /// `stripe.createConfirmationToken({elements, params})`, after `elements.submit()`
    /// (https://docs.stripe.com/js/confirmation_tokens/create_confirmation_token).
    #[wasm_bindgen(method, catch, js_name = createConfirmationToken)]
    pub fn create_confirmation_token(this: &Stripe, options: &JsValue) -> Result<Promise, JsValue>;

    /// `stripe.createPaymentMethod({type: 'card', card})`: the Card Element's way.
    #[wasm_bindgen(method, catch, js_name = createPaymentMethod)]
    pub fn create_payment_method(this: &Stripe, options: &JsValue) -> Result<Promise, JsValue>;

    /// `stripe.handleNextAction({clientSecret})`: 3-D Secure for a PaymentIntent the server
    /// confirmed (https://docs.stripe.com/js/payment_intents/handle_next_action).
    #[wasm_bindgen(method, catch, js_name = handleNextAction)]
    pub fn handle_next_action(this: &Stripe, options: &JsValue) -> Result<Promise, JsValue>;

    /// `elements.submit()`: validates the Payment Element; first thing on Pay.
    #[wasm_bindgen(method, catch)]
    pub fn submit(this: &Elements) -> Result<Promise, JsValue>;

    /// `elements.update({amount, currency})`, when the order changed.
    #[wasm_bindgen(method, catch)]
    pub fn update(this: &Elements, options: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn create(this: &Elements, kind: &str, options: &JsValue) -> Result<Element, JsValue>;

    #[wasm_bindgen(method)]
    pub fn mount(this: &Element, target: &web_sys::HtmlElement);

    #[wasm_bindgen(method)]
    pub fn destroy(this: &Element);

    #[wasm_bindgen(method)]
    pub fn on(this: &Element, event: &str, handler: &js_sys::Function) -> Element;
}

/// A plain JS object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}
