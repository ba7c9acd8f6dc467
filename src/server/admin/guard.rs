//! The merchant's session: signing in and out, and the guard every admin server function and
//! route calls first.

use super::auth;
use crate::error::AppError;
use crate::server::AppState;
use tower_sessions::Session;

const ADMIN_KEY: &str = "admin";

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract().await.map_err(|_| AppError::Internal)
}

/// Every admin server function starts here: no signed-in session, no answer.
pub async fn require_admin() -> Result<AppState, AppError> {
    let state = crate::server::state()?;
    let signed_in = is_admin(&session().await?).await;
    if signed_in {
        Ok(state)
    } else {
        Err(AppError::Unauthorized)
    }
}

pub async fn is_admin(session: &Session) -> bool {
    session.get::<bool>(ADMIN_KEY).await.ok().flatten() == Some(true)
}

/// The caller's address, for slowing down wrong passwords per client.
fn client_address() -> String {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "local".into())
}

pub async fn sign_in(password: &str) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = session().await?;
    match state.admin.check(&client_address(), password).await {
        Ok(()) => {
            // A new session id at sign-in: a session fixed before cannot be taken over.
            session.cycle_id().await.map_err(|_| AppError::Internal)?;
            session
                .insert(ADMIN_KEY, true)
                .await
                .map_err(|_| AppError::Internal)?;
            session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::hours(8),
            )));
            Ok(())
        }
        Err(auth::Refused::WrongPassword) => Err(AppError::WrongPassword),
        Err(auth::Refused::SlowDown(wait)) => Err(AppError::SlowDown(wait.as_secs().max(1))),
        Err(auth::Refused::NotConfigured) => Err(AppError::AdminUnavailable),
    }
}

/// Ends the session on the server, not just in the browser.
pub async fn sign_out() -> Result<(), AppError> {
    session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError::Internal)
}
