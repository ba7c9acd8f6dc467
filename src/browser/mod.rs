//! What only a browser can do: Stripe.js (through typed wasm-bindgen bindings), the live order
//! stream, navigation. The server build gets inert stand-ins, so components call one API and
//! the split happens here, at the module level.

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
