//! The visitor's cart: guarded single-statement writes, so concurrent tabs never lose an item
//! and a line never goes over the stock.

use crate::domain::cart::{check_quantity, Cart, CartLine, QuantityError, MAX_LINE_QUANTITY};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use sqlx::{AnyExecutor, AnyPool};

/// What of product `p` this cart (bound as `?1`) may have: the stock on sale plus what the
/// cart's own open order holds (a shopper's hold is theirs to keep).
const AVAILABLE: &str =
    "(p.stock + coalesce((SELECT h.quantity FROM cart_holds h WHERE h.cart_id = $1 AND h.product_id = p.id), 0))";

#[derive(sqlx::FromRow)]
struct CartLineRow {
    product_id: i64,
    slug: String,
    name: String,
    image: String,
    price_minor: i64,
    currency: Currency,
    stock: i64,
    quantity: i64,
    weight_grams: i64,
}

/// The cart's lines, priced from `products` as they are now. A product taken off sale (inactive)
/// is left out, so it cannot be checked out; its line comes back if it goes on sale again.
pub async fn load_cart(
    db: impl AnyExecutor<'_>,
    cart_id: &str,
    shop_currency: &Currency,
) -> Result<Cart, sqlx::Error> {
    let rows = sqlx::query_as::<_, CartLineRow>(&format!(
        "SELECT p.id AS product_id, p.slug, p.name, p.image, p.price_minor, p.currency, {AVAILABLE} AS stock, ci.quantity, p.weight_grams
         FROM cart_items ci JOIN products p ON p.id = ci.product_id
         WHERE ci.cart_id = $1 AND p.active = 1 ORDER BY ci.rowid"
    ))
    .bind(cart_id)
    .fetch_all(db)
    .await?;
    let lines = rows
        .into_iter()
        .map(|r| CartLine {
            unit_price: Money::new(r.price_minor, r.currency),
            product_id: r.product_id,
            slug: r.slug,
            name: r.name,
            image: r.image,
            stock: r.stock,
            quantity: r.quantity,
            weight_grams: r.weight_grams,
        })
        .collect();
    Ok(Cart {
        lines,
        currency: shop_currency.clone(),
    })
}

/// What a cart change came to: done, or refused with the reason to show.
#[derive(Debug)]
pub enum Change {
    Done { name: String, quantity: i64 },
    Refused(AppError),
}

/// A product's name and what of it the cart may have.
async fn product_name_and_stock(
    pool: &AnyPool,
    cart_id: &str,
    product_id: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT p.name, {AVAILABLE} FROM products p WHERE p.id = $2"
    ))
    .bind(cart_id)
    .bind(product_id)
    .fetch_optional(pool)
    .await
}

async fn is_active(pool: &AnyPool, product_id: i64) -> Result<bool, sqlx::Error> {
    let active: Option<super::Flag> =
        sqlx::query_scalar("SELECT active FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_optional(pool)
            .await?;
    Ok(active == Some(super::Flag(true)))
}

async fn quantity_in_cart(
    pool: &AnyPool,
    cart_id: &str,
    product_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT quantity FROM cart_items WHERE cart_id = $1 AND product_id = $2")
        .bind(cart_id)
        .bind(product_id)
        .fetch_optional(pool)
        .await
}

/// Explains why a guarded write touched no row, from the state as it is now.
fn refusal(resulting: i64, stock: i64) -> AppError {
    match check_quantity(resulting, stock) {
        Err(e) => e.into(),
        // The stock changed between the write and this read: report it as the stock limit.
        Ok(()) => QuantityError::AboveStock { available: stock }.into(),
    }
}

/// Adds to a line in one statement, guarded by the stock, so that concurrent adds (two tabs)
/// each land or fail whole and never overwrite each other.
pub async fn add_item(
    pool: &AnyPool,
    cart_id: &str,
    product_id: i64,
    quantity: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, stock)) = product_name_and_stock(pool, cart_id, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    sqlx::query(
        "INSERT INTO carts (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET updated_at = unixepoch()",
    )
    .bind(cart_id)
    .execute(pool)
    .await?;
    let least = super::least(pool);
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "INSERT INTO cart_items (cart_id, product_id, quantity)
         SELECT $1, p.id, $3 FROM products p WHERE p.id = $2 AND p.active = 1 AND $3 <= {least}({AVAILABLE}, $4)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity
         WHERE cart_items.quantity + excluded.quantity
               <= (SELECT {least}({AVAILABLE}, $4) FROM products p WHERE p.id = excluded.product_id)
         RETURNING quantity"
    ))
    .bind(cart_id)
    .bind(product_id)
    .bind(quantity)
    .bind(MAX_LINE_QUANTITY)
    .fetch_optional(pool)
    .await?;
    Ok(match updated {
        Some(quantity) => Change::Done { name, quantity },
        // An inactive product (off sale) cannot be added: as if it did not exist.
        None if !is_active(pool, product_id).await? => Change::Refused(AppError::ProductNotFound),
        None => {
            let current = quantity_in_cart(pool, cart_id, product_id)
                .await?
                .unwrap_or(0);
            Change::Refused(refusal(current.saturating_add(quantity), stock))
        }
    })
}

/// Sets a line's quantity, guarded by the stock.
pub async fn set_quantity(
    pool: &AnyPool,
    cart_id: &str,
    product_id: i64,
    quantity: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, stock)) = product_name_and_stock(pool, cart_id, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    let least = super::least(pool);
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE cart_items SET quantity = $3
         WHERE cart_id = $1 AND product_id = $2
           AND $3 <= (SELECT {least}({AVAILABLE}, $4) FROM products p WHERE p.id = $2)
         RETURNING quantity"
    ))
    .bind(cart_id)
    .bind(product_id)
    .bind(quantity)
    .bind(MAX_LINE_QUANTITY)
    .fetch_optional(pool)
    .await?;
    Ok(match updated {
        Some(quantity) => Change::Done { name, quantity },
        None if quantity_in_cart(pool, cart_id, product_id).await?.is_none() => {
            Change::Refused(AppError::NotInCart)
        }
        None => Change::Refused(refusal(quantity, stock)),
    })
}

pub async fn remove_item(
    pool: &AnyPool,
    cart_id: &str,
    product_id: i64,
) -> Result<Change, sqlx::Error> {
    let Some((name, _)) = product_name_and_stock(pool, cart_id, product_id).await? else {
        return Ok(Change::Refused(AppError::ProductNotFound));
    };
    sqlx::query("DELETE FROM cart_items WHERE cart_id = $1 AND product_id = $2")
        .bind(cart_id)
        .bind(product_id)
        .execute(pool)
        .await?;
    Ok(Change::Done { name, quantity: 0 })
}
