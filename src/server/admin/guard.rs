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

/// The caller's address, for slowing down wrong passwords per client: the socket's peer,
/// unless that peer is a trusted proxy; then the nearest address in `X-Forwarded-For` that is
/// not one (an address a client wrote itself further left is never believed).
pub fn client_address(trusted: &[std::net::IpAddr]) -> String {
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else {
        return "local".into();
    };
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    client_behind_proxies(peer, &forwarded, trusted)
}

/// See [`client_address`]; separate so it can be tested without a request.
pub fn client_behind_proxies(
    peer: Option<std::net::IpAddr>,
    forwarded: &[&str],
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(mut client) = peer else {
        return "local".into();
    };
    for hop in forwarded.iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        match hop.parse() {
            Ok(address) => client = address,
            Err(_) => break,
        }
    }
    client.to_string()
}

pub async fn sign_in(password: &str) -> Result<(), AppError> {
    let state = crate::server::state()?;
    let session = session().await?;
    match state
        .admin
        .check(&client_address(&state.config.trusted_proxies), password)
        .await
    {
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

#[cfg(test)]
mod tests {
    use super::client_behind_proxies;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let shopper: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        // No proxy configured: the socket's peer, whatever the header says.
        assert_eq!(
            client_behind_proxies(Some(shopper), &["1.1.1.1"], &[]),
            "203.0.113.7"
        );
        // Behind the proxy: the address it saw; a spoofed one further left is ignored.
        assert_eq!(
            client_behind_proxies(Some(proxy), &["6.6.6.6", "203.0.113.7"], &[proxy]),
            "203.0.113.7"
        );
        // A peer that is not the proxy cannot claim another address.
        assert_eq!(
            client_behind_proxies(Some(shopper), &["6.6.6.6"], &[proxy]),
            "203.0.113.7"
        );
    }
}
