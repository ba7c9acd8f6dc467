//! Typed bindings for the part of PayPal's JS SDK the checkout uses: `paypal.Buttons`
//! (https://developer.paypal.com/sdk/js/reference/).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.paypal`.
    #[derive(Clone)]
    pub type PayPal;
    /// What `paypal.Buttons(options)` returns.
    #[derive(Clone)]
    pub type Buttons;
    /// The `actions` of `onApprove`.
    pub type ApproveActions;

    #[wasm_bindgen(thread_local_v2, js_namespace = window, js_name = paypal)]
    static PAYPAL: JsValue;

    #[wasm_bindgen(method, catch, js_name = Buttons)]
    pub fn buttons(this: &PayPal, options: &JsValue) -> Result<Buttons, JsValue>;

    #[wasm_bindgen(method, js_name = isEligible)]
    pub fn is_eligible(this: &Buttons) -> bool;

    #[wasm_bindgen(method, catch)]
    pub fn render(this: &Buttons, target: &web_sys::HtmlElement) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn close(this: &Buttons) -> Result<JsValue, JsValue>;

    /// Opens PayPal's window again for the same order (after a declined funding source).
    #[wasm_bindgen(method, catch)]
    pub fn restart(this: &ApproveActions) -> Result<JsValue, JsValue>;
}

/// `window.paypal`, once the SDK has loaded.
pub fn paypal() -> Option<PayPal> {
    PAYPAL
        .with(|p| (!p.is_undefined() && !p.is_null()).then(|| p.clone().unchecked_into::<PayPal>()))
}
