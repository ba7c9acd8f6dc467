//! Everything that only runs on the server: configuration, the database, sessions, start-up.
//! Compiled only with the `ssr` feature.

pub mod admin;
pub mod checkout;
pub mod config;
pub mod db;
pub mod live;
pub mod payments;
pub mod session;
pub mod startup;
pub mod stripe;
pub mod webhooks;

use crate::error::AppError;
use axum::extract::FromRef;
use config::Config;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use sqlx::SqlitePool;
use std::sync::Arc;

/// Shared by every handler and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub config: Arc<Config>,
    pub payments: Arc<payments::Payments>,
    /// The merchant's sign-in.
    pub admin: Arc<admin::auth::AdminAuth>,
    /// Order status changes, for the live order pages.
    pub updates: tokio::sync::broadcast::Sender<live::OrderUpdate>,
}

/// The application state inside a server function (leptos_axum provides it as context).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Sets the HTTP status for an error a server function is about to return, unless the request
/// is a plain form post: that one is answered with a redirect back to the form (progressive
/// enhancement), which must stay a redirect.
pub fn reject(err: AppError) -> AppError {
    let form_post = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::ACCEPT).cloned())
        .and_then(|accept| accept.to_str().ok().map(|a| a.contains("text/html")))
        .unwrap_or(false);
    if !form_post {
        if let (Some(options), Ok(status)) = (
            use_context::<ResponseOptions>(),
            axum::http::StatusCode::from_u16(err.status()),
        ) {
            options.set_status(status);
        }
    }
    err
}

/// Database failures are logged here, once, and reach the shopper only as "something went wrong".
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        reject(AppError::Internal)
    }
}
