//! The cart as the shopper sees it: lines priced from the catalog, and their total.
//! Pure: the server loads the lines from the database and hands them here.

use super::money::{Currency, Money, MoneyError};
use serde::{Deserialize, Serialize};

/// Most of one product a single cart line may hold, whatever the stock.
pub const MAX_LINE_QUANTITY: i64 = 99;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: i64,
    pub slug: String,
    pub name: String,
    pub image: String,
    pub unit_price: Money,
    pub quantity: i64,
    pub stock: i64,
    /// For shipping rates priced by weight.
    #[serde(default)]
    pub weight_grams: i64,
}

impl CartLine {
    pub fn line_total(&self) -> Result<Money, MoneyError> {
        self.unit_price.checked_mul(self.quantity)
    }

    /// The largest quantity this line may be set to.
    pub fn max_quantity(&self) -> i64 {
        self.stock.clamp(0, MAX_LINE_QUANTITY)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    /// The shop's currency: what an empty cart totals in.
    pub currency: Currency,
}

impl Cart {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Number of items, counting quantities.
    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Sum of every line, in the cart's currency. Fails on mixed currencies or overflow
    /// rather than showing a wrong number.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.lines
            .iter()
            .try_fold(Money::zero(self.currency.clone()), |acc, line| {
                acc.checked_add(&line.line_total()?)
            })
    }
}

/// Why a requested quantity is refused. The messages are shown to the shopper as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum QuantityError {
    #[error("Quantity must be at least 1.")]
    TooSmall,
    #[error("Sorry, that item is sold out.")]
    SoldOut,
    #[error("Only {available} left in stock.")]
    AboveStock { available: i64 },
    #[error("At most {max} of one item per order.", max = MAX_LINE_QUANTITY)]
    AboveLimit,
}

/// Checks a quantity the shopper asked for, before looking at stock.
pub fn check_requested(quantity: i64) -> Result<(), QuantityError> {
    if quantity < 1 {
        Err(QuantityError::TooSmall)
    } else if quantity > MAX_LINE_QUANTITY {
        Err(QuantityError::AboveLimit)
    } else {
        Ok(())
    }
}

/// Checks the quantity a line would end up with.
pub fn check_quantity(resulting: i64, stock: i64) -> Result<(), QuantityError> {
    if resulting < 1 {
        Err(QuantityError::TooSmall)
    } else if stock <= 0 {
        Err(QuantityError::SoldOut)
    } else if resulting > stock {
        Err(QuantityError::AboveStock { available: stock })
    } else if resulting > MAX_LINE_QUANTITY {
        Err(QuantityError::AboveLimit)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn line(id: i64, price: i64, quantity: i64) -> CartLine {
        CartLine {
            product_id: id,
            slug: format!("p{id}"),
            name: format!("Product {id}"),
            image: String::new(),
            unit_price: Money::new(price, usd()),
            quantity,
            stock: 10,
            weight_grams: 0,
        }
    }

    #[test]
    fn an_empty_cart_totals_zero_in_the_shop_currency() {
        let cart = Cart {
            lines: vec![],
            currency: usd(),
        };
        assert_eq!(cart.total().unwrap().to_string(), "$0.00");
        assert_eq!(cart.item_count(), 0);
        assert!(cart.is_empty());
    }

    #[test]
    fn total_is_the_sum_of_unit_price_times_quantity() {
        let cart = Cart {
            lines: vec![line(1, 2800, 2), line(2, 1850, 1), line(3, 1425, 3)],
            currency: usd(),
        };
        assert_eq!(cart.total().unwrap(), Money::new(5600 + 1850 + 4275, usd()));
        assert_eq!(cart.total().unwrap().to_string(), "$117.25");
        assert_eq!(cart.item_count(), 6);
    }

    #[test]
    fn mixed_currencies_are_an_error_not_a_wrong_total() {
        let mut yen = line(2, 500, 1);
        yen.unit_price = Money::new(500, Currency::parse("JPY").unwrap());
        let cart = Cart {
            lines: vec![line(1, 100, 1), yen],
            currency: usd(),
        };
        assert!(matches!(
            cart.total(),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn overflowing_totals_are_an_error() {
        let cart = Cart {
            lines: vec![line(1, i64::MAX / 2, 3)],
            currency: usd(),
        };
        assert_eq!(cart.total(), Err(MoneyError::Overflow));
    }

    #[test]
    fn quantities_are_bounded_by_one_stock_and_the_line_limit() {
        assert_eq!(check_quantity(0, 5), Err(QuantityError::TooSmall));
        assert_eq!(check_quantity(-3, 5), Err(QuantityError::TooSmall));
        assert_eq!(check_quantity(1, 0), Err(QuantityError::SoldOut));
        assert_eq!(
            check_quantity(6, 5),
            Err(QuantityError::AboveStock { available: 5 })
        );
        assert_eq!(check_quantity(100, 500), Err(QuantityError::AboveLimit));
        assert_eq!(check_quantity(5, 5), Ok(()));
        assert_eq!(check_requested(0), Err(QuantityError::TooSmall));
        assert_eq!(check_requested(100), Err(QuantityError::AboveLimit));
        assert_eq!(check_requested(99), Ok(()));
        assert_eq!(
            QuantityError::AboveStock { available: 2 }.to_string(),
            "Only 2 left in stock."
        );
    }
}
