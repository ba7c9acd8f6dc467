//! An order as the shopper (and the merchant) sees it.

use crate::domain::address::Address;
use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
use crate::domain::pricing::Breakdown;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub name: String,
    pub unit_price: Money,
    pub quantity: i64,
    pub line_total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub status: OrderStatus,
    pub email: String,
    pub total: Money,
    pub items: Vec<OrderLineView>,
    pub created_at: i64,
    /// Items, shipping, discount, tax and total, as the order was priced.
    pub pricing: Breakdown,
    /// Where the goods go (none for orders from before addresses).
    pub address: Option<Address>,
}
