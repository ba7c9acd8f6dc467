//! Server functions: called in-process during server rendering, over HTTP from the browser
//! (or by a plain form post before the page is hydrated). URLs are fixed: `/api/<endpoint>`.
//! The types they take and return live in [`crate::model`].

pub mod admin;
pub mod admin_catalog;
pub mod admin_fulfilment;
pub mod admin_settings;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod orders;
pub mod site;
