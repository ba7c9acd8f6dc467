//! Everything that only runs on the server: configuration, the database, sessions, start-up.
//! Compiled only with the `ssr` feature.

pub mod admin;
pub mod checkout;
pub mod config;
pub mod db;
pub mod db_copy;
pub mod delivery;
pub mod email;
pub mod find_order;
pub mod hosted_checkout;
pub mod live;
pub mod payments;
pub mod paypal;
pub mod reconcile;
pub mod security_headers;
pub mod session;
pub mod startup;
pub mod stripe;
pub mod sync;
pub mod webhooks;

use crate::error::AppError;
use axum::extract::FromRef;
use axum::response::{IntoResponse, Response};
use config::Config;
use leptos::prelude::*;
use sqlx::AnyPool;
use std::sync::Arc;

/// Shared by every handler and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: AnyPool,
    /// Connections for the pages' hot reads, outside the pool (see [`db::Reader`]).
    pub reader: db::Reader,
    /// Applies Stripe events in batches, one transaction each (group commit).
    pub writer: db::Writer,
    pub config: Arc<Config>,
    pub payments: Arc<payments::Payments>,
    /// The merchant's sign-in.
    pub admin: Arc<admin::auth::AdminAuth>,
    /// Order status changes, for the live order pages.
    pub updates: tokio::sync::broadcast::Sender<live::OrderUpdate>,
    /// One checkout start at a time per cart.
    pub cart_locks: Arc<checkout::CartLocks>,
    pub reconciler: Arc<reconcile::Reconciler>,
    /// Sends the email outbox (or keeps it, without SMTP).
    pub mailer: Arc<email::Mailer>,
    /// "Find my order" requests per client.
    pub lookups: Arc<find_order::Lookups>,
    /// Places for live order streams ([`live::MAX_STREAMS`]).
    pub streams: Arc<tokio::sync::Semaphore>,
}

/// The application state inside a server function (leptos_axum provides it as context).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The one place a server function's error gets its HTTP status: server_fn answers every error
/// with 500 and its JSON body; this reads the body back into an [`AppError`] and answers with
/// [`AppError::status`]. A plain form post (answered with a redirect back to the form) is left
/// alone, and so is every response that is not a server-function error.
pub async fn error_status(response: Response) -> Response {
    use axum::http::StatusCode;
    use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a few hundred bytes; anything larger is not one of ours.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Database failures are logged here, once, and reach the shopper only as "something went
/// wrong" — or, when the database cannot answer now (PostgreSQL restarting), as 503 "try again
/// in a few seconds" (see [`db::is_transient`]).
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if db::is_transient(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable;
        }
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}
