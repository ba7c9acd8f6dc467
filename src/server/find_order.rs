//! "Find my order": a shopper who lost the order's page enters their email and receives, through
//! the outbox, links to their recent orders. The answer is the same whether or not the address
//! has orders; requests are limited per address and per client; the links expire.

use super::db;
use super::AppState;
use crate::domain::email::Email;
use crate::domain::receipts::OrderLink;
use crate::error::AppError;
use axum::extract::{Path, State};
use axum::response::Redirect;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the page says after every accepted request.
pub const ANSWER: &str = "If we have orders for that address, we have emailed links to them. The links work for 24 hours.";
/// How long a link works.
pub const LINK_HOURS: i64 = 24;
/// Emails with links per address and hour; more requests are answered alike and send nothing.
const PER_ADDRESS_PER_HOUR: i64 = 3;
/// Requests per client and hour.
const PER_CLIENT_PER_HOUR: u32 = 10;
/// Orders older than this are not sent.
const LOOK_BACK: i64 = 365 * 24 * 3600;
const MAX_LINKS: i64 = 10;

/// Requests per client in the current hour.
#[derive(Default)]
pub struct Lookups(Mutex<HashMap<String, (Instant, u32)>>);

impl Lookups {
    /// Counts a request from `client`; `Err(seconds)` to wait when over the limit.
    pub fn allow(&self, client: &str) -> Result<(), u64> {
        let hour = Duration::from_secs(3600);
        let now = Instant::now();
        let mut clients = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() > 10_000 {
            clients.retain(|_, (start, _)| now.duration_since(*start) < hour);
        }
        let (start, count) = clients.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= hour {
            *start = now;
            *count = 0;
        }
        if *count >= PER_CLIENT_PER_HOUR {
            return Err((hour - now.duration_since(*start)).as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

/// Handles one request: checks the address and the limits, then queues the links (if any).
pub async fn request_links(state: &AppState, email: &str, client: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::InvalidEmail(e.to_string()))?;
    state.lookups.allow(client).map_err(AppError::SlowDown)?;
    let now = super::sync::now();
    if db::link_emails_since(&state.pool, email.as_str(), now - 3600).await? >= PER_ADDRESS_PER_HOUR
    {
        tracing::info!("find my order: address over its hourly limit; nothing sent");
        return Ok(());
    }
    let orders =
        db::recent_orders_of(&state.pool, email.as_str(), now - LOOK_BACK, MAX_LINKS).await?;
    let Some(first) = orders.first() else {
        return Ok(());
    };
    let recipient = first.email.clone();
    let links = orders
        .into_iter()
        .map(|order| {
            let token = new_token();
            db::NewLink {
                token_hash: token_hash(&token),
                link: OrderLink {
                    total: crate::domain::money::Money::new(order.total_minor, order.currency),
                    order_id: order.id,
                    placed_at: order.created_at,
                    status: order.status,
                    token,
                },
            }
        })
        .collect();
    db::queue_order_links(
        &state.pool,
        &recipient,
        links,
        now + LINK_HOURS * 3600,
        LINK_HOURS,
    )
    .await?;
    Ok(())
}

/// `GET /orders/open/{token}`: to the order while the link works, else back to "find my order".
pub async fn open_link(State(state): State<AppState>, Path(token): Path<String>) -> Redirect {
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed {
        match db::order_of_link(&state.pool, &token_hash(&token), super::sync::now()).await {
            Ok(Some(order_id)) => return Redirect::to(&format!("/orders/{order_id}")),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "opening an order link"),
        }
    }
    Redirect::to("/find-order?expired=1")
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Only the hash is stored: the database alone opens no order.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_ten_requests_an_hour() {
        let lookups = Lookups::default();
        for _ in 0..PER_CLIENT_PER_HOUR {
            assert!(lookups.allow("1.2.3.4").is_ok());
        }
        let wait = lookups.allow("1.2.3.4").unwrap_err();
        assert!(wait > 3500 && wait <= 3600, "{wait}");
        assert!(
            lookups.allow("5.6.7.8").is_ok(),
            "another client is not slowed"
        );
    }
}
