//! The one error type server functions return. Its `Display` is what the shopper reads;
//! details that only the log should see never enter it.

use crate::domain::cart::QuantityError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidQuantity(QuantityError),
    #[error("That product does not exist.")]
    ProductNotFound,
    #[error("That item is not in your cart.")]
    NotInCart,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The database cannot answer now (restarting, unreachable): nothing was done, and the same
    /// request in a moment can succeed.
    #[error("The shop is busy for a moment. Please try again in a few seconds.")]
    Unavailable,
    #[error("Your cart is empty.")]
    EmptyCart,
    #[error("{0}")]
    InvalidEmail(String),
    #[error("Only {available} of {name} left in stock. Please update your cart.")]
    StockChanged { name: String, available: i64 },
    #[error("The minimum order is {0}.")]
    BelowMinimum(String),
    #[error("A payment for this order is already being processed.")]
    PaymentInProgress,
    #[error("Your order changed in another window: the total is now {0}. Please review it before paying.")]
    TotalChanged(String),
    /// The order is no longer what the page shows (another tab changed the cart, a price or the
    /// stock changed): nothing was charged; the page shows the new total and revision.
    #[error("Your order changed (in another window, or the stock): the total is now {total}. Please check it and press Pay again.")]
    OrderChanged {
        total: crate::domain::money::Money,
        revision: i64,
    },
    #[error(
        "This order can no longer be paid: it expired or was canceled. Please check out again."
    )]
    OrderClosed,
    /// What the page sent to pay with is not a ConfirmationToken or a PaymentMethod id.
    #[error("Your card details could not be read. Please enter them again.")]
    InvalidPaymentMethod,
    #[error("{0}")]
    InvalidAddress(crate::domain::address::AddressError),
    /// The address's country is in none of the shop's shipping zones (or its zone has no rate).
    #[error("Sorry, we don't ship to {0}. Please choose another address.")]
    NotShippable(String),
    #[error("{0}")]
    Discount(crate::domain::pricing::DiscountError),
    #[error("We couldn't find that order.")]
    OrderNotFound,
    #[error("That email is not in the outbox.")]
    EmailNotFound,
    /// From the payment provider, in words the shopper may read.
    #[error("{0}")]
    Payment(String),
    #[error("Please sign in.")]
    Unauthorized,
    #[error("That password is not right.")]
    WrongPassword,
    #[error("Too many attempts. Try again in {0} seconds.")]
    SlowDown(u64),
    #[error("Sign-in is not set up: configure ADMIN_PASSWORD_HASH.")]
    AdminUnavailable,
    #[error("Refused: this request came from another site.")]
    CrossSite,
    #[error("{0}")]
    RefundRefused(String),
    /// A shipment, delivery, return or cancellation the order's state does not allow.
    #[error("{0}")]
    Fulfilment(crate::domain::fulfilment::FulfilmentError),
    /// The admin's order filter could not be read.
    #[error("{0}")]
    InvalidFilter(String),
    /// A shipping, tax or discount setting as typed in the admin was refused; nothing changed.
    #[error("{0}")]
    InvalidSetting(String),
    /// A setting collides with another (a name, code or country already used) or is gone.
    #[error("{0}")]
    SettingConflict(String),
    /// A product, image or stock change refused by the catalog admin; nothing changed.
    #[error("{0}")]
    CatalogRefused(String),
    #[error("{}", describe_transport(.0))]
    Transport(ServerFnErrorErr),
}

fn describe_transport(err: &ServerFnErrorErr) -> String {
    match err {
        ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
            "Could not reach the shop. Check your connection and try again.".into()
        }
        ServerFnErrorErr::Args(_)
        | ServerFnErrorErr::Deserialization(_)
        | ServerFnErrorErr::Serialization(_) => "The form was not filled in correctly.".into(),
        _ => "Something went wrong on our side. Please try again.".into(),
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidQuantity(_)
            | AppError::NotInCart
            | AppError::EmptyCart
            | AppError::InvalidEmail(_)
            | AppError::StockChanged { .. }
            | AppError::BelowMinimum(_)
            | AppError::InvalidPaymentMethod
            | AppError::InvalidAddress(_)
            | AppError::NotShippable(_)
            | AppError::Discount(_) => 400,
            AppError::PaymentInProgress
            | AppError::TotalChanged(_)
            | AppError::OrderChanged { .. }
            | AppError::OrderClosed => 409,
            AppError::Unauthorized | AppError::WrongPassword => 401,
            AppError::SlowDown(_) => 429,
            AppError::AdminUnavailable => 503,
            AppError::Unavailable => 503,
            AppError::CrossSite => 403,
            AppError::RefundRefused(_) | AppError::InvalidFilter(_) => 400,
            AppError::CatalogRefused(_) => 400,
            AppError::InvalidSetting(_) => 400,
            AppError::SettingConflict(_) => 409,
            AppError::Fulfilment(e) if e.is_conflict() => 409,
            AppError::Fulfilment(_) => 400,
            AppError::ProductNotFound | AppError::OrderNotFound | AppError::EmailNotFound => 404,
            AppError::Payment(_) => 502,
            AppError::Internal => 500,
            AppError::Transport(ServerFnErrorErr::Args(_))
            | AppError::Transport(ServerFnErrorErr::Deserialization(_)) => 400,
            AppError::Transport(_) => 500,
        }
    }
}

impl From<QuantityError> for AppError {
    fn from(e: QuantityError) -> Self {
        AppError::InvalidQuantity(e)
    }
}

impl From<ServerFnErrorErr> for AppError {
    fn from(e: ServerFnErrorErr) -> Self {
        AppError::Transport(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_written_for_shoppers() {
        assert_eq!(
            AppError::InvalidQuantity(QuantityError::AboveStock { available: 3 }).to_string(),
            "Only 3 left in stock."
        );
        assert_eq!(
            AppError::Transport(ServerFnErrorErr::Args("invalid digit".into())).to_string(),
            "The form was not filled in correctly."
        );
        assert_eq!(AppError::ProductNotFound.status(), 404);
        assert_eq!(AppError::Internal.status(), 500);
    }
}
