#![cfg(feature = "ssr")]
//! The app's integration tests, in one binary: the app is linked once, and the tests share one
//! process (so nothing here may change process-wide state such as environment variables).

mod helpers;

mod admin;
mod cart;
mod catalog;
mod catalog_admin;
mod checkout;
mod database;
mod emails;
mod fulfilment;
mod hosted_checkout;
mod payments;
mod paypal;
mod pricing;
mod security;
mod self_healing;
mod settings_admin;
mod smtp_sink;
mod startup;
mod stripe_client;
mod webhooks;
