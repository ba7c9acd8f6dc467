//! What the buyer's browser sees: the JS SDK stand-in (`/sdk/js`, like
//! `https://www.paypal.com/sdk/js`, https://developer.paypal.com/sdk/js/reference/) and the
//! approval page (`/checkoutnow?token=ORDER_ID`). Neither uses inline scripts or styles, so
//! both work under a strict Content-Security-Policy.

use super::Simulator;
use crate::model::Funding;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;

const SDK_JS: &str = include_str!("../../assets/sdk.js");
const BUTTONS_CSS: &str = include_str!("../../assets/buttons.css");
const PAGE_HTML: &str = include_str!("../../assets/checkoutnow.html");
const PAGE_JS: &str = include_str!("../../assets/checkoutnow.js");
const PAGE_CSS: &str = include_str!("../../assets/checkoutnow.css");
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// `GET /sdk/js?client-id=…&currency=…&intent=…`: an unknown client id is refused like
/// PayPal does (400 and a script that throws).
pub(super) async fn sdk_js(
    State(sim): State<Simulator>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("client-id") {
        Some(id) if *id == sim.inner.config.client_id => {
            asset("application/javascript; charset=utf-8", SDK_JS)
        }
        other => {
            let message = match other {
                None => "SDK Validation error: 'Expected client-id to be passed'".to_string(),
                Some(id) => format!(
                    "SDK Validation error: 'client-id not recognized for either production or sandbox: {}'",
                    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect::<String>()
                ),
            };
            (
                StatusCode::BAD_REQUEST,
                [(
                    header::CONTENT_TYPE,
                    "application/javascript; charset=utf-8",
                )],
                format!("throw new Error({});\n", json!(message)),
            )
                .into_response()
        }
    }
}

pub(super) async fn buttons_css() -> Response {
    asset("text/css; charset=utf-8", BUTTONS_CSS)
}

pub(super) async fn page_js() -> Response {
    asset("application/javascript; charset=utf-8", PAGE_JS)
}

pub(super) async fn page_css() -> Response {
    asset("text/css; charset=utf-8", PAGE_CSS)
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `GET /checkoutnow?token=ORDER_ID`: the approval page.
pub(super) async fn page(
    State(sim): State<Simulator>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    let summary = sim.inner.state.lock().await.order_summary(&token);
    let (status, html) = match summary {
        Some(s) => {
            let payable = matches!(
                s["status"].as_str(),
                Some("CREATED" | "APPROVED" | "PAYER_ACTION_REQUIRED")
            );
            let amount = format!(
                "{} {}",
                s["value"].as_str().unwrap_or(""),
                s["currency_code"].as_str().unwrap_or("")
            );
            let notice = if payable {
                String::new()
            } else {
                "This order can no longer be paid.".to_string()
            };
            (
                StatusCode::OK,
                PAGE_HTML
                    .replace("{{order_id}}", &escape(&token))
                    .replace("{{amount}}", &escape(&amount))
                    .replace(
                        "{{description}}",
                        &escape(s["description"].as_str().unwrap_or("")),
                    )
                    .replace("{{payable}}", if payable { "true" } else { "false" })
                    .replace(
                        "{{cancel_url}}",
                        &escape(s["cancel_url"].as_str().unwrap_or("")),
                    )
                    .replace("{{notice}}", &escape(&notice)),
            )
        }
        None => (
            StatusCode::NOT_FOUND,
            PAGE_HTML
                .replace("{{order_id}}", &escape(&token))
                .replace("{{amount}}", "")
                .replace("{{description}}", "")
                .replace("{{payable}}", "false")
                .replace("{{cancel_url}}", "")
                .replace("{{notice}}", "This order does not exist."),
        ),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The page holds itself to the strict policy it promises to work under.
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

/// `GET /checkoutnow/order?token=ID`: what the SDK stand-in checks the SDK's `currency` and
/// `intent` against (PayPal's SDK does the same check with its own call).
pub(super) async fn order_summary(
    State(sim): State<Simulator>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    let summary = sim.inner.state.lock().await.order_summary(&token);
    let (status, body) = match summary {
        Some(s) => (StatusCode::OK, s),
        None => (StatusCode::NOT_FOUND, json!({"error": "order not found"})),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /checkoutnow/approve?token=ID` with `{"funding": "balance|declined|pending"}`: the
/// buyer's "Pay now". Same-origin only (the approval page).
pub(super) async fn approve(
    State(sim): State<Simulator>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    let json_ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // JSON only: a cross-site form cannot send it without a CORS preflight, which this route
    // never grants, so only the approval page itself can approve.
    if !json_ct {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the approval endpoint takes application/json",
        )
            .into_response();
    }
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(funding) = Funding::parse(input["funding"].as_str().unwrap_or("balance")) else {
        return (StatusCode::BAD_REQUEST, "unknown funding").into_response();
    };
    let mut state = sim.inner.state.lock().await;
    let out = state.approve(&token, funding);
    let (status, body) = match out {
        Ok(payer_id) => {
            let order = &state.orders[&token];
            let return_url = order.return_url.as_ref().map(|u| {
                let sep = if u.contains('?') { '&' } else { '?' };
                format!("{u}{sep}token={token}&PayerID={payer_id}")
            });
            (
                StatusCode::OK,
                json!({"orderID": token, "payerID": payer_id, "returnUrl": return_url}),
            )
        }
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.body,
        ),
    };
    sim.commit(&mut state).await;
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
