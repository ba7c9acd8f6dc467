//! The types that cross the wire between server and browser: what server functions return and
//! what pages show. Compiled for both sides; no I/O here.

pub mod admin;
pub mod catalog;
pub mod checkout;
pub mod emails;
pub mod fulfilment;
pub mod orders;
pub mod site;
