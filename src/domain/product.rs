//! The merchant's catalog: what a product may be, checked before anything is written; what an
//! uploaded image is (by its first bytes, never by its name or the browser's word); and the
//! rows the admin's product pages show. Pure: no I/O.

use crate::domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_SLUG_CHARS: usize = 80;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The highest price, in major units (1,000,000.00).
pub const MAX_PRICE_MAJOR: i64 = 1_000_000;
pub const MAX_WEIGHT_GRAMS: i64 = 100_000;
pub const MAX_STOCK: i64 = 100_000;
pub const MAX_REASON_CHARS: usize = 200;
/// An uploaded image may be at most this many bytes (2 MiB).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// Where a product without an uploaded image points.
pub const NO_IMAGE: &str = "/favicon.svg";
/// Where uploaded images are served: `/images/uploads/{id}`.
pub const UPLOADS_PATH: &str = "/images/uploads";

/// A product's fields as the merchant typed them in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    /// In major units, as typed: `12.50`.
    pub price: String,
    pub weight_grams: String,
    pub stock: String,
    pub active: bool,
}

/// A product's fields once checked: safe to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductFields {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub price: Money,
    pub weight_grams: i64,
    pub stock: i64,
    pub active: bool,
}

/// Why a product form or a stock adjustment was refused, in the merchant's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    #[error("Give the product a name.")]
    NameMissing,
    #[error("The name can be at most {MAX_NAME_CHARS} characters.")]
    NameTooLong,
    #[error(
        "The slug (the product's address) is 1 to {MAX_SLUG_CHARS} characters of a–z, 0–9 and “-”."
    )]
    BadSlug,
    #[error("The description can be at most {MAX_DESCRIPTION_CHARS} characters.")]
    DescriptionTooLong,
    #[error("The {0} contains control characters; remove them.")]
    ControlCharacters(&'static str),
    #[error("The price “{0}” is not an amount like 12.50.")]
    BadPrice(String),
    #[error("The price must be more than zero.")]
    PriceNotPositive,
    #[error("The price can be at most {0}.")]
    PriceTooHigh(String),
    #[error("The {field} must be a whole number from 0 to {max}.")]
    BadWholeNumber { field: &'static str, max: i64 },
    #[error("The {0} cannot be negative.")]
    Negative(&'static str),
    #[error("Another product already has the slug “{0}”.")]
    SlugTaken(String),
    #[error("The change must be a whole number other than 0, like 5 or -3.")]
    BadDelta,
    #[error("The change can be at most {MAX_STOCK} either way.")]
    DeltaTooLarge,
    #[error("Say why the stock changes.")]
    ReasonMissing,
    #[error("The reason can be at most {MAX_REASON_CHARS} characters.")]
    ReasonTooLong,
    #[error("Only {available} in stock: the stock cannot go below zero.")]
    WouldGoNegative { available: i64 },
    #[error("The stock can be at most {MAX_STOCK}.")]
    StockTooHigh,
}

/// Whether a slug is `[a-z0-9-]{1,80}`.
pub fn valid_slug(slug: &str) -> bool {
    (1..=MAX_SLUG_CHARS).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A control character (C0, DEL, C1); `allow_lines` lets newlines and tabs through (a description).
fn has_control(text: &str, allow_lines: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(allow_lines && matches!(c, '\n' | '\r' | '\t')))
}

/// A whole number typed in a field, from 0 to `max`.
fn whole_number(text: &str, field: &'static str, max: i64) -> Result<i64, ProductError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProductError::Negative(field));
        }
    }
    let bad = || ProductError::BadWholeNumber { field, max };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = text.parse().map_err(|_| bad())?;
    if n > max {
        return Err(bad());
    }
    Ok(n)
}

/// The highest price in `currency`, in minor units.
pub fn max_price(currency: &Currency) -> Money {
    Money::new(
        MAX_PRICE_MAJOR * 10i64.pow(currency.exponent()),
        currency.clone(),
    )
}

/// A price typed in major units, more than zero and at most [`MAX_PRICE_MAJOR`].
pub fn parse_price(text: &str, currency: &Currency) -> Result<Money, ProductError> {
    let typed = text.trim();
    if typed.starts_with('-') {
        return Err(ProductError::PriceNotPositive);
    }
    let price = Money::parse_major(typed, currency)
        .map_err(|_| ProductError::BadPrice(typed.chars().take(40).collect()))?;
    if price.minor <= 0 {
        return Err(ProductError::PriceNotPositive);
    }
    let max = max_price(currency);
    if price.minor > max.minor {
        return Err(ProductError::PriceTooHigh(max.to_string()));
    }
    Ok(price)
}

