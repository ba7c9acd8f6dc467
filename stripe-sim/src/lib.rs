#![recursion_limit = "512"]
//! An offline simulator of the Stripe API subset a checkout uses.
//!
//! - REST: PaymentIntents (create, retrieve, update, confirm, cancel, capture), PaymentMethods,
//!   Charges, Refunds, Disputes, Events, webhook endpoints; form-encoded requests with bracket
//!   notation, JSON responses, Stripe's error envelope, `Request-Id`, idempotency keys.
//!   Objects are rendered as at API version `2026-07-29.dahlia`: a Charge has no `refunds`
//!   list unless `expand[]=refunds` asks for it.
//! - Lists to reconcile from: `GET /v1/events` (`type` with `*`, `types[]`, `created[gte|gt|lte|lt]`
//!   or `created=`, `delivery_success`, `starting_after`/`ending_before`, `limit`),
//!   `GET /v1/refunds` (`payment_intent`, `charge`), `GET /v1/disputes` (`payment_intent`,
//!   `charge`) and `GET /v1/disputes/{id}`, `GET /v1/payment_intents` (`created`, `customer`).
//!   Every list pages newest first with `starting_after`/`ending_before` and `limit`. Events
//!   are kept for ever.
//! - ConfirmationTokens (deferred intents confirmed on the server): `POST /v1/confirmation_tokens`
//!   (publishable key, what the Stripe.js stand-in's `createConfirmationToken()` calls),
//!   `GET /v1/confirmation_tokens/{id}`, `POST /v1/test_helpers/confirmation_tokens`, and
//!   `confirmation_token` on PaymentIntent create (`confirm=true`) and confirm. A token is
//!   single-use, expires after `SimConfig::confirmation_token_lifetime`, and must match the
//!   PaymentIntent's currency, `setup_future_usage` and `capture_method`.
//! - Checkout Sessions in `payment` mode (`POST /v1/checkout/sessions` with `line_items[n][price_data]`,
//!   `GET` one or the list, `POST …/{id}/expire`, `GET …/{id}/line_items`) and the hosted page
//!   their `url` opens (`/c/pay/{id}`: server-rendered, no script, strict CSP), which pays with
//!   the test cards, shows declines for a retry, runs 3-D Secure through the redirect challenge
//!   and sends the shopper to `success_url`. Events `checkout.session.completed`,
//!   `.async_payment_succeeded` / `.async_payment_failed` (processing cards) and `.expired`
//!   (by the API, or at `expires_at` on the simulator's clock).
//! - Webhooks signed like Stripe's and retried with backoff until a 2xx.
//!   `POST /v1/webhook_endpoints/{id}` with `disabled=true|false` disables an endpoint as
//!   Stripe does: it gets nothing, is never sent what it missed, and a retry that comes due
//!   while it is disabled is given up (still counted in `pending_webhooks`).
//! - A Stripe.js stand-in at `/v3/` with Payment and Card Elements and a 3-D Secure challenge.
//! - A control API under `/_sim/` (secret key only, and only when `SimConfig::control_api` is
//!   on: off by default, on in the `stripe-sim` binary): reset, faults, clock, deliveries, and
//!   `POST /_sim/disputes/{id}/close` with `outcome=won|lost` to decide a dispute (test card
//!   0259 opens one: `charge.dispute.created`, `charge.dispute.funds_withdrawn`, status
//!   `needs_response`; won adds `charge.dispute.funds_reinstated`, then both send
//!   `charge.dispute.closed`).
//! - Faults (`POST /_sim/faults`, see [`Faults`]): failing or slow requests, dropped,
//!   duplicated, delayed and reordered webhooks, and `webhook_loss_rate`, the share of events
//!   never delivered at all (still listed, with `delivery_success=false`), decided by `seed`.
//!
//! - Exposure: CORS (any origin) only on what Stripe.js calls from a shop's pages (retrieve and
//!   confirm a PaymentIntent, create a PaymentMethod or a ConfirmationToken, `POST /_sim/3ds/{id}`,
//!   the `/v3` assets);
//!   bodies are read only after the key is checked, at most 64 KiB, with at most 1000
//!   parameters nested at most 5 brackets deep (see [`form`]).
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
