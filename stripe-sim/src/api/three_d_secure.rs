//! 3-D Secure: the challenge Stripe.js shows (answered through `POST /_sim/3ds/{id}`) and the
//! hosted page of the redirect flow (https://docs.stripe.com/payments/3d-secure).

use super::pipeline::{handler, parse_body};
use super::Simulator;
use crate::engine::Params;
use crate::model::{ApiError, View};
use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

handler!(authenticate, [Secret, Publishable], |account, ctx, id| {
    ctx.check_client_secret(account, &id)?;
    let complete = match ctx.params().str("outcome") {
        Some("complete") => true,
        Some("fail") => false,
        _ => return Err(ApiError::invalid("outcome must be complete or fail").param("outcome")),
    };
    account.authenticate(&id, complete, ctx.view)
});
#[derive(Deserialize)]
pub(super) struct RedirectQuery {
    client_secret: String,
    return_url: String,
}

/// The hosted 3-D Secure page of the redirect flow (server-side confirm with a `return_url`).
pub(super) async fn redirect_challenge_page(
    axum::extract::Query(q): axum::extract::Query<RedirectQuery>,
) -> Html<String> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>3D Secure test page</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}}button{{font-size:1rem;padding:.7rem 1.2rem;margin:.3rem;border-radius:6px;border:1px solid #555;cursor:pointer}}.ok{{background:#1a7f37;color:#fff;border-color:#1a7f37}}</style></head>
<body><h1>Test 3D Secure authentication</h1><p>This is a simulated bank page. No real card is involved.</p>
<form method="post"><input type="hidden" name="client_secret" value="{cs}"><input type="hidden" name="return_url" value="{ru}">
<button class="ok" name="outcome" value="complete">Complete authentication</button><button name="outcome" value="fail">Fail authentication</button></form></body></html>"#,
        cs = esc(&q.client_secret),
        ru = esc(&q.return_url),
    ))
}

pub(super) async fn redirect_challenge_answer(
    AxState(sim): AxState<Simulator>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let params = match parse_body(body).await {
        Ok(params) => params,
        Err(e) => {
            return (
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                "Invalid request",
            )
                .into_response()
        }
    };
    let p = Params(&params);
    let secret = p.str("client_secret").unwrap_or_default().to_string();
    let complete = p.str("outcome") == Some("complete");
    let mut account = sim.inner.account.lock().await;
    let Some(pi) = account
        .payment_intents
        .get(&id)
        .filter(|pi| pi.client_secret == secret)
    else {
        return (StatusCode::BAD_REQUEST, "Unknown payment").into_response();
    };
    // Back to the `return_url` given at confirmation, as Stripe does; the form's copy only
    // when the PaymentIntent no longer says (a second answer).
    let return_url = pi
        .next_action
        .as_ref()
        .and_then(|a| a["redirect_to_url"]["return_url"].as_str())
        .or_else(|| p.str("return_url"))
        .unwrap_or_default()
        .to_string();
    // A URL that cannot be a `Location` header (control characters, say) is refused before
    // anything changes.
    if return_url.is_empty() || HeaderValue::from_str(&return_url).is_err() {
        return (StatusCode::BAD_REQUEST, "Invalid return_url").into_response();
    }
    let _ = account.authenticate(&id, complete, View::Publishable);
    let status = account
        .payment_intents
        .get(&id)
        .map(|pi| pi.status)
        .unwrap_or(crate::model::PiStatus::RequiresPaymentMethod);
    sim.commit(&mut account).await;
    let redirect_status = match status {
        crate::model::PiStatus::Succeeded | crate::model::PiStatus::RequiresCapture => "succeeded",
        crate::model::PiStatus::Processing => "processing",
        _ => "failed",
    };
    let separator = if return_url.contains('?') { '&' } else { '?' };
    let target = format!(
        "{return_url}{separator}payment_intent={id}&payment_intent_client_secret={}&redirect_status={redirect_status}",
        form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
    );
    match HeaderValue::from_str(&target) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "Invalid return_url").into_response(),
    }
}
