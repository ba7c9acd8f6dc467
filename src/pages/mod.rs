//! One module per page.

pub mod cart;
pub mod not_found;
pub mod product;
pub mod shop;
