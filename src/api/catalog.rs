//! The catalog: what the shop sells, read on the server, shown by the pages.

use crate::error::AppError;
use crate::model::catalog::Product;
use leptos::prelude::*;

#[server(endpoint = "catalog/list")]
pub async fn list_products() -> Result<Vec<Product>, AppError> {
    let state = crate::server::state()?;
    let mut db = state.reader.connection().await?;
    Ok(crate::server::db::list_products(&mut *db).await?)
}

/// `None` when no product has that slug.
#[server(endpoint = "catalog/product")]
pub async fn get_product(slug: String) -> Result<Option<Product>, AppError> {
    let state = crate::server::state()?;
    let mut db = state.reader.connection().await?;
    Ok(crate::server::db::product_by_slug(&mut *db, &slug).await?)
}
