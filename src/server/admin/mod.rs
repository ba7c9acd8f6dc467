//! The merchant's side: sign-in, the guard every admin function and route calls itself,
//! protection against cross-site requests, orders and refunds.

pub mod auth;

use super::db::{self, OrderFilter};
use super::stripe::client::CreateRefund;
use super::{checkout, AppState};
use crate::api::admin::{AdminOrderDetail, AdminOrderRow, OrdersPage, RefundView};
use crate::domain::money::{Currency, Money};
use crate::domain::order::{refundable, OrderStatus, RefundStatus};
use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

const ADMIN_KEY: &str = "admin";
pub const PAGE_SIZE: i64 = 25;

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract().await.map_err(|_| AppError::Internal)
}

/// Every admin server function starts here: no signed-in session, no answer.
pub async fn require_admin() -> Result<AppState, AppError> {
    let state = super::state()?;
    let signed_in = is_admin(&session().await?).await;
    if signed_in {
        Ok(state)
    } else {
        Err(super::reject(AppError::Unauthorized))
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
    let state = super::state()?;
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

/// Refuses state-changing admin requests sent from another site (the session cookie is
/// SameSite=Lax already; this checks `Sec-Fetch-Site` and `Origin` as well).
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let guarded = request.method() != Method::GET
        && (path.starts_with("/api/admin") || path.starts_with("/admin"));
    if guarded {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = matches!(fetch_site, Some("cross-site") | Some("same-site"));
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let foreign_origin = match (origin, host) {
            (Some(origin), Some(host)) => origin.split("://").nth(1) != Some(host),
            (Some(_), None) => true,
            _ => false,
        };
        if cross_site || foreign_origin {
            tracing::warn!(%path, "cross-site admin request refused");
            return (StatusCode::FORBIDDEN, AppError::CrossSite.to_string()).into_response();
        }
    }
    next.run(request).await
}

pub fn parse_filter(
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    search: Option<String>,
) -> Result<OrderFilter, AppError> {
    let day = |s: Option<String>, end: bool| -> Result<Option<i64>, AppError> {
        match s.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(text) => parse_date(&text)
                .map(|d| Some(if end { d + 86_400 } else { d }))
                .ok_or_else(|| {
                    AppError::RefundRefused(format!("“{text}” is not a date like 2026-11-21."))
                }),
        }
    };
    let status = status.filter(|s| !s.is_empty());
    if let Some(s) = &status {
        OrderStatus::parse(s)
            .ok_or_else(|| AppError::RefundRefused(format!("Unknown status “{s}”.")))?;
    }
    Ok(OrderFilter {
        status,
        from: day(from, false)?,
        to: day(to, true)?,
        search: search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    })
}

/// `YYYY-MM-DD` → unix seconds at 00:00 UTC.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

