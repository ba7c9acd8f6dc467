//! The merchant's delivery and pricing settings: shipping zones, their countries and rates, tax
//! rates, discount codes (the admin's Shipping, Taxes and Discounts pages). Each write is one
//! transaction that checks what it depends on (the zone exists, the name or code is free, no
//! country is in another zone) before it changes anything, so a refused form changes nothing.

use crate::domain::pricing::{DiscountKind, RateKind};
use crate::domain::settings::{
    discount_kind_name, rate_kind_name, DiscountSetting, DiscountView, RateSetting, RateView,
    TaxRateView, TaxSetting, ZoneView,
};
use sqlx::{AnyConnection, AnyPool};

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingSaved {
    /// Written; the row's id.
    Done(i64),
    /// The row (or the zone it belongs to) does not exist.
    NotFound,
    /// Another row already has this name, code, or country and region.
    Duplicate,
    /// A country is in another zone already (that zone's name).
    CountryTaken { country: String, zone: String },
}

// Shipping zones.

#[derive(sqlx::FromRow)]
struct RateRow {
    id: i64,
    zone_id: i64,
    name: String,
    kind: String,
    amount_minor: i64,
    free_over_minor: Option<i64>,
    per_kg_minor: Option<i64>,
    #[sqlx(try_from = "super::Flag")]
    active: bool,
}

impl RateRow {
    fn view(self) -> Result<RateView, sqlx::Error> {
        let kind = super::pricing::rate_kind(
            &self.kind,
            self.amount_minor,
            self.free_over_minor,
            self.per_kg_minor,
        )
        .ok_or_else(|| {
            sqlx::Error::Decode(
                format!(
                    "shipping rate {} has an unknown kind {}",
                    self.id, self.kind
                )
                .into(),
            )
        })?;
        Ok(RateView {
            id: self.id,
            zone_id: self.zone_id,
            name: self.name,
            kind,
            active: self.active,
        })
    }
}

/// Every zone (by name) with its countries (sorted) and rates (in the order they were made).
pub async fn shipping_zones(pool: &AnyPool) -> Result<Vec<ZoneView>, sqlx::Error> {
    let zones: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM shipping_zones ORDER BY name COLLATE NOCASE, id")
            .fetch_all(pool)
            .await?;
    let countries: Vec<(String, i64)> =
        sqlx::query_as("SELECT country, zone_id FROM shipping_zone_countries ORDER BY country")
            .fetch_all(pool)
            .await?;
    let rates: Vec<RateRow> = sqlx::query_as(
        "SELECT id, zone_id, name, kind, amount_minor, free_over_minor, per_kg_minor, active
         FROM shipping_rates ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let rates = rates
        .into_iter()
        .map(RateRow::view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(zones
        .into_iter()
        .map(|(id, name)| ZoneView {
            id,
            name,
            countries: countries
                .iter()
                .filter(|(_, zone)| *zone == id)
                .map(|(country, _)| country.clone())
                .collect(),
            rates: rates.iter().filter(|r| r.zone_id == id).cloned().collect(),
        })
        .collect())
}

async fn zone_exists(tx: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM shipping_zones WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            > 0,
    )
}

async fn zone_name_taken(
    tx: &mut AnyConnection,
    name: &str,
    except: Option<i64>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM shipping_zones WHERE name = $1 COLLATE NOCASE AND id IS DISTINCT FROM $2",
    )
    .bind(name)
    .bind(except)
    .fetch_one(&mut *tx)
    .await?
        > 0)
}

/// A new zone (no countries, no rates yet); names are unique, whatever their case.
pub async fn create_zone(pool: &AnyPool, name: &str) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if zone_name_taken(&mut tx, name, None).await? {
        return Ok(SettingSaved::Duplicate);
    }
    let id = sqlx::query_scalar("INSERT INTO shipping_zones (name) VALUES ($1) RETURNING id")
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

