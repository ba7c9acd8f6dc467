//! An order as the shopper (and the merchant) sees it.

use crate::domain::money::Money;
use crate::domain::order::OrderStatus;
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
}
