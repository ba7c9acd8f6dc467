//! The merchant's delivery and pricing settings: shipping zones and rates, tax rates, discount
//! codes. Each function checks the session itself; every field arrives as the text typed (a
//! plain form post before hydration sends the same) and is parsed on the server, so a bad
//! value gets a sentence, never a deserialisation error. Each write answers with what the page
//! shows.

// A form's fields are a server function's arguments (the code form has ten).
#![allow(clippy::too_many_arguments)]

use crate::domain::settings::{DiscountSettings, ShippingSettings, TaxSettings};
use crate::error::AppError;
use leptos::prelude::*;

/// Whether a checkbox was ticked: a browser sends `on` (or the input's value) only then.
#[cfg(feature = "ssr")]
fn ticked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !matches!(v.trim(), "" | "off" | "false" | "0"))
}

#[server(endpoint = "admin/shipping")]
pub async fn get_shipping_settings() -> Result<ShippingSettings, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::shipping(&state).await
}

#[server(endpoint = "admin/shipping/zone/create")]
pub async fn create_shipping_zone(name: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::create_zone(&state, &name).await
}

#[server(endpoint = "admin/shipping/zone/rename")]
pub async fn rename_shipping_zone(id: String, name: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::rename_zone(&state, &id, &name).await
}

#[server(endpoint = "admin/shipping/zone/delete")]
pub async fn delete_shipping_zone(id: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::delete_zone(&state, &id).await
}

/// `countries`: ISO codes separated by commas or spaces; they replace the zone's list.
#[server(endpoint = "admin/shipping/zone/countries")]
pub async fn set_shipping_zone_countries(
    id: String,
    #[server(default)] countries: String,
) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::set_zone_countries(&state, &id, &countries).await
}

/// `kind`: `flat`, `free_over` or `by_weight`; amounts in major units (`5.95`).
#[server(endpoint = "admin/shipping/rate/add")]
pub async fn add_shipping_rate(
    zone_id: String,
    name: String,
    kind: String,
    #[server(default)] amount: String,
    #[server(default)] free_over: String,
    #[server(default)] per_kg: String,
    #[server(default)] active: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::RateInput;
    let state = crate::server::admin::require_admin().await?;
    let input = RateInput {
        name: &name,
        kind: &kind,
        amount: &amount,
        free_over: &free_over,
        per_kg: &per_kg,
    };
    crate::server::admin::settings::add_rate(&state, &zone_id, &input, ticked(&active)).await
}

/// Changes a rate; an unticked `active` switches it off (kept, not offered at checkout).
#[server(endpoint = "admin/shipping/rate/update")]
pub async fn update_shipping_rate(
    id: String,
    name: String,
    kind: String,
    #[server(default)] amount: String,
    #[server(default)] free_over: String,
    #[server(default)] per_kg: String,
    #[server(default)] active: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::RateInput;
    let state = crate::server::admin::require_admin().await?;
    let input = RateInput {
        name: &name,
        kind: &kind,
        amount: &amount,
        free_over: &free_over,
        per_kg: &per_kg,
    };
    crate::server::admin::settings::update_rate(&state, &id, &input, ticked(&active)).await
}

#[server(endpoint = "admin/shipping/rate/delete")]
pub async fn delete_shipping_rate(id: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::delete_rate(&state, &id).await
}

#[server(endpoint = "admin/taxes")]
pub async fn get_tax_settings() -> Result<TaxSettings, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::taxes(&state).await
}

/// `rate`: a percentage as typed (`19`, `8.25`); `region` empty for the whole country.
#[server(endpoint = "admin/taxes/add")]
pub async fn add_tax_rate(
    country: String,
    #[server(default)] region: String,
    name: String,
    rate: String,
    #[server(default)] applies_to_shipping: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::TaxInput;
    let state = crate::server::admin::require_admin().await?;
    let input = TaxInput {
        country: &country,
        region: &region,
        name: &name,
        rate: &rate,
        applies_to_shipping: ticked(&applies_to_shipping),
    };
    crate::server::admin::settings::save_tax(&state, None, &input).await
}

#[server(endpoint = "admin/taxes/update")]
pub async fn update_tax_rate(
    id: String,
    country: String,
    #[server(default)] region: String,
    name: String,
    rate: String,
    #[server(default)] applies_to_shipping: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::TaxInput;
    let state = crate::server::admin::require_admin().await?;
    let input = TaxInput {
        country: &country,
        region: &region,
        name: &name,
        rate: &rate,
        applies_to_shipping: ticked(&applies_to_shipping),
    };
    crate::server::admin::settings::save_tax(&state, Some(&id), &input).await
}

#[server(endpoint = "admin/taxes/delete")]
pub async fn delete_tax_rate(id: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::delete_tax(&state, &id).await
}

#[server(endpoint = "admin/discounts")]
pub async fn get_discount_settings() -> Result<DiscountSettings, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::discounts(&state).await
}

/// `kind`: `percent` (with `percent`, `10` or `12.5`) or `fixed` (with `amount`, `5.00`).
/// Dates `YYYY-MM-DD` in UTC (the end date is the first day it no longer works); limits are
/// whole numbers, empty for none.
#[server(endpoint = "admin/discounts/add")]
pub async fn add_discount_code(
    code: String,
    kind: String,
    #[server(default)] percent: String,
    #[server(default)] amount: String,
    #[server(default)] min_subtotal: String,
    #[server(default)] starts: String,
    #[server(default)] ends: String,
    #[server(default)] max_redemptions: String,
    #[server(default)] per_email_limit: String,
    #[server(default)] active: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::DiscountInput;
    let state = crate::server::admin::require_admin().await?;
    let input = DiscountInput {
        code: &code,
        kind: &kind,
        percent: &percent,
        amount: &amount,
        min_subtotal: &min_subtotal,
        starts: &starts,
        ends: &ends,
        max_redemptions: &max_redemptions,
        per_email_limit: &per_email_limit,
    };
    crate::server::admin::settings::save_discount(&state, None, &input, ticked(&active)).await
}

#[server(endpoint = "admin/discounts/update")]
pub async fn update_discount_code(
    id: String,
    code: String,
    kind: String,
    #[server(default)] percent: String,
    #[server(default)] amount: String,
    #[server(default)] min_subtotal: String,
    #[server(default)] starts: String,
    #[server(default)] ends: String,
    #[server(default)] max_redemptions: String,
    #[server(default)] per_email_limit: String,
    #[server(default)] active: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::settings::DiscountInput;
    let state = crate::server::admin::require_admin().await?;
    let input = DiscountInput {
        code: &code,
        kind: &kind,
        percent: &percent,
        amount: &amount,
        min_subtotal: &min_subtotal,
        starts: &starts,
        ends: &ends,
        max_redemptions: &max_redemptions,
        per_email_limit: &per_email_limit,
    };
    crate::server::admin::settings::save_discount(&state, Some(&id), &input, ticked(&active)).await
}

/// Switches a code on (`active=on`) or off (`active=off`).
#[server(endpoint = "admin/discounts/active")]
pub async fn set_discount_code_active(id: String, active: String) -> Result<String, AppError> {
    let state = crate::server::admin::require_admin().await?;
    crate::server::admin::settings::set_discount_active(&state, &id, ticked(&Some(active))).await
}
