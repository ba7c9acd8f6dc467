//! Small UI pieces, named for what the shopper sees.

pub mod add_to_cart;
pub mod cart_context;
pub mod hydrated;
pub mod layout;
pub mod notice;
pub mod payments_banner;
pub mod product_card;
pub mod status_badge;
