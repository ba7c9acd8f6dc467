//! Refusing cross-site requests to the admin.

use crate::error::AppError;
use crate::server::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses state-changing admin requests sent from another site (the session cookie is
/// SameSite=Lax already). Browsers send `Sec-Fetch-Site` and `Origin` with every POST: the
/// first must say same-origin, the second must be the shop's own origin (`PUBLIC_URL`, so it
/// holds behind a proxy too). A request with neither is refused.
pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let guarded = request.method() != Method::GET
        && request.method() != Method::HEAD
        && (path.starts_with("/api/admin") || path.starts_with("/admin"));
    if guarded && !same_origin(request.headers(), &state.config.public_url) {
        tracing::warn!(%path, "cross-site admin request refused");
        return (StatusCode::FORBIDDEN, AppError::CrossSite.to_string()).into_response();
    }
    next.run(request).await
}

/// Whether the browser says the request comes from the shop's own pages.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or(""));
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or(""));
    let site_ok = fetch_site.is_none_or(|s| s == "same-origin" || s == "none");
    let origin_ok = origin.is_none_or(|o| o == origin_of(public_url));
    (fetch_site.is_some() || origin.is_some()) && site_ok && origin_ok
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_the_shops_own_pages_pass() {
        let shop = "https://shop.example/";
        assert!(same_origin(
            &headers(&[
                ("origin", "https://shop.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            shop
        ));
        assert!(same_origin(
            &headers(&[("origin", "https://shop.example")]),
            shop
        ));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            shop
        ));
        // Neither header: refused (no browser sends a POST without them).
        assert!(!same_origin(&headers(&[]), shop));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            shop
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), shop));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            shop
        ));
        assert!(!same_origin(
            &headers(&[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://shop.example")
            ]),
            shop
        ));
        // Behind a proxy the Host header is the proxy's business: only PUBLIC_URL counts.
        assert!(same_origin(
            &headers(&[
                ("origin", "https://shop.example"),
                ("host", "10.0.0.5:3000")
            ]),
            shop
        ));
    }
}
