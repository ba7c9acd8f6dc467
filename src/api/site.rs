//! What every page needs to know about the site itself.

use crate::error::AppError;
use crate::model::site::PaymentsMode;
use leptos::prelude::*;

#[server(endpoint = "site/info")]
pub async fn get_payments_mode() -> Result<PaymentsMode, AppError> {
    Ok(crate::server::state()?.payments.mode)
}
