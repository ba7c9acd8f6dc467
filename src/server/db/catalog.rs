//! Products.

use crate::domain::money::{Currency, Money};
use crate::model::catalog::Product;
use sqlx::AnyExecutor;

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    slug: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: Currency,
    stock: i64,
    image: String,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Product {
            price: Money::new(r.price_minor, r.currency),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            stock: r.stock,
            image: r.image,
        }
    }
}

const PRODUCT_COLUMNS: &str = "id, slug, name, description, price_minor, currency, stock, image";

/// The products on sale (inactive ones are hidden from the shop).
pub async fn list_products(db: impl AnyExecutor<'_>) -> Result<Vec<Product>, sqlx::Error> {
    let rows = sqlx::query_as::<_, ProductRow>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE active = 1 ORDER BY id"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// `None` for an inactive product too: its page is a 404.
pub async fn product_by_slug(
    db: impl AnyExecutor<'_>,
    slug: &str,
) -> Result<Option<Product>, sqlx::Error> {
    let row = sqlx::query_as::<_, ProductRow>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE slug = $1 AND active = 1"
    ))
    .bind(slug)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Product::from))
}