/// Checks every field of the form; the first problem found is the answer.
pub fn validate(form: &ProductForm, currency: &Currency) -> Result<ProductFields, ProductError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Err(ProductError::NameMissing);
    }
    if has_control(name, false) {
        return Err(ProductError::ControlCharacters("name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ProductError::NameTooLong);
    }
    let slug = form.slug.trim();
    if !valid_slug(slug) {
        return Err(ProductError::BadSlug);
    }
    // Browsers send a textarea's line breaks as CRLF: kept as LF.
    let description = form.description.trim().replace("\r\n", "\n");
    if has_control(&description, true) {
        return Err(ProductError::ControlCharacters("description"));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ProductError::DescriptionTooLong);
    }
    let price = parse_price(&form.price, currency)?;
    let weight_grams = whole_number(&form.weight_grams, "weight in grams", MAX_WEIGHT_GRAMS)?;
    let stock = whole_number(&form.stock, "stock", MAX_STOCK)?;
    Ok(ProductFields {
        name: name.to_string(),
        slug: slug.to_string(),
        description,
        price,
        weight_grams,
        stock,
        active: form.active,
    })
}

/// A stock adjustment as typed: a signed whole number other than zero and a reason.
pub fn validate_adjustment(delta: &str, reason: &str) -> Result<(i64, String), ProductError> {
    let text = delta.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProductError::BadDelta);
    }
    let magnitude: i64 = digits.parse().map_err(|_| ProductError::DeltaTooLarge)?;
    if magnitude == 0 {
        return Err(ProductError::BadDelta);
    }
    if magnitude > MAX_STOCK {
        return Err(ProductError::DeltaTooLarge);
    }
    let delta = if text.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ProductError::ReasonMissing);
    }
    if has_control(reason, false) {
        return Err(ProductError::ControlCharacters("reason"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ProductError::ReasonTooLong);
    }
    Ok((delta, reason.to_string()))
}

/// The image formats the shop accepts. SVG is not one of them: it can carry scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// What the file is, by its first bytes (its "magic number"); `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(PNG) && bytes.len() > PNG.len() {
            Some(ImageKind::Png)
        } else if bytes.len() > 3 && bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The stored content type read back; `None` for a value this code never writes.
    pub fn from_content_type(content_type: &str) -> Option<ImageKind> {
        [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp]
            .into_iter()
            .find(|k| k.content_type() == content_type)
    }
}

/// Where an uploaded image is served.
pub fn upload_url(image_id: i64) -> String {
    format!("{UPLOADS_PATH}/{image_id}")
}

/// A product as the admin shows it, inactive ones included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProduct {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub weight_grams: i64,
    /// What is on sale now (open orders' holds are already taken out).
    pub stock: i64,
    pub active: bool,
    pub image: String,
}

impl AdminProduct {
    /// The product in the form, to edit it.
    pub fn to_form(&self) -> ProductForm {
        ProductForm {
            name: self.name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            price: self.price.to_major_string(),
            weight_grams: self.weight_grams.to_string(),
            stock: self.stock.to_string(),
            active: self.active,
        }
    }
}

/// One change of a product's stock made by the merchant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAdjustment {
    pub delta: i64,
    pub stock_after: i64,
    pub reason: String,
    /// Who made it (the merchant, and from which address).
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
}

