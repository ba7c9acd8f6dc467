//! The catalog: what the shop sells, read on the server, shown by the pages.

use crate::domain::money::Money;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub stock: i64,
    pub image: String,
}

#[server(endpoint = "catalog/list")]
pub async fn list_products() -> Result<Vec<Product>, AppError> {
    let state = crate::server::state()?;
    Ok(crate::server::db::list_products(&state.pool).await?)
}

/// `None` when no product has that slug.
#[server(endpoint = "catalog/product")]
pub async fn get_product(slug: String) -> Result<Option<Product>, AppError> {
    let state = crate::server::state()?;
    Ok(crate::server::db::product_by_slug(&state.pool, &slug).await?)
}
