//! What checkout reads of the merchant's settings (shipping rates, tax rates, discount codes)
//! and the discount redemptions it holds with an order.

use crate::domain::pricing::{
    Discount, DiscountError, DiscountKind, RateKind, ShippingRate, TaxRate,
};
use sqlx::{AnyConnection, AnyPool};

#[derive(sqlx::FromRow)]
struct RateRow {
    id: i64,
    name: String,
    kind: String,
    amount_minor: i64,
    free_over_minor: Option<i64>,
    per_kg_minor: Option<i64>,
}

/// A rate's columns as its kind: `None` for a kind this code does not know (the table's checks
/// make the other columns agree with the kind).
pub(super) fn rate_kind(
    kind: &str,
    amount_minor: i64,
    free_over_minor: Option<i64>,
    per_kg_minor: Option<i64>,
) -> Option<RateKind> {
    Some(match (kind, free_over_minor, per_kg_minor) {
        ("flat", _, _) => RateKind::Flat {
            amount: amount_minor,
        },
        ("free_over", Some(threshold), _) => RateKind::FreeOver {
            amount: amount_minor,
            threshold,
        },
        ("by_weight", _, Some(per_kg)) => RateKind::ByWeight {
            base: amount_minor,
            per_kg,
        },
        _ => return None,
    })
}

impl RateRow {
    fn rate(self) -> Option<ShippingRate> {
        let kind = rate_kind(
            &self.kind,
            self.amount_minor,
            self.free_over_minor,
            self.per_kg_minor,
        )?;
        Some(ShippingRate {
            id: self.id,
            name: self.name,
            kind,
        })
    }
}

/// The active rates of the zone that lists `country` (none: the shop does not ship there).
pub async fn shipping_rates_for(
    pool: &AnyPool,
    country: &str,
) -> Result<Vec<ShippingRate>, sqlx::Error> {
    let rows: Vec<RateRow> = sqlx::query_as(
        "SELECT r.id, r.name, r.kind, r.amount_minor, r.free_over_minor, r.per_kg_minor
           FROM shipping_rates r JOIN shipping_zone_countries c ON c.zone_id = r.zone_id
          WHERE c.country = $1 AND r.active = 1 ORDER BY r.id",
    )
    .bind(country)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(RateRow::rate).collect())
}

/// Every country a zone lists.
pub async fn shipping_countries(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT country FROM shipping_zone_countries ORDER BY country")
        .fetch_all(pool)
        .await
}

/// The tax rate of the address: its region's if there is one, else its country's.
pub async fn tax_rate_for(
    pool: &AnyPool,
    country: &str,
    region: &str,
) -> Result<Option<TaxRate>, sqlx::Error> {
    let row: Option<(String, i64, super::Flag)> = sqlx::query_as(
        "SELECT name, rate_bp, applies_to_shipping FROM tax_rates
          WHERE country = $1 AND region IN ($2, '') ORDER BY region DESC LIMIT 1",
    )
    .bind(country)
    .bind(region)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(name, rate_bp, applies_to_shipping)| TaxRate {
        name,
        rate_bp,
        applies_to_shipping: applies_to_shipping.0,
    }))
}

/// A discount code and its limits.
#[derive(Clone, Debug)]
pub struct DiscountCode {
    pub id: i64,
    pub discount: Discount,
    pub max_redemptions: Option<i64>,
    pub per_email_limit: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
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
}

/// The active code `code` (upper-cased by the caller), if it exists.
pub async fn discount_code(
    pool: &AnyPool,
    code: &str,
) -> Result<Option<DiscountCode>, sqlx::Error> {
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT id, code, kind, percent_bp, amount_minor, min_subtotal_minor, starts_at, ends_at,
                max_redemptions, per_email_limit
           FROM discount_codes WHERE code = $1 AND active = 1",
    )
    .bind(code)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| {
        let kind = match (r.kind.as_str(), r.percent_bp, r.amount_minor) {
            ("percent", Some(bp), _) => DiscountKind::Percent { bp },
            ("fixed", _, Some(amount)) => DiscountKind::Fixed { amount },
            _ => return None,
        };
        Some(DiscountCode {
            id: r.id,
            discount: Discount {
                code: r.code,
                kind,
                min_subtotal: r.min_subtotal_minor,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
            },
            max_redemptions: r.max_redemptions,
            per_email_limit: r.per_email_limit,
        })
    }))
}

/// Holds the order's redemption of `code` (or lets its earlier one go), inside the caller's
/// write transaction, so the limits are counted with nobody else writing: the last redemption
/// of a limited code goes to one order only. Redemptions held by open orders and taken by paid
/// ones count; this order's own does not count against it.
pub(super) async fn hold_redemption(
    conn: &mut AnyConnection,
    order_id: &str,
    email: &str,
    code: Option<&DiscountCode>,
) -> Result<Result<(), DiscountError>, sqlx::Error> {
    sqlx::query("DELETE FROM discount_redemptions WHERE order_id = $1 AND state = 'held'")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    let Some(code) = code else {
        return Ok(Ok(()));
    };
    let email = email.to_lowercase();
    if let Some(max) = code.max_redemptions {
        let used: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM discount_redemptions
              WHERE code_id = $1 AND state IN ('held', 'taken') AND order_id <> $2",
        )
        .bind(code.id)
        .bind(order_id)
        .fetch_one(&mut *conn)
        .await?;
        if used >= max {
            return Ok(Err(DiscountError::UsedUp(code.discount.code.clone())));
        }
    }
    if let Some(limit) = code.per_email_limit {
        let used: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM discount_redemptions
              WHERE code_id = $1 AND email = $2 AND state IN ('held', 'taken') AND order_id <> $3",
        )
        .bind(code.id)
        .bind(&email)
        .bind(order_id)
        .fetch_one(&mut *conn)
        .await?;
        if used >= limit {
            return Ok(Err(DiscountError::UsedByYou(code.discount.code.clone())));
        }
    }
    sqlx::query(
        "INSERT INTO discount_redemptions (order_id, code_id, email, state) VALUES ($1, $2, $3, 'held')
         ON CONFLICT (order_id) DO UPDATE SET code_id = excluded.code_id, email = excluded.email,
                state = 'held', at = unixepoch()",
    )
    .bind(order_id)
    .bind(code.id)
    .bind(&email)
    .execute(&mut *conn)
    .await?;
    Ok(Ok(()))
}

/// The order's redemption goes with its hold: given back when the order is canceled or expires.
pub(super) async fn release_redemption(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE discount_redemptions SET state = 'released' WHERE order_id = $1 AND state = 'held'",
    )
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A paid order's redemption is taken for good (also one released before a late payment).
pub(super) async fn take_redemption(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE discount_redemptions SET state = 'taken' WHERE order_id = $1")
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many redemptions of the code are held or taken (the fault matrix's invariant).
pub async fn redemptions_counted(pool: &AnyPool, code: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM discount_redemptions r JOIN discount_codes c ON c.id = r.code_id
          WHERE c.code = $1 AND r.state IN ('held', 'taken')",
    )
    .bind(code)
    .fetch_one(pool)
    .await
}