/// The admin's page of one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProductDetail {
    pub product: AdminProduct,
    /// Newest first.
    pub history: Vec<StockAdjustment>,
    /// The shop's currency (prices are typed in it).
    pub currency: Currency,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn good() -> ProductForm {
        ProductForm {
            name: "Enamel Mug".into(),
            slug: "enamel-mug".into(),
            description: "Steel, enamelled.\r\nTwo colours.".into(),
            price: "12.50".into(),
            weight_grams: "300".into(),
            stock: "7".into(),
            active: true,
        }
    }

    #[test]
    fn a_good_form_is_read_exactly() {
        let fields = validate(&good(), &usd()).unwrap();
        assert_eq!(fields.price, Money::new(1250, usd()));
        assert_eq!(fields.weight_grams, 300);
        assert_eq!(fields.stock, 7);
        assert_eq!(fields.description, "Steel, enamelled.\nTwo colours.");
        let yen = Currency::parse("JPY").unwrap();
        let form = ProductForm {
            price: "1,200".into(),
            ..good()
        };
        assert_eq!(validate(&form, &yen).unwrap().price.minor, 1200);
        // The limits themselves are allowed.
        let form = ProductForm {
            price: "1000000.00".into(),
            weight_grams: "100000".into(),
            stock: "0".into(),
            name: "x".repeat(MAX_NAME_CHARS),
            slug: "a".repeat(MAX_SLUG_CHARS),
            description: "é".repeat(MAX_DESCRIPTION_CHARS),
            ..good()
        };
        assert!(validate(&form, &usd()).is_ok());
    }

    #[test]
    fn every_bad_field_is_refused_with_its_reason() {
        let cases: Vec<(ProductForm, ProductError)> = vec![
            (
                ProductForm {
                    name: "  ".into(),
                    ..good()
                },
                ProductError::NameMissing,
            ),
            (
                ProductForm {
                    name: "x".repeat(MAX_NAME_CHARS + 1),
                    ..good()
                },
                ProductError::NameTooLong,
            ),
            (
                ProductForm {
                    name: "Mug\u{0007}".into(),
                    ..good()
                },
                ProductError::ControlCharacters("name"),
            ),
            (
                ProductForm {
                    name: "Mug\nTwo".into(),
                    ..good()
                },
                ProductError::ControlCharacters("name"),
            ),
            (
                ProductForm {
                    description: "a\u{0000}b".into(),
                    ..good()
                },
                ProductError::ControlCharacters("description"),
            ),
            (
                ProductForm {
                    description: "a\u{009b}b".into(),
                    ..good()
                },
                ProductError::ControlCharacters("description"),
            ),
            (
                ProductForm {
                    description: "x".repeat(MAX_DESCRIPTION_CHARS + 1),
                    ..good()
                },
                ProductError::DescriptionTooLong,
            ),
            (
                ProductForm {
                    price: "0".into(),
                    ..good()
                },
                ProductError::PriceNotPositive,
            ),
            (
                ProductForm {
                    price: "0.00".into(),
                    ..good()
                },
                ProductError::PriceNotPositive,
            ),
            (
                ProductForm {
                    price: "-5".into(),
                    ..good()
                },
                ProductError::PriceNotPositive,
            ),
            (
                ProductForm {
                    price: "12.505".into(),
                    ..good()
                },
                ProductError::BadPrice("12.505".into()),
            ),
            (
                ProductForm {
                    price: "1e3".into(),
                    ..good()
                },
                ProductError::BadPrice("1e3".into()),
            ),
            (
                ProductForm {
                    price: "1000000.01".into(),
                    ..good()
                },
                ProductError::PriceTooHigh("$1,000,000.00".into()),
            ),
            (
                ProductForm {
                    price: "99999999999999999999".into(),
                    ..good()
                },
                ProductError::BadPrice("99999999999999999999".into()),
            ),
            (
                ProductForm {
                    stock: "-1".into(),
                    ..good()
                },
                ProductError::Negative("stock"),
            ),
            (
                ProductForm {
                    stock: "100001".into(),
                    ..good()
                },
                ProductError::BadWholeNumber {
                    field: "stock",
                    max: MAX_STOCK,
                },
            ),
            (
                ProductForm {
                    stock: "2.5".into(),
                    ..good()
                },
                ProductError::BadWholeNumber {
                    field: "stock",
                    max: MAX_STOCK,
                },
            ),
            (
                ProductForm {
                    weight_grams: "-300".into(),
                    ..good()
                },
                ProductError::Negative("weight in grams"),
            ),
            (
                ProductForm {
                    weight_grams: "".into(),
                    ..good()
                },
                ProductError::BadWholeNumber {
                    field: "weight in grams",
                    max: MAX_WEIGHT_GRAMS,
                },
            ),
        ];
        for (form, expected) in cases {
            assert_eq!(validate(&form, &usd()), Err(expected), "{form:?}");
        }
    }

    #[test]
    fn slugs_are_lower_case_ascii_digits_and_dashes() {
        for ok in ["a", "mug-2", "0-0", &"z".repeat(80)] {
            assert!(valid_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "Mug",
            "mug 2",
            "mug_2",
            "müg",
            "../etc",
            "a/b",
            &"z".repeat(81),
        ] {
            assert!(!valid_slug(bad), "{bad}");
            let form = ProductForm {
                slug: bad.to_string(),
                ..good()
            };
            assert_eq!(validate(&form, &usd()), Err(ProductError::BadSlug));
        }
    }

    #[test]
    fn adjustments_need_a_signed_whole_number_and_a_reason() {
        assert_eq!(
            validate_adjustment("+5", " recount "),
            Ok((5, "recount".into()))
        );
        assert_eq!(
            validate_adjustment("-3", "broken"),
            Ok((-3, "broken".into()))
        );
        assert_eq!(
            validate_adjustment("12", "delivery"),
            Ok((12, "delivery".into()))
        );
        for bad in ["0", "-0", "", "+", "1.5", "--1", "five", "+-1"] {
            assert_eq!(
                validate_adjustment(bad, "x"),
                Err(ProductError::BadDelta),
                "{bad}"
            );
        }
        assert_eq!(
            validate_adjustment("100001", "x"),
            Err(ProductError::DeltaTooLarge)
        );
        assert_eq!(
            validate_adjustment("99999999999999999999999", "x"),
            Err(ProductError::DeltaTooLarge)
        );
        assert_eq!(
            validate_adjustment("1", "  "),
            Err(ProductError::ReasonMissing)
        );
        assert_eq!(
            validate_adjustment("1", &"r".repeat(201)),
            Err(ProductError::ReasonTooLong)
        );
        assert_eq!(
            validate_adjustment("1", "a\u{001b}[31m"),
            Err(ProductError::ControlCharacters("reason"))
        );
    }

    #[test]
    fn images_are_known_by_their_first_bytes_only() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(ImageKind::sniff(png), Some(ImageKind::Png));
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        for other in [
            &b"GIF89a\x01\0\x01\0"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"hello, this is text",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"\x89PNG\r\n\x1a\n",
            b"",
        ] {
            assert_eq!(ImageKind::sniff(other), None, "{other:?}");
        }
        for kind in [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp] {
            assert_eq!(
                ImageKind::from_content_type(kind.content_type()),
                Some(kind)
            );
        }
        assert_eq!(ImageKind::from_content_type("image/svg+xml"), None);
    }
}
