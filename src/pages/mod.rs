//! One module per page.

pub mod admin;
pub mod cart;
pub mod checkout;
pub mod find_order;
pub mod not_found;
pub mod order;
pub mod product;
pub mod shop;