pub async fn orders_page(
    state: &AppState,
    filter: &OrderFilter,
    after: Option<String>,
) -> Result<OrdersPage, AppError> {
    let cursor = after.as_deref().and_then(|c| {
        let (t, id) = c.split_once('_').map(|(t, rest)| (t, rest.to_string()))?;
        Some((t.parse::<i64>().ok()?, id))
    });
    let mut rows = db::admin_orders(&state.pool, filter, cursor, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = if more {
        rows.last().map(|r| format!("{}_{}", r.created_at, r.id))
    } else {
        None
    };
    let counts = db::status_counts(&state.pool, filter).await?;
    let orders = rows
        .into_iter()
        .map(|r| {
            let currency = Currency::parse(&r.currency).map_err(|_| AppError::Internal)?;
            Ok(AdminOrderRow {
                status: OrderStatus::parse(&r.status).unwrap_or(OrderStatus::Pending),
                total: Money::new(r.total_minor, currency),
                id: r.id,
                email: r.email,
                payment_intent_id: r.payment_intent_id,
                created_at: r.created_at,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(OrdersPage {
        orders,
        next,
        counts,
    })
}

pub async fn order(state: &AppState, id: &str) -> Result<Option<AdminOrderDetail>, AppError> {
    let Some(view) = checkout::order_view(state, id).await? else {
        return Ok(None);
    };
    let row = db::order_by_id(&state.pool, id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    let order_state = row.order_state()?;
    let timeline = db::order_timeline(&state.pool, id).await?;
    let known = &order_state.refunds;
    let refunds = db::refund_requests(&state.pool, id)
        .await?
        .into_iter()
        .map(|(refund_id, amount)| {
            let status = refund_id
                .as_ref()
                .and_then(|r| known.get(r))
                .map(|r| r.status);
            RefundView {
                amount: Money::new(amount, view.total.currency.clone()),
                state: match status {
                    None | Some(RefundStatus::Pending) => "pending".into(),
                    Some(RefundStatus::Succeeded) => "succeeded".into(),
                    Some(RefundStatus::Failed) => "failed".into(),
                    Some(RefundStatus::Canceled) => "canceled".into(),
                },
            }
        })
        .collect();
    let dashboard = (state.payments.mode != crate::api::site::PaymentsMode::Simulated)
        .then(|| {
            row.payment_intent_id.as_ref().map(|pi| {
                let test = if state.payments.mode == crate::api::site::PaymentsMode::Live {
                    ""
                } else {
                    "test/"
                };
                format!("https://dashboard.stripe.com/{test}payments/{pi}")
            })
        })
        .flatten();
    Ok(Some(AdminOrderDetail {
        refundable: Money::new(refundable(&order_state), view.total.currency.clone()),
        order: view,
        payment_intent_id: row.payment_intent_id,
        dashboard_url: dashboard,
        timeline,
        refunds,
    }))
}

/// Sends a refund to Stripe once per attempt key; its outcome arrives by webhook.
pub async fn refund(
    state: &AppState,
    order_id: &str,
    amount: &str,
    reason: Option<String>,
    attempt_key: &str,
) -> Result<String, AppError> {
    let row = db::order_by_id(&state.pool, order_id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    let order_state = row.order_state()?;
    let currency = Currency::parse(&row.currency).map_err(|_| AppError::Internal)?;
    let amount = Money::parse_major(amount, &currency)
        .map_err(|_| {
            AppError::RefundRefused(format!("“{}” is not an amount like 12.50.", amount.trim()))
        })?
        .minor;
    let left = refundable(&order_state);
    if left == 0 {
        return Err(AppError::RefundRefused(
            "Only a paid order can be refunded, and this one has nothing left to refund.".into(),
        ));
    }
    if amount < 1 || amount > left {
        return Err(AppError::RefundRefused(format!(
            "You can refund between {} and {}.",
            Money::new(1, currency.clone()),
            Money::new(left, currency)
        )));
    }
    if let Some(r) = &reason {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str()) {
            return Err(AppError::RefundRefused(
                "Choose a reason from the list.".into(),
            ));
        }
    }
    if attempt_key.len() < 8
        || attempt_key.len() > 64
        || !attempt_key.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(AppError::RefundRefused(
            "This form has expired; reload the page.".into(),
        ));
    }
    let pi = row.payment_intent_id.clone().ok_or(AppError::Internal)?;
    db::record_refund_request(
        &state.pool,
        attempt_key,
        order_id,
        amount,
        reason.as_deref(),
    )
    .await?;
    let request = CreateRefund {
        payment_intent: pi,
        amount: Some(amount),
        reason,
    };
    let refund = match checkout::client(state)
        .create_refund(&request, &format!("refund-{order_id}-{attempt_key}"))
        .await
    {
        Ok(refund) => refund,
        Err(e) => {
            tracing::error!(error = %e, "refund failed");
            db::forget_refund_request(&state.pool, attempt_key).await?;
            return Err(AppError::RefundRefused(match e {
                super::stripe::client::StripeError::InvalidRequest { message, .. } => message,
                other => other.shopper_message(),
            }));
        }
    };
    db::set_refund_id(&state.pool, attempt_key, &refund.id).await?;
    Ok(format!(
        "Refund of {} sent to Stripe; it shows as pending until Stripe confirms it.",
        Money::new(amount, currency)
    ))
}

/// The last `days` days, today included (UTC).
pub async fn analytics(
    state: &AppState,
    now: i64,
    days: i64,
) -> Result<crate::domain::analytics::Analytics, AppError> {
    use crate::domain::analytics::{summarise, Inputs};
    let from_day = (now.div_euclid(86_400) - (days - 1)) * 86_400;
    let pool = &state.pool;
    let (orders_placed, orders_paid) = db::order_counts(pool, from_day).await?;
    let (attempts_succeeded, attempts_failed) = db::payment_attempts(pool, from_day).await?;
    Ok(summarise(Inputs {
        currency: state.config.currency.clone(),
        from_day,
        days,
        by_day: db::revenue_by_day(pool, from_day).await?,
        orders_placed,
        orders_paid,
        attempts_succeeded,
        attempts_failed,
        refunded: db::refunded_total(pool, from_day).await?,
        top: db::top_products(pool, from_day, 5).await?,
    }))
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// `GET /admin/orders.csv?status=&from=&to=&q=`: the filtered orders, streamed page by page.
pub async fn export_csv(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !is_admin(&session).await {
        return (StatusCode::UNAUTHORIZED, AppError::Unauthorized.to_string()).into_response();
    }
    let get = |k: &str| query.get(k).cloned();
    let filter = match parse_filter(get("status"), get("from"), get("to"), get("q")) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let header = futures::stream::once(async {
        Ok::<_, std::io::Error>(
            "id,placed_utc,email,status,currency,total,payment_intent\n".to_string(),
        )
    });
    let rows = futures::stream::unfold(Some(None::<(i64, String)>), move |cursor| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let after = cursor?;
            let page = match db::admin_orders(&state.pool, &filter, after, 500).await {
                Ok(page) => page,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let next = (page.len() == 500)
                .then(|| page.last().map(|r| (r.created_at, r.id.clone())))
                .flatten();
            let mut chunk = String::new();
            for r in &page {
                let total = Currency::parse(&r.currency)
                    .map(|c| Money::new(r.total_minor, c).to_major_string())
                    .unwrap_or_default();
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{}\n",
                    csv_field(&r.id),
                    crate::pages::admin::day(r.created_at),
                    csv_field(&r.email),
                    r.status,
                    r.currency,
                    total,
                    csv_field(r.payment_intent_id.as_deref().unwrap_or(""))
                ));
            }
            if page.is_empty() {
                return None;
            }
            Some((Ok(chunk), next.map(Some)))
        }
    });
    use futures::StreamExt;
    let body = axum::body::Body::from_stream(header.chain(rows));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}
