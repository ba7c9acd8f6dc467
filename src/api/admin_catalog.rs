//! The merchant's catalog server functions: products (inactive ones too), adding and editing
//! them, and adjusting their stock with a reason. Each one checks the session itself. Images are
//! uploaded to a plain route (`POST /admin/products/{id}/image`, see `server::admin`).

use crate::domain::product::{AdminProduct, AdminProductDetail};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "admin/products")]
pub async fn admin_products() -> Result<Vec<AdminProduct>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::products(&state).await
}

/// The product, its stock history and the shop's currency; `None` if there is no such product.
#[server(endpoint = "admin/product")]
pub async fn get_admin_product(id: i64) -> Result<Option<AdminProductDetail>, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::product(&state, id).await
}

/// Adds a product and goes to its page (where its image is uploaded). The price is typed in
/// major units of the shop's currency (`12.50`); `active` is the checkbox (present when ticked).
#[server(endpoint = "admin/product/create")]
pub async fn create_product(
    name: String,
    slug: String,
    #[server(default)] description: String,
    price: String,
    weight_grams: String,
    stock: String,
    #[server(default)] active: Option<String>,
) -> Result<i64, AppError> {
    use crate::domain::product::ProductForm;
    let state = crate::server::admin::require_admin().await?;
    let form = ProductForm {
        name,
        slug,
        description,
        price,
        weight_grams,
        stock,
        active: active.is_some(),
    };
    let id = crate::server::admin::create_product(&state, &form).await?;
    leptos_axum::redirect(&format!("/admin/products/{id}"));
    Ok(id)
}

/// Changes the product's fields (not its stock: see [`adjust_stock`]).
#[server(endpoint = "admin/product/update")]
pub async fn update_product(
    id: i64,
    name: String,
    slug: String,
    #[server(default)] description: String,
    price: String,
    weight_grams: String,
    #[server(default)] active: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::product::ProductForm;
    let state = crate::server::admin::require_admin().await?;
    let form = ProductForm {
        name,
        slug,
        description,
        price,
        weight_grams,
        stock: String::new(),
        active: active.is_some(),
    };
    crate::server::admin::update_product(&state, id, &form).await?;
    Ok("Saved.".into())
}

/// Adds `delta` (`+5`, `-3`) to the stock, for `reason`; never below zero.
#[server(endpoint = "admin/product/stock")]
pub async fn adjust_stock(id: i64, delta: String, reason: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    let after = crate::server::admin::adjust_stock(&state, id, &delta, &reason).await?;
    Ok(format!("Stock adjusted: {after} now on sale."))
}
