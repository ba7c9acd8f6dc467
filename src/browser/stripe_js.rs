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

    #[wasm_bindgen(method, js_name = confirmPayment)]
    pub fn confirm_payment(this: &Stripe, options: &JsValue) -> Promise;

    #[wasm_bindgen(method, js_name = confirmCardPayment)]
    pub fn confirm_card_payment(this: &Stripe, client_secret: &str, data: &JsValue) -> Promise;

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
