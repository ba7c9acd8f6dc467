//! The admin's Shipping, Taxes and Discounts pages: each form is parsed in full
//! ([`crate::domain::settings`]) before anything is written, and each write is one transaction
//! that refuses a collision (a name, a code, a country in another zone) without changing
//! anything. Every function answers with the sentence the page shows.

use crate::domain::money::Money;
use crate::domain::settings::{
    self, percent_text, DiscountInput, DiscountSettings, RateInput, SettingsError,
    ShippingSettings, TaxInput, TaxSettings,
};
use crate::error::AppError;
use crate::server::db::{self, SettingSaved};
use crate::server::AppState;

fn invalid(e: SettingsError) -> AppError {
    AppError::InvalidSetting(e.to_string())
}

/// A row id from a form's hidden field.
fn parse_id(text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            AppError::InvalidSetting("This form is out of date: reload the page.".into())
        })
}

/// What a write's outcome means for the merchant; `what` names the row ("That zone").
fn outcome(saved: SettingSaved, what: &str, duplicate: String) -> Result<i64, AppError> {
    match saved {
        SettingSaved::Done(id) => Ok(id),
        SettingSaved::NotFound => Err(AppError::SettingConflict(format!(
            "{what} no longer exists: reload the page."
        ))),
        SettingSaved::Duplicate => Err(AppError::SettingConflict(duplicate)),
        SettingSaved::CountryTaken { country, zone } => Err(AppError::SettingConflict(format!(
            "{country} is already in the zone “{zone}”: remove it there first (a country ships from one zone)."
        ))),
    }
}

// Shipping.

pub async fn shipping(state: &AppState) -> Result<ShippingSettings, AppError> {
    Ok(ShippingSettings {
        currency: state.config.currency.clone(),
        zones: db::shipping_zones(&state.pool).await?,
    })
}

fn zone_taken(name: &str) -> String {
    format!("There is already a zone called “{name}”.")
}

pub async fn create_zone(state: &AppState, name: &str) -> Result<String, AppError> {
    let name = settings::parse_name(name, "Zone name").map_err(invalid)?;
    let saved = db::create_zone(&state.pool, &name).await?;
    outcome(saved, "That zone", zone_taken(&name))?;
    Ok(format!(
        "Zone “{name}” created: add its countries and rates."
    ))
}

pub async fn rename_zone(state: &AppState, id: &str, name: &str) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let name = settings::parse_name(name, "Zone name").map_err(invalid)?;
    let saved = db::rename_zone(&state.pool, id, &name).await?;
    outcome(saved, "That zone", zone_taken(&name))?;
    Ok(format!("Zone renamed “{name}”."))
}

pub async fn delete_zone(state: &AppState, id: &str) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let saved = db::delete_zone(&state.pool, id).await?;
    outcome(saved, "That zone", String::new())?;
    Ok("Zone deleted, with its countries and rates.".into())
}

pub async fn set_zone_countries(
    state: &AppState,
    id: &str,
    countries: &str,
) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let countries = settings::parse_countries(countries).map_err(invalid)?;
    let saved = db::set_zone_countries(&state.pool, id, &countries).await?;
    outcome(saved, "That zone", String::new())?;
    Ok(if countries.is_empty() {
        "The zone has no countries now: it ships nowhere.".into()
    } else {
        format!("The zone ships to {}.", countries.join(", "))
    })
}

pub async fn add_rate(
    state: &AppState,
    zone_id: &str,
    input: &RateInput<'_>,
    active: bool,
) -> Result<String, AppError> {
    let zone_id = parse_id(zone_id)?;
    let rate = settings::parse_rate(input, &state.config.currency).map_err(invalid)?;
    let saved = db::add_shipping_rate(&state.pool, zone_id, &rate, active).await?;
    outcome(saved, "That zone", String::new())?;
    Ok(format!("Rate “{}” added.", rate.name))
}

pub async fn update_rate(
    state: &AppState,
    id: &str,
    input: &RateInput<'_>,
    active: bool,
) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let rate = settings::parse_rate(input, &state.config.currency).map_err(invalid)?;
    let saved = db::update_shipping_rate(&state.pool, id, &rate, active).await?;
    outcome(saved, "That rate", String::new())?;
    Ok(format!(
        "Rate “{}” saved{}.",
        rate.name,
        if active {
            ""
        } else {
            " (inactive: not offered at checkout)"
        }
    ))
}

pub async fn delete_rate(state: &AppState, id: &str) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let saved = db::delete_shipping_rate(&state.pool, id).await?;
    outcome(saved, "That rate", String::new())?;
    Ok("Rate deleted.".into())
}

// Taxes.

pub async fn taxes(state: &AppState) -> Result<TaxSettings, AppError> {
    Ok(TaxSettings {
        tax_mode: state.config.tax_mode,
        rates: db::tax_rates(&state.pool).await?,
    })
}

/// Adds a tax rate (`id` None) or changes one.
pub async fn save_tax(
    state: &AppState,
    id: Option<&str>,
    input: &TaxInput<'_>,
) -> Result<String, AppError> {
    let id = id.map(parse_id).transpose()?;
    let tax = settings::parse_tax(input).map_err(invalid)?;
    let place = if tax.region.is_empty() {
        tax.country.clone()
    } else {
        format!("{} {}", tax.country, tax.region)
    };
    let saved = db::save_tax_rate(&state.pool, id, &tax).await?;
    let duplicate = if tax.region.is_empty() {
        format!("{place} has a tax rate already: edit that one (or give this one a region).")
    } else {
        format!("{place} has a tax rate already: edit that one.")
    };
    outcome(saved, "That tax rate", duplicate)?;
    Ok(format!(
        "{} {}% for {place} saved.",
        tax.name,
        percent_text(tax.rate_bp)
    ))
}

pub async fn delete_tax(state: &AppState, id: &str) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let saved = db::delete_tax_rate(&state.pool, id).await?;
    outcome(saved, "That tax rate", String::new())?;
    Ok("Tax rate deleted.".into())
}

// Discount codes.

pub async fn discounts(state: &AppState) -> Result<DiscountSettings, AppError> {
    Ok(DiscountSettings {
        currency: state.config.currency.clone(),
        codes: db::discount_codes(&state.pool).await?,
    })
}

/// Adds a code (`id` None) or changes one.
pub async fn save_discount(
    state: &AppState,
    id: Option<&str>,
    input: &DiscountInput<'_>,
    active: bool,
) -> Result<String, AppError> {
    let id = id.map(parse_id).transpose()?;
    let discount = settings::parse_discount(input, &state.config.currency).map_err(invalid)?;
    let saved = db::save_discount_code(&state.pool, id, &discount, active).await?;
    outcome(
        saved,
        "That code",
        format!("There is already a code “{}”.", discount.code),
    )?;
    let minimum = if discount.min_subtotal > 0 {
        format!(
            " on orders from {}",
            Money::new(discount.min_subtotal, state.config.currency.clone())
        )
    } else {
        String::new()
    };
    Ok(format!(
        "Code {} saved{minimum}{}.",
        discount.code,
        if active { "" } else { " (inactive)" }
    ))
}

pub async fn set_discount_active(
    state: &AppState,
    id: &str,
    active: bool,
) -> Result<String, AppError> {
    let id = parse_id(id)?;
    let saved = db::set_discount_active(&state.pool, id, active).await?;
    outcome(saved, "That code", String::new())?;
    Ok(if active {
        "Code switched on.".into()
    } else {
        "Code switched off: shoppers can no longer use it.".into()
    })
}
