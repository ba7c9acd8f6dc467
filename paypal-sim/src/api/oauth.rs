//! `POST /v1/oauth2/token` (https://developer.paypal.com/api/rest/authentication/): client
//! credentials in HTTP Basic auth, `grant_type=client_credentials` in a form body; errors are
//! OAuth-shaped (`{"error","error_description"}`), not PayPal-shaped.

use super::pipeline::respond;
use super::Simulator;
use crate::engine::{new_debug_id, Kind};
use crate::model::{ApiError, Token};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use base64::Engine;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;

const SCOPE: &str = "https://uri.paypal.com/services/invoicing https://uri.paypal.com/services/vault/payment-tokens/read https://uri.paypal.com/services/disputes/read-buyer https://uri.paypal.com/services/payments/realtimepayment https://uri.paypal.com/services/disputes/update-seller https://uri.paypal.com/services/payments/payment/authcapture openid https://uri.paypal.com/services/disputes/read-seller Braintree:Vault https://uri.paypal.com/services/payments/refund https://api.paypal.com/v1/vault/credit-card https://api.paypal.com/v1/payments/.* https://uri.paypal.com/payments/payouts https://uri.paypal.com/services/vault/payment-tokens/readwrite https://api.paypal.com/v1/vault/credit-card/.* https://uri.paypal.com/services/subscriptions https://uri.paypal.com/services/applications/webhooks";

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub(super) async fn token(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let debug_id = new_debug_id();
    // The token endpoint is slowed and failed by the same fault knobs as the REST API.
    let faults = sim.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    if faults.error_kind != "drop" && sim.roll(faults.error_rate) {
        let e = match faults.error_kind.as_str() {
            "429" => ApiError::rate_limited(),
            _ => ApiError::internal(),
        };
        return respond(Err(e), &debug_id);
    }
    let config = &sim.inner.config;
    match basic_credentials(&headers) {
        Some((id, secret)) if id == config.client_id && secret == config.client_secret => {}
        _ => return respond(Err(ApiError::invalid_client()), &debug_id),
    }
    let grant = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    match grant.as_deref() {
        Some("client_credentials") => {}
        None => {
            return respond(
                Err(ApiError::oauth(
                    "unsupported_grant_type",
                    "Grant Type is NULL",
                )),
                &debug_id,
            )
        }
        Some(_) => {
            return respond(
                Err(ApiError::oauth(
                    "unsupported_grant_type",
                    "unsupported grant_type",
                )),
                &debug_id,
            )
        }
    }
    let access_token = format!(
        "A21AA{}",
        Alphanumeric.sample_string(&mut rand::rngs::OsRng, 92)
    );
    let mut state = sim.inner.state.lock().await;
    let now = state.now();
    let ttl = config.token_ttl;
    // Expired tokens are forgotten as new ones are made.
    let expired: Vec<String> = state
        .tokens
        .values()
        .filter(|t| t.expires_at <= now)
        .map(|t| t.token.clone())
        .collect();
    for t in expired {
        state.tokens.remove(&t);
        state.touch(Kind::Token, &t);
    }
    state.tokens.insert(
        access_token.clone(),
        Token {
            token: access_token.clone(),
            expires_at: now + (ttl as i64) * 1000,
        },
    );
    state.touch(Kind::Token, &access_token);
    sim.commit(&mut state).await;
    drop(state);
    let nonce = format!(
        "{}{}",
        crate::time::rfc3339(now),
        Alphanumeric.sample_string(&mut rand::rngs::OsRng, 43)
    );
    respond(
        Ok((
            200,
            json!({
                "scope": SCOPE,
                "access_token": access_token,
                "token_type": "Bearer",
                "app_id": config.app_id,
                "expires_in": ttl,
                "nonce": nonce,
            }),
        )),
        &debug_id,
    )
}
