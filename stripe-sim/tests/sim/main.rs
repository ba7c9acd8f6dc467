//! The simulator's integration tests, in one test binary.

mod common;

mod api;
mod cards;
mod schema;
mod webhooks;
