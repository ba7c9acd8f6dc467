//! Pure domain code: no I/O, no framework types. Compiled for the server and the browser.

pub mod address;
pub mod analytics;
pub mod calendar;
pub mod cart;
pub mod email;
pub mod fulfilment;
pub mod gateway;
pub mod money;
pub mod order;
pub mod pricing;
pub mod product;
pub mod receipts;
pub mod settings;

#[cfg(test)]
mod properties;
