//! The simulator's integration tests, in one test binary.

mod common;

mod api;
mod cards;
mod checkout;
mod confirmation_tokens;
mod disputes;
mod events;
mod exposure;
mod hostile;
mod keys;
mod panics;
mod schema;
mod webhooks;
