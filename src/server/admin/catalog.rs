//! The merchant's catalog: products listed (inactive ones too), added and edited, and their
//! stock adjusted with a reason. Every form is checked whole ([`crate::domain::product`])
//! before anything is written; a refusal changes nothing.

use super::guard::client_address;
use crate::domain::product::{
    validate, validate_adjustment, AdminProduct, AdminProductDetail, ProductError, ProductForm,
    MAX_STOCK,
};
use crate::error::AppError;
use crate::server::db::{self, Adjusted, CatalogRefusal};
use crate::server::AppState;

/// How many stock adjustments the product's page shows.
const HISTORY: i64 = 100;

fn refused(e: ProductError) -> AppError {
    AppError::CatalogRefused(e.to_string())
}

/// Who made a change, as the history shows it: the merchant (one password), from where.
fn actor(state: &AppState) -> String {
    format!(
        "merchant ({})",
        client_address(&state.config.trusted_proxies)
    )
}

pub async fn products(state: &AppState) -> Result<Vec<AdminProduct>, AppError> {
    Ok(db::admin_products(&state.pool).await?)
}

pub async fn product(state: &AppState, id: i64) -> Result<Option<AdminProductDetail>, AppError> {
    let Some(product) = db::admin_product(&state.pool, id).await? else {
        return Ok(None);
    };
    let history = db::stock_history(&state.pool, id, HISTORY).await?;
    Ok(Some(AdminProductDetail {
        product,
        history,
        currency: state.config.currency.clone(),
    }))
}

/// Adds a product (in the shop's currency); returns its id.
pub async fn create_product(state: &AppState, form: &ProductForm) -> Result<i64, AppError> {
    let fields = validate(form, &state.config.currency).map_err(refused)?;
    match db::insert_product(&state.pool, &fields, &actor(state)).await? {
        Ok(id) => {
            tracing::info!(product = id, slug = %fields.slug, "product added");
            Ok(id)
        }
        Err(CatalogRefusal::SlugTaken) => Err(refused(ProductError::SlugTaken(fields.slug))),
        Err(CatalogRefusal::NotFound) => Err(AppError::ProductNotFound),
    }
}

/// Changes a product's name, slug, description, price, weight and whether it is on sale. The
/// stock is not among them: it changes by [`adjust_stock`] only, which cannot lose what a
/// checkout took meanwhile.
pub async fn update_product(state: &AppState, id: i64, form: &ProductForm) -> Result<(), AppError> {
    let form = ProductForm {
        stock: "0".into(),
        ..form.clone()
    };
    let fields = validate(&form, &state.config.currency).map_err(refused)?;
    match db::update_product(&state.pool, id, &fields).await? {
        Ok(()) => {
            tracing::info!(product = id, "product changed");
            Ok(())
        }
        Err(CatalogRefusal::SlugTaken) => Err(refused(ProductError::SlugTaken(fields.slug))),
        Err(CatalogRefusal::NotFound) => Err(AppError::ProductNotFound),
    }
}

/// Adds `delta` (as typed: `+5`, `-3`) to the stock with a reason; the stock never goes below
/// zero. Returns the stock after it.
pub async fn adjust_stock(
    state: &AppState,
    id: i64,
    delta: &str,
    reason: &str,
) -> Result<i64, AppError> {
    let (delta, reason) = validate_adjustment(delta, reason).map_err(refused)?;
    match db::adjust_stock(&state.pool, id, delta, MAX_STOCK, &reason, &actor(state)).await? {
        Adjusted::Done { stock_after } => {
            tracing::info!(product = id, delta, stock_after, "stock adjusted");
            Ok(stock_after)
        }
        Adjusted::WouldGoNegative { available } => {
            Err(refused(ProductError::WouldGoNegative { available }))
        }
        Adjusted::WouldExceed { .. } => Err(refused(ProductError::StockTooHigh)),
        Adjusted::NotFound => Err(AppError::ProductNotFound),
    }
}
