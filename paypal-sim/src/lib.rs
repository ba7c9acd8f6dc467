//! An offline simulator of the PayPal REST API subset a checkout uses, imitating PayPal's
//! paths, JSON shapes, status codes and headers so that an app works unchanged against it and
//! against the PayPal sandbox.
//!
//! - OAuth: `POST /v1/oauth2/token` (client credentials, Basic auth); every REST call needs
//!   `Authorization: Bearer …`.
//! - Orders v2: create, get, patch, capture; Payments v2: get capture, refund, get refund.
//!   17-character ids, `paypal-debug-id`, PayPal's error envelope, `Prefer`,
//!   `PayPal-Request-Id` replays, `PayPal-Mock-Response` negative testing.
//! - Webhooks: `/v1/notifications/webhooks`, deliveries signed with SHA256withRSA by the
//!   simulator's own test key (see [`signing`]), its certificate at
//!   `/v1/notifications/certs/{id}`, `verify-webhook-signature`.
//! - A JS SDK stand-in at `/sdk/js` (`paypal.Buttons`) and an approval page at
//!   `/checkoutnow?token=ID` where the buyer picks what pays: PayPal balance (completes), a card
//!   that is declined (capture answers INSTRUMENT_DECLINED), or an eCheck (capture PENDING).
//! - A control API under `/_sim/` (off by default; [`SimConfig::with_control_api`]).

mod api;
pub mod engine;
pub mod model;
pub mod signing;
mod store;
mod time;
pub mod webhooks;

pub use api::{Faults, SimConfig, Simulator};
pub use store::embedded_credentials;
pub use webhooks::Attempt;