pub async fn rename_zone(pool: &AnyPool, id: i64, name: &str) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if !zone_exists(&mut tx, id).await? {
        return Ok(SettingSaved::NotFound);
    }
    if zone_name_taken(&mut tx, name, Some(id)).await? {
        return Ok(SettingSaved::Duplicate);
    }
    sqlx::query("UPDATE shipping_zones SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

/// Deletes the zone with its countries and rates (orders keep the prices they were made with).
pub async fn delete_zone(pool: &AnyPool, id: i64) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if !zone_exists(&mut tx, id).await? {
        return Ok(SettingSaved::NotFound);
    }
    // Said here rather than left to ON DELETE CASCADE, which needs foreign keys switched on.
    for sql in [
        "DELETE FROM shipping_rates WHERE zone_id = $1",
        "DELETE FROM shipping_zone_countries WHERE zone_id = $1",
        "DELETE FROM shipping_zones WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

/// Makes `countries` the zone's list (replacing the old one). Refused, changing nothing, when
/// one of them is in another zone.
pub async fn set_zone_countries(
    pool: &AnyPool,
    id: i64,
    countries: &[String],
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if !zone_exists(&mut tx, id).await? {
        return Ok(SettingSaved::NotFound);
    }
    for country in countries {
        let other: Option<String> = sqlx::query_scalar(
            "SELECT z.name FROM shipping_zone_countries c JOIN shipping_zones z ON z.id = c.zone_id
             WHERE c.country = $1 AND c.zone_id <> $2",
        )
        .bind(country)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(zone) = other {
            return Ok(SettingSaved::CountryTaken {
                country: country.clone(),
                zone,
            });
        }
    }
    sqlx::query("DELETE FROM shipping_zone_countries WHERE zone_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for country in countries {
        sqlx::query("INSERT INTO shipping_zone_countries (country, zone_id) VALUES ($1, $2)")
            .bind(country)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

fn rate_columns(kind: &RateKind) -> (i64, Option<i64>, Option<i64>) {
    match *kind {
        RateKind::Flat { amount } => (amount, None, None),
        RateKind::FreeOver { amount, threshold } => (amount, Some(threshold), None),
        RateKind::ByWeight { base, per_kg } => (base, None, Some(per_kg)),
    }
}

/// A new rate in the zone.
pub async fn add_shipping_rate(
    pool: &AnyPool,
    zone_id: i64,
    rate: &RateSetting,
    active: bool,
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    if !zone_exists(&mut tx, zone_id).await? {
        return Ok(SettingSaved::NotFound);
    }
    let (amount, free_over, per_kg) = rate_columns(&rate.kind);
    let id = sqlx::query_scalar(
        "INSERT INTO shipping_rates (zone_id, name, kind, amount_minor, free_over_minor, per_kg_minor, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(zone_id)
    .bind(&rate.name)
    .bind(rate_kind_name(&rate.kind))
    .bind(amount)
    .bind(free_over)
    .bind(per_kg)
    .bind(super::Flag(active))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

/// Changes a rate (its zone stays). Open orders keep the price they were made with.
pub async fn update_shipping_rate(
    pool: &AnyPool,
    id: i64,
    rate: &RateSetting,
    active: bool,
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let (amount, free_over, per_kg) = rate_columns(&rate.kind);
    let changed = sqlx::query(
        "UPDATE shipping_rates SET name = $1, kind = $2, amount_minor = $3, free_over_minor = $4,
                per_kg_minor = $5, active = $6
         WHERE id = $7",
    )
    .bind(&rate.name)
    .bind(rate_kind_name(&rate.kind))
    .bind(amount)
    .bind(free_over)
    .bind(per_kg)
    .bind(super::Flag(active))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(SettingSaved::NotFound);
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

pub async fn delete_shipping_rate(pool: &AnyPool, id: i64) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let deleted = sqlx::query("DELETE FROM shipping_rates WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Ok(SettingSaved::NotFound);
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

// Tax rates.

/// Every tax rate, by country then region (the whole country first).
pub async fn tax_rates(pool: &AnyPool) -> Result<Vec<TaxRateView>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64, super::Flag)> = sqlx::query_as(
        "SELECT id, country, region, name, rate_bp, applies_to_shipping FROM tax_rates
         ORDER BY country, region",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, country, region, name, rate_bp, applies_to_shipping)| TaxRateView {
                id,
                country,
                region,
                name,
                rate_bp,
                applies_to_shipping: applies_to_shipping.0,
            },
        )
        .collect())
}

/// Adds a tax rate (`id` None) or changes one. One rate per country and region.
pub async fn save_tax_rate(
    pool: &AnyPool,
    id: Option<i64>,
    tax: &TaxSetting,
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tax_rates WHERE country = $1 AND region = $2 AND id IS DISTINCT FROM $3",
    )
    .bind(&tax.country)
    .bind(&tax.region)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Ok(SettingSaved::Duplicate);
    }
    let saved = match id {
        None => sqlx::query_scalar(
            "INSERT INTO tax_rates (country, region, name, rate_bp, applies_to_shipping)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&tax.country)
        .bind(&tax.region)
        .bind(&tax.name)
        .bind(tax.rate_bp)
        .bind(super::Flag(tax.applies_to_shipping))
        .fetch_one(&mut *tx)
        .await
        .map(Some)?,
        Some(id) => {
            sqlx::query_scalar(
                "UPDATE tax_rates SET country = $1, region = $2, name = $3, rate_bp = $4,
                    applies_to_shipping = $5
             WHERE id = $6 RETURNING id",
            )
            .bind(&tax.country)
            .bind(&tax.region)
            .bind(&tax.name)
            .bind(tax.rate_bp)
            .bind(super::Flag(tax.applies_to_shipping))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    let Some(saved) = saved else {
        return Ok(SettingSaved::NotFound);
    };
    tx.commit().await?;
    Ok(SettingSaved::Done(saved))
}

pub async fn delete_tax_rate(pool: &AnyPool, id: i64) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let deleted = sqlx::query("DELETE FROM tax_rates WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Ok(SettingSaved::NotFound);
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}

// Discount codes.

#[derive(sqlx::FromRow)]
struct DiscountRow {
    id: i64,
    code: String,
    kind: String,
    percent_bp: Option<i64>,
    amount_minor: Option<i64>,
    min_subtotal_minor: i64,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    max_redemptions: Option<i64>,
    per_email_limit: Option<i64>,
    #[sqlx(try_from = "super::Flag")]
    active: bool,
    held: i64,
    taken: i64,
}

/// Every code, newest first, with its redemptions held (open orders) and taken (paid).
pub async fn discount_codes(pool: &AnyPool) -> Result<Vec<DiscountView>, sqlx::Error> {
    let rows: Vec<DiscountRow> = sqlx::query_as(
        "SELECT d.id, d.code, d.kind, d.percent_bp, d.amount_minor, d.min_subtotal_minor,
                d.starts_at, d.ends_at, d.max_redemptions, d.per_email_limit, d.active,
                (SELECT count(*) FROM discount_redemptions r
                  WHERE r.code_id = d.id AND r.state = 'held') AS held,
                (SELECT count(*) FROM discount_redemptions r
                  WHERE r.code_id = d.id AND r.state = 'taken') AS taken
         FROM discount_codes d ORDER BY d.id DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let kind = match (row.kind.as_str(), row.percent_bp, row.amount_minor) {
                ("percent", Some(bp), _) => DiscountKind::Percent { bp },
                ("fixed", _, Some(amount)) => DiscountKind::Fixed { amount },
                (other, _, _) => {
                    return Err(sqlx::Error::Decode(
                        format!("discount code {} has an unknown kind {other}", row.id).into(),
                    ))
                }
            };
            Ok(DiscountView {
                id: row.id,
                code: row.code,
                kind,
                min_subtotal: row.min_subtotal_minor,
                starts_at: row.starts_at,
                ends_at: row.ends_at,
                max_redemptions: row.max_redemptions,
                per_email_limit: row.per_email_limit,
                active: row.active,
                held: row.held,
                taken: row.taken,
            })
        })
        .collect()
}

/// Adds a code (`id` None) or changes one. Codes are unique.
pub async fn save_discount_code(
    pool: &AnyPool,
    id: Option<i64>,
    discount: &DiscountSetting,
    active: bool,
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM discount_codes WHERE code = $1 AND id IS DISTINCT FROM $2",
    )
    .bind(&discount.code)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Ok(SettingSaved::Duplicate);
    }
    let (percent_bp, amount_minor) = match discount.kind {
        DiscountKind::Percent { bp } => (Some(bp), None),
        DiscountKind::Fixed { amount } => (None, Some(amount)),
    };
    let saved: Option<i64> = match id {
        None => Some(
            sqlx::query_scalar(
                "INSERT INTO discount_codes (code, kind, percent_bp, amount_minor,
                        min_subtotal_minor, starts_at, ends_at, max_redemptions, per_email_limit,
                        active)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(&discount.code)
            .bind(discount_kind_name(&discount.kind))
            .bind(percent_bp)
            .bind(amount_minor)
            .bind(discount.min_subtotal)
            .bind(discount.starts_at)
            .bind(discount.ends_at)
            .bind(discount.max_redemptions)
            .bind(discount.per_email_limit)
            .bind(super::Flag(active))
            .fetch_one(&mut *tx)
            .await?,
        ),
        Some(id) => sqlx::query_scalar(
            "UPDATE discount_codes SET code = $1, kind = $2, percent_bp = $3, amount_minor = $4,
                        min_subtotal_minor = $5, starts_at = $6, ends_at = $7, max_redemptions = $8,
                        per_email_limit = $9, active = $10
                 WHERE id = $11 RETURNING id",
        )
        .bind(&discount.code)
        .bind(discount_kind_name(&discount.kind))
        .bind(percent_bp)
        .bind(amount_minor)
        .bind(discount.min_subtotal)
        .bind(discount.starts_at)
        .bind(discount.ends_at)
        .bind(discount.max_redemptions)
        .bind(discount.per_email_limit)
        .bind(super::Flag(active))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?,
    };
    let Some(saved) = saved else {
        return Ok(SettingSaved::NotFound);
    };
    tx.commit().await?;
    Ok(SettingSaved::Done(saved))
}

/// Switches a code on or off (a code that was used is never deleted: its redemptions count).
pub async fn set_discount_active(
    pool: &AnyPool,
    id: i64,
    active: bool,
) -> Result<SettingSaved, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let changed = sqlx::query("UPDATE discount_codes SET active = $1 WHERE id = $2")
        .bind(super::Flag(active))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Ok(SettingSaved::NotFound);
    }
    tx.commit().await?;
    Ok(SettingSaved::Done(id))
}
