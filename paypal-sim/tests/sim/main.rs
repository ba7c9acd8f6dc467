//! End-to-end tests of the PayPal simulator over HTTP.

mod api;
mod common;
mod faults;
mod hostile;
mod schema;
mod webhooks;
