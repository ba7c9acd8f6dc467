//! The merchant's catalog: products (inactive ones included), their uploaded images, and stock
//! adjustments with their history. Every write that changes the stock is one guarded statement
//! in the same `BEGIN IMMEDIATE` transaction as its history row.

use crate::domain::money::{Currency, Money};
use crate::domain::product::{
    upload_url, AdminProduct, ImageKind, ProductFields, StockAdjustment, NO_IMAGE,
};
use sqlx::{AnyExecutor, AnyPool};

#[derive(sqlx::FromRow)]
struct AdminProductRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: Currency,
    weight_grams: i64,
    stock: i64,
    #[sqlx(try_from = "super::Flag")]
    active: bool,
    image: String,
}

impl From<AdminProductRow> for AdminProduct {
    fn from(r: AdminProductRow) -> Self {
        AdminProduct {
            price: Money::new(r.price_minor, r.currency),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            weight_grams: r.weight_grams,
            stock: r.stock,
            active: r.active,
            image: r.image,
        }
    }
}

const COLUMNS: &str =
    "id, slug, name, description, price_minor, currency, weight_grams, stock, active, image";

/// Every product, inactive ones included, in the order they were added.
pub async fn admin_products(db: impl AnyExecutor<'_>) -> Result<Vec<AdminProduct>, sqlx::Error> {
    let rows = sqlx::query_as::<_, AdminProductRow>(&format!(
        "SELECT {COLUMNS} FROM products ORDER BY id"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AdminProduct::from).collect())
}

pub async fn admin_product(
    db: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Option<AdminProduct>, sqlx::Error> {
    let row = sqlx::query_as::<_, AdminProductRow>(&format!(
        "SELECT {COLUMNS} FROM products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(AdminProduct::from))
}

/// A write the catalog refused as it stands (nothing was changed).
#[derive(Debug, PartialEq, Eq)]
pub enum CatalogRefusal {
    SlugTaken,
    NotFound,
}

fn is_slug_conflict(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation()
        && (d.message().contains("products.slug") || d.constraint() == Some("products_slug_key")))
}

/// Adds a product; its first stock (when not zero) is the first line of its history.
pub async fn insert_product(
    pool: &AnyPool,
    fields: &ProductFields,
    actor: &str,
) -> Result<Result<i64, CatalogRefusal>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO products (slug, name, description, price_minor, currency, stock, image, weight_grams, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&fields.slug)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(fields.price.minor)
    .bind(&fields.price.currency)
    .bind(fields.stock)
    .bind(NO_IMAGE)
    .bind(fields.weight_grams)
    .bind(super::Flag(fields.active))
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_slug_conflict(&e) => return Ok(Err(CatalogRefusal::SlugTaken)),
        Err(e) => return Err(e),
    };
    if fields.stock != 0 {
        sqlx::query(
            "INSERT INTO stock_adjustments (product_id, delta, stock_after, reason, actor) VALUES ($1, $2, $3, 'Initial stock', $4)",
        )
        .bind(id)
        .bind(fields.stock)
        .bind(fields.stock)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(id))
}

/// Changes a product's fields, except its stock: that changes only by [`adjust_stock`] (and by
/// checkouts), so an edit never overwrites what a checkout took meanwhile.
pub async fn update_product(
    pool: &AnyPool,
    id: i64,
    fields: &ProductFields,
) -> Result<Result<(), CatalogRefusal>, sqlx::Error> {
    let _turn = super::write_turn(pool).await;
    let updated = sqlx::query(
        "UPDATE products SET slug = $1, name = $2, description = $3, price_minor = $4, currency = $5, weight_grams = $6, active = $7
         WHERE id = $8",
    )
    .bind(&fields.slug)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(fields.price.minor)
    .bind(&fields.price.currency)
    .bind(fields.weight_grams)
    .bind(super::Flag(fields.active))
    .bind(id)
    .execute(pool)
    .await;
    match updated {
        Ok(done) if done.rows_affected() == 0 => Ok(Err(CatalogRefusal::NotFound)),
        Ok(_) => Ok(Ok(())),
        Err(e) if is_slug_conflict(&e) => Ok(Err(CatalogRefusal::SlugTaken)),
        Err(e) => Err(e),
    }
}

/// What a stock adjustment came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Adjusted {
    Done {
        stock_after: i64,
    },
    /// It would have taken the stock below zero: nothing changed.
    WouldGoNegative {
        available: i64,
    },
    /// It would have taken the stock above the limit: nothing changed.
    WouldExceed {
        available: i64,
    },
    NotFound,
}

/// Adds `delta` (negative to take away) to the stock, never below zero (nor, adding, above
/// `max`), and records it, in one write transaction: a checkout holding stock at the same
/// moment is either before or after it, and the guard is in the statement itself.
pub async fn adjust_stock(
    pool: &AnyPool,
    id: i64,
    delta: i64,
    max: i64,
    reason: &str,
    actor: &str,
) -> Result<Adjusted, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let stock_after: Option<i64> = sqlx::query_scalar(
        "UPDATE products SET stock = stock + $1
         WHERE id = $2 AND stock + $1 >= 0 AND ($1 < 0 OR stock + $1 <= $3)
         RETURNING stock",
    )
    .bind(delta)
    .bind(id)
    .bind(max)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(stock_after) = stock_after else {
        let available: Option<i64> = sqlx::query_scalar("SELECT stock FROM products WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(match available {
            Some(available) if delta < 0 => Adjusted::WouldGoNegative { available },
            Some(available) => Adjusted::WouldExceed { available },
            None => Adjusted::NotFound,
        });
    };
    sqlx::query(
        "INSERT INTO stock_adjustments (product_id, delta, stock_after, reason, actor) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(delta)
    .bind(stock_after)
    .bind(reason)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Adjusted::Done { stock_after })
}

/// The product's stock adjustments, newest first.
pub async fn stock_history(
    db: impl AnyExecutor<'_>,
    product_id: i64,
    limit: i64,
) -> Result<Vec<StockAdjustment>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT delta, stock_after, reason, actor, at FROM stock_adjustments
         WHERE product_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(product_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(delta, stock_after, reason, actor, at)| StockAdjustment {
            delta,
            stock_after,
            reason,
            actor,
            at,
        })
        .collect())
}

/// Stores an image for the product and makes it the product's image, in one transaction; the
/// product's earlier uploads go. `None` if there is no such product (nothing stored).
pub async fn insert_image(
    pool: &AnyPool,
    product_id: i64,
    kind: ImageKind,
    bytes: &[u8],
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM products WHERE id = $1")
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let image_id: i64 = sqlx::query_scalar(
        "INSERT INTO product_images (product_id, content_type, bytes) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(product_id)
    .bind(kind.content_type())
    .bind(bytes)
    .fetch_one(&mut *tx)
    .await?;
    let url = upload_url(image_id);
    sqlx::query("UPDATE products SET image = $1 WHERE id = $2")
        .bind(&url)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM product_images WHERE product_id = $1 AND id <> $2")
        .bind(product_id)
        .bind(image_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(url))
}

/// An uploaded image: its kind and its bytes.
pub async fn image_by_id(
    db: impl AnyExecutor<'_>,
    id: i64,
) -> Result<Option<(ImageKind, Vec<u8>)>, sqlx::Error> {
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT content_type, bytes FROM product_images WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(content_type, bytes)| {
        ImageKind::from_content_type(&content_type).map(|kind| (kind, bytes))
    }))
}
