//! Server-side stand-ins: effects never run on the server, so these are never called there.

use super::Confirmed;
use crate::domain::money::Money;
use crate::model::checkout::CheckoutSession;

pub struct PaymentForm;

impl PaymentForm {
    pub async fn mount(
        _target: leptos::web_sys::HtmlElement,
        _session: &CheckoutSession,
    ) -> Result<Self, String> {
        Err("payments need a browser".into())
    }

    pub async fn update_amount(&self, _total: &Money) {}

    pub async fn prepare(&self, _return_url: &str) -> Result<String, String> {
        Err("payments need a browser".into())
    }

    pub async fn authenticate(&self, _client_secret: &str) -> Confirmed {
        Confirmed::Failed("payments need a browser".into())
    }
}

pub struct OrderWatch;

pub fn watch_order(_order_id: &str, _on_status: impl Fn(String) + 'static) -> OrderWatch {
    OrderWatch
}

pub fn forget_stripe_return_params() {}

pub fn go_to(_url: &str) {}

pub fn submit_form_of(_event: &leptos::ev::Event) {}

pub fn origin() -> String {
    String::new()
}

pub fn spawn(_future: impl std::future::Future<Output = ()> + 'static) {}

pub struct PayPalButtons;

pub async fn render_paypal(
    _target: leptos::web_sys::HtmlElement,
    _sdk_url: &str,
    _callbacks: super::PayPalCallbacks,
) -> Result<PayPalButtons, String> {
    Err("PayPal needs a browser".into())
}

/// A fresh id for one approval (only the browser makes them).
pub fn attempt_id() -> String {
    String::new()
}
