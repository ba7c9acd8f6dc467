//! Which company takes an order's payment. The order's state machine does not care; each
//! gateway's module turns its objects into the same payment events.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case"))]
pub enum Gateway {
    /// Cards and the other methods of Stripe's Payment Element.
    #[default]
    Stripe,
    Paypal,
}

impl Gateway {
    pub const ALL: [Gateway; 2] = [Gateway::Stripe, Gateway::Paypal];

    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::Stripe => "stripe",
            Gateway::Paypal => "paypal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gateway::Stripe => "Card (Stripe)",
            Gateway::Paypal => "PayPal",
        }
    }
}
