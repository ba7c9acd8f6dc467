#![recursion_limit = "512"]
//! An offline simulator of the Stripe API subset a checkout uses.
//!
//! - REST: PaymentIntents (create, retrieve, update, confirm, cancel, capture), PaymentMethods,
//!   Charges, Refunds, Events, webhook endpoints; form-encoded requests with bracket notation,
//!   JSON responses, Stripe's error envelope, `Request-Id`, idempotency keys.
//! - Webhooks signed like Stripe's and retried with backoff until a 2xx.
//! - A Stripe.js stand-in at `/v3/` with Payment and Card Elements and a 3-D Secure challenge.
//! - A control API under `/_sim/` (secret key only): reset, faults, clock, deliveries.
//!
//! Mount `Simulator::router()` at the root of its own server (the `stripe-sim` binary) or nest
//! it inside an app; the app then talks to it over HTTP exactly as it would to Stripe.

mod api;
mod assets;
pub mod cards;
pub mod engine;
pub mod form;
pub mod model;
mod store;
pub mod webhooks;

pub use api::{Faults, SimConfig, Simulator};
pub use store::embedded_keys;
pub use webhooks::Attempt;
