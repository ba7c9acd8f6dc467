//! What only a browser can do: Stripe.js (through typed wasm-bindgen bindings), the live order
//! stream, navigation. The server build gets inert stand-ins, so components call one API and
//! the split happens here, at the module level.

#[cfg(feature = "hydrate")]
mod paypal_js;
#[cfg(feature = "hydrate")]
mod stripe_js;
#[cfg(feature = "hydrate")]
mod web;
#[cfg(feature = "hydrate")]
pub use web::*;

#[cfg(not(feature = "hydrate"))]
mod inert;
#[cfg(not(feature = "hydrate"))]
pub use inert::*;

/// How a confirmation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The PaymentIntent's status (`succeeded`, `processing`, `requires_capture`).
    Status(String),
    /// What to tell the shopper.
    Failed(String),
}

/// How capturing an approved PayPal payment ended, as the page tells the button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Captured (or processing): the page goes on to the order.
    Done,
    /// PayPal declined the funding source: its window opens again (`actions.restart()`).
    Restart,
    /// Not captured; the page shows why.
    Failed,
}

type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// What the page does when the PayPal button calls back.
#[derive(Clone)]
pub struct PayPalCallbacks {
    /// `createOrder`: PayPal's order id, or what to tell the shopper.
    pub create: std::rc::Rc<dyn Fn() -> Pending<Result<String, String>>>,
    /// `onApprove`, with PayPal's order id.
    pub approve: std::rc::Rc<dyn Fn(String) -> Pending<Approval>>,
    /// `onCancel`: the shopper closed PayPal's window.
    pub cancel: std::rc::Rc<dyn Fn()>,
    /// `onError`.
    pub error: std::rc::Rc<dyn Fn(String)>,
}

/// What Stripe adds to the return URL when it sends the shopper back (3-D Secure, redirect
/// methods). The client secret among them must not stay in the address bar.
pub const STRIPE_RETURN_PARAMS: [&str; 3] = [
    "payment_intent",
    "payment_intent_client_secret",
    "redirect_status",
];

/// A query string (`?a=1&b=2`, or empty) without Stripe's return parameters; `None` when it had
/// none of them (nothing to change).
pub fn without_stripe_return_params(search: &str) -> Option<String> {
    let query = search.strip_prefix('?').unwrap_or(search);
    let (removed, kept): (Vec<&str>, Vec<&str>) = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .partition(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            STRIPE_RETURN_PARAMS.contains(&key)
        });
    if removed.is_empty() {
        None
    } else if kept.is_empty() {
        Some(String::new())
    } else {
        Some(format!("?{}", kept.join("&")))
    }
}

#[cfg(test)]
mod tests {
    use super::without_stripe_return_params as strip;

    #[test]
    fn stripes_parameters_go_and_the_others_stay() {
        assert_eq!(
            strip("?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_2&redirect_status=succeeded")
                .as_deref(),
            Some("")
        );
        assert_eq!(
            strip("?a=1&payment_intent_client_secret=pi_1_secret_2&b=&c").as_deref(),
            Some("?a=1&b=&c")
        );
        assert_eq!(strip("?redirect_status").as_deref(), Some(""));
    }

    #[test]
    fn nothing_to_change_without_them() {
        assert_eq!(strip(""), None);
        assert_eq!(strip("?"), None);
        assert_eq!(strip("?q=mug&payment=card"), None);
    }
}
