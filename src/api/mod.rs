//! Server functions: called in-process during server rendering, over HTTP from the browser
//! (or by a plain form post before the page is hydrated). URLs are fixed: `/api/<endpoint>`.
//! The types they take and return live in [`crate::model`].

pub mod admin;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod orders;
pub mod site;
