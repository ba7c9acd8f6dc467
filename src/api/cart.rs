//! Cart server functions. Amounts are never taken from the browser: the browser names a product
//! and a quantity, the server prices it from the database.

use crate::domain::cart::Cart;
use crate::error::AppError;
use leptos::prelude::*;

/// The visitor's cart, priced from the catalog.
#[server(endpoint = "cart/get")]
pub async fn get_cart() -> Result<Cart, AppError> {
    use crate::server::{db, session};

    match session::existing_cart().await? {
        (state, Some(cart_id)) if !session::cart_is_new() => {
            let mut reader = state.reader.connection().await?;
            Ok(db::load_cart(&mut *reader, &cart_id, &state.config.currency).await?)
        }
        // No cart yet, or one this very page request created: nothing can be in it.
        (state, _) => Ok(Cart {
            lines: Vec::new(),
            currency: state.config.currency.clone(),
        }),
    }
}

/// Adds `quantity` of a product; the line may not exceed the stock. Returns a message for the shopper.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(product_id: i64, quantity: i64) -> Result<String, AppError> {
    use crate::domain::cart::check_requested;
    use crate::server::db;

    let (state, cart_id) = crate::server::session::current_cart().await?;
    check_requested(quantity)?;
    match db::add_item(&state.pool, &cart_id, product_id, quantity).await? {
        db::Change::Done { name, .. } => Ok(format!("Added {quantity} × {name} to your cart.")),
        db::Change::Refused(err) => Err(err),
    }
}

/// Sets the quantity of a line already in the cart.
#[server(endpoint = "cart/update")]
pub async fn update_cart_item(product_id: i64, quantity: i64) -> Result<String, AppError> {
    use crate::domain::cart::check_requested;
    use crate::server::db;

    let (state, cart_id) = crate::server::session::current_cart().await?;
    check_requested(quantity)?;
    match db::set_quantity(&state.pool, &cart_id, product_id, quantity).await? {
        db::Change::Done { name, .. } => Ok(format!("{name}: quantity set to {quantity}.")),
        db::Change::Refused(err) => Err(err),
    }
}

/// Removes a line. Removing a line that is already gone succeeds, so a double click is harmless.
#[server(endpoint = "cart/remove")]
pub async fn remove_cart_item(product_id: i64) -> Result<String, AppError> {
    use crate::server::db;

    let (state, cart_id) = crate::server::session::current_cart().await?;
    match db::remove_item(&state.pool, &cart_id, product_id).await? {
        db::Change::Done { name, .. } => Ok(format!("Removed {name} from your cart.")),
        db::Change::Refused(err) => Err(err),
    }
}
