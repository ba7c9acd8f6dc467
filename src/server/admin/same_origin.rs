//! Refusing cross-site requests to the admin.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
