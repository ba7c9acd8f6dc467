//! Small UI pieces, named for what the shopper sees.

pub mod add_to_cart;
pub mod cart_context;
pub mod hydrated;
pub mod layout;
pub mod notice;
pub mod payments_banner;
pub mod price_lines;
pub mod product_card;
pub mod shipments;
pub mod status_badge;
