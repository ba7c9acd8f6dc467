//! The hosted Checkout page (what a Session's `url` opens, https://docs.stripe.com/checkout/quickstart):
//! `GET /c/pay/{id}` shows the line items, the total and a card form; `POST /c/pay/{id}` pays
//! (declines come back on the page, retryable); 3-D Secure cards go through the simulator's
//! redirect challenge and come back to `GET /c/pay/{id}/return`; success sends the shopper to
//! the Session's `success_url`.
//!
//! Server-rendered, without any script, under a strict Content-Security-Policy: nothing but
//! the page's own nonced stylesheet may load, and no site may frame it.

use super::pipeline::{parse_body, Request};
use super::Simulator;
use crate::engine::{format_amount, PageForm, PageOutcome, Params, ShippingForm};
use crate::model::{CheckoutSession, SessionStatus};
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Countries offered for the billing address.
const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("CA", "Canada"),
    ("AU", "Australia"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("IE", "Ireland"),
    ("JP", "Japan"),
];

/// Which route the page is shown on: its form posts to `/c/pay/{id}` relative to it.
#[derive(Clone, Copy)]
enum At {
    Page,
    Return,
}

/// What to put back in the form after a failed attempt (never the card details).
#[derive(Default)]
struct Kept {
    email: String,
    name: String,
    country: String,
    postal_code: String,
    shipping: [String; 7],
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn nonce() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn html(status: u16, nonce: &str, body: String) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response =
        (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found_page() -> Response {
    let n = nonce();
    html(
        404,
        &n,
        shell(
            &n,
            "Not found",
            "<section class=\"state\"><h1>Something went wrong</h1><p>This payment page does not exist.</p></section>".into(),
        ),
    )
}

fn redirect(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "Invalid redirect URL").into_response(),
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Ubuntu,sans-serif;color:#1a1f36;background:#f6f9fc}
.wrap{max-width:60rem;margin:0 auto;padding:2rem 1rem;display:grid;gap:2rem;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr))}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;background:#ffde92;color:#983705;font-weight:600;font-size:11px;text-transform:uppercase;letter-spacing:.04em}
.back{display:inline-block;margin-bottom:1rem;color:#635bff;text-decoration:none}.back:focus-visible,a:focus-visible{outline:3px solid #7a73ff;outline-offset:2px}
h1{font-size:1rem;color:#697386;font-weight:500;margin:1rem 0 .25rem}.total{font-size:2rem;font-weight:600;margin:0 0 1.5rem}
table{width:100%;border-collapse:collapse;font-size:.95rem}td{padding:.5rem 0;vertical-align:top}td.amount{text-align:right}.qty{color:#697386;font-size:.85rem}
tfoot td{border-top:1px solid #e3e8ee;font-weight:600}
form{background:#fff;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:1.5rem;display:grid;gap:.9rem}
fieldset{border:0;padding:0;margin:0;display:grid;gap:.6rem}legend{font-weight:600;margin-bottom:.4rem}
label{display:grid;gap:.25rem;font-size:.85rem;color:#3c4257;min-width:0}.row{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6rem}
input,select{width:100%;min-width:0;font:inherit;font-size:1rem;padding:.6rem .7rem;border:1px solid #cfd7df;border-radius:6px;background:#fff;color:#1a1f36}
input:focus,select:focus{outline:2px solid #635bff;outline-offset:0;border-color:#635bff}input[readonly]{background:#f6f9fc}
button{font:inherit;font-size:1rem;font-weight:600;padding:.8rem;border:0;border-radius:6px;background:#635bff;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #1a1f36;outline-offset:2px}
.error{color:#df1b41;background:#fff5f7;border:1px solid #df1b41;border-radius:6px;padding:.6rem .8rem;margin:0}
.hint{font-size:.8rem;color:#697386;margin:0}.state{grid-column:1/-1;background:#fff;border-radius:8px;padding:2rem;text-align:center}
"#;

fn shell(nonce: &str, title: &str, main: String) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>{title}</title><style nonce="{nonce}">{STYLE}</style></head><body><main class="wrap">{main}</main></body></html>"#,
        title = esc(title),
    )
}

fn field(label: &str, name: &str, value: &str, attrs: &str) -> String {
    format!(
        r#"<label>{label}<input name="{name}" value="{value}" {attrs}></label>"#,
        label = esc(label),
        value = esc(value),
    )
}

fn select(label: &str, name: &str, options: &[(String, String)], chosen: &str) -> String {
    let opts: String = options
        .iter()
        .map(|(code, text)| {
            format!(
                r#"<option value="{code}"{sel}>{text}</option>"#,
                code = esc(code),
                text = esc(text),
                sel = if code == chosen { " selected" } else { "" },
            )
        })
        .collect();
    format!(
        r#"<label>{label}<select name="{name}" autocomplete="country">{opts}</select></label>"#,
        label = esc(label)
    )
}

fn summary(session: &CheckoutSession) -> String {
    let rows: String = session
        .line_items
        .iter()
        .map(|item| {
            format!(
                r#"<tr><td>{name}<br><span class="qty">Qty {qty} × {unit}</span></td><td class="amount">{amount}</td></tr>"#,
                name = esc(&item.name),
                qty = item.quantity,
                unit = esc(&format_amount(item.unit_amount, &item.currency)),
                amount = esc(&format_amount(item.amount(), &item.currency)),
            )
        })
        .collect();
    let total = esc(&format_amount(session.amount_subtotal(), &session.currency));
    let back = match &session.cancel_url {
        Some(url) if session.status == SessionStatus::Open => {
            format!(r#"<a class="back" href="{}">← Back</a><br>"#, esc(url))
        }
        _ => String::new(),
    };
    format!(
        r#"<section aria-label="Order summary">{back}<span class="badge">Test mode</span><h1>Pay Stripe simulator</h1><p class="total" id="total">{total}</p><table><tbody>{rows}</tbody><tfoot><tr><td>Total due</td><td class="amount">{total}</td></tr></tfoot></table></section>"#
    )
}

fn render(
    nonce: &str,
    session: &CheckoutSession,
    at: At,
    error: Option<&str>,
    kept: &Kept,
) -> String {
    let summary = summary(session);
    let main = match session.status {
        SessionStatus::Expired => format!(
            r#"{summary}<section class="state" role="status"><h2>This Checkout Session has expired</h2><p>Nothing was charged.</p>{back}</section>"#,
            back = session
                .cancel_url
                .as_ref()
                .map(|u| format!(r#"<p><a href="{}">Return to the shop</a></p>"#, esc(u)))
                .unwrap_or_default()
        ),
        SessionStatus::Complete => format!(
            r#"{summary}<section class="state" role="status"><h2>Payment complete</h2><p>{what}</p>{next}</section>"#,
            what = if session.payment_status == "paid" {
                "Thank you, your payment was received."
            } else {
                "Thank you, your payment is being processed."
            },
            next = session
                .success_target()
                .map(|u| format!(r#"<p><a href="{}">Continue</a></p>"#, esc(&u)))
                .unwrap_or_default()
        ),
        SessionStatus::Open => {
            let action = match at {
                At::Page => esc(&session.id),
                At::Return => format!("../{}", esc(&session.id)),
            };
            let email_value = session.customer_email.as_deref().unwrap_or(&kept.email);
            let email_attrs = if session.customer_email.is_some() {
                r#"type="email" autocomplete="email" required readonly"#
            } else {
                r#"type="email" autocomplete="email" required"#
            };
            let countries: Vec<(String, String)> = COUNTRIES
                .iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect();
            let shipping = match &session.allowed_countries {
                None => String::new(),
                Some(allowed) => {
                    let options: Vec<(String, String)> = allowed
                        .iter()
                        .map(|c| {
                            let name = COUNTRIES
                                .iter()
                                .find(|(code, _)| code == c)
                                .map(|(_, n)| n.to_string())
                                .unwrap_or_else(|| c.clone());
                            (c.clone(), name)
                        })
                        .collect();
                    let s = &kept.shipping;
                    format!(
                        r#"<fieldset><legend>Shipping address</legend>{}{}{}<div class="row">{}{}</div><div class="row">{}{}</div></fieldset>"#,
                        field(
                            "Full name",
                            "shipping_name",
                            &s[0],
                            r#"autocomplete="shipping name" required"#
                        ),
                        field(
                            "Address line 1",
                            "shipping_line1",
                            &s[1],
                            r#"autocomplete="shipping address-line1" required"#
                        ),
                        field(
                            "Address line 2",
                            "shipping_line2",
                            &s[2],
                            r#"autocomplete="shipping address-line2""#
                        ),
                        field(
                            "City",
                            "shipping_city",
                            &s[3],
                            r#"autocomplete="shipping address-level2""#
                        ),
                        field(
                            "State",
                            "shipping_state",
                            &s[4],
                            r#"autocomplete="shipping address-level1""#
                        ),
                        field(
                            "Postal code",
                            "shipping_postal_code",
                            &s[5],
                            r#"autocomplete="shipping postal-code""#
                        ),
                        select("Country", "shipping_country", &options, &s[6]),
                    )
                }
            };
            let error = error
                .map(|m| format!(r#"<p class="error" role="alert" id="error">{}</p>"#, esc(m)))
                .unwrap_or_default();
            let country = if kept.country.is_empty() {
                "US"
            } else {
                &kept.country
            };
            format!(
                r#"{summary}<section aria-label="Payment"><form method="post" action="{action}" novalidate>{error}<fieldset><legend>Contact information</legend>{email}</fieldset>{shipping}<fieldset><legend>Payment method</legend>{number}<div class="row">{expiry}{cvc}</div>{name}<div class="row">{country}{postal}</div></fieldset><button type="submit">Pay {total}</button><p class="hint">Test mode: use 4242 4242 4242 4242 with any future date and any CVC. 4000 0000 0000 0002 is declined, 4000 0025 0000 3155 asks for 3-D Secure, 4000 0099 0000 0004 stays processing for a while.</p></form></section>"#,
                email = field("Email", "email", email_value, email_attrs),
                number = field(
                    "Card number",
                    "number",
                    "",
                    r#"inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" required"#
                ),
                expiry = field(
                    "Expiration",
                    "expiry",
                    "",
                    r#"inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" required"#
                ),
                cvc = field(
                    "CVC",
                    "cvc",
                    "",
                    r#"inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" required"#
                ),
                name = field(
                    "Cardholder name",
                    "name",
                    &kept.name,
                    r#"autocomplete="cc-name""#
                ),
                country = select("Country or region", "country", &countries, country),
                postal = field(
                    "ZIP / postal code",
                    "postal_code",
                    &kept.postal_code,
                    r#"autocomplete="postal-code""#
                ),
                total = esc(&format_amount(session.amount_subtotal(), &session.currency)),
            )
        }
    };
    shell(nonce, "Stripe simulator Checkout", main)
}

/// Renders `session`'s page with a fresh nonce.
fn respond_page(
    status: u16,
    session: &CheckoutSession,
    at: At,
    error: Option<&str>,
    kept: &Kept,
) -> Response {
    let n = nonce();
    html(status, &n, render(&n, session, at, error, kept))
}

pub(super) async fn show(AxState(sim): AxState<Simulator>, Path(id): Path<String>) -> Response {
    let mut account = sim.inner.account.lock().await;
    account.expire_due_checkout_sessions();
    let Some(session) = account.checkout_sessions.get(&id).cloned() else {
        drop(account);
        return not_found_page();
    };
    sim.commit(&mut account).await;
    drop(account);
    respond_page(200, &session, At::Page, None, &Kept::default())
}

pub(super) async fn pay(
    AxState(sim): AxState<Simulator>,
    method: Method,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let request = Request::new(method, &original, &uri, headers);
    let params = match parse_body(body).await {
        Ok(p) => p,
        Err(e) => {
            return (
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                "Invalid request",
            )
                .into_response()
        }
    };
    let p = Params(&params);
    let get = |k: &str| p.str(k).unwrap_or_default();
    let kept = Kept {
        email: get("email").to_string(),
        name: get("name").to_string(),
        country: get("country").to_string(),
        postal_code: get("postal_code").to_string(),
        shipping: [
            "shipping_name",
            "shipping_line1",
            "shipping_line2",
            "shipping_city",
            "shipping_state",
            "shipping_postal_code",
            "shipping_country",
        ]
        .map(|k| get(k).to_string()),
    };
    let shipping = params.get("shipping_line1").map(|_| ShippingForm {
        name: get("shipping_name"),
        line1: get("shipping_line1"),
        line2: get("shipping_line2"),
        city: get("shipping_city"),
        state: get("shipping_state"),
        postal_code: get("shipping_postal_code"),
        country: get("shipping_country"),
    });
    let form = PageForm {
        email: get("email"),
        name: get("name"),
        number: get("number"),
        expiry: get("expiry"),
        cvc: get("cvc"),
        country: get("country"),
        postal_code: get("postal_code"),
        shipping,
    };
    let mut account = sim.inner.account.lock().await;
    let outcome = account.pay_checkout_session(&id, &form, request.base_url());
    let session = account.checkout_sessions.get(&id).cloned();
    sim.commit(&mut account).await;
    drop(account);
    finish(outcome.map_err(|e| e.body), session, At::Page, &kept)
}

pub(super) async fn back_from_authentication(
    AxState(sim): AxState<Simulator>,
    Path(id): Path<String>,
) -> Response {
    let mut account = sim.inner.account.lock().await;
    let outcome = account.checkout_return(&id);
    let session = account.checkout_sessions.get(&id).cloned();
    sim.commit(&mut account).await;
    drop(account);
    finish(
        outcome.map_err(|e| e.body),
        session,
        At::Return,
        &Kept::default(),
    )
}

fn finish(
    outcome: Result<PageOutcome, Value>,
    session: Option<CheckoutSession>,
    at: At,
    kept: &Kept,
) -> Response {
    let Some(session) = session else {
        return not_found_page();
    };
    match outcome {
        Ok(PageOutcome::Redirect(url)) => redirect(&url),
        Ok(PageOutcome::Retry { status, message }) => {
            respond_page(status, &session, at, Some(&message), kept)
        }
        Ok(PageOutcome::Show) => respond_page(200, &session, at, None, kept),
        Err(body) => {
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("Something went wrong. Please try again.")
                .to_string();
            respond_page(400, &session, at, Some(&message), kept)
        }
    }
}
