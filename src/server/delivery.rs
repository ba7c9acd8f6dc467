//! How responses travel: compressed when the browser accepts it, and cached only where a
//! stale copy cannot be seen (assets whose name is their content's hash).

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Compresses pages and server-function answers (brotli or gzip at quality 1: done per response,
/// so speed matters more than the last bytes — measured on `/` for a returning visitor at 16
/// connections, brotli 4 made 2,716-byte pages at about 4,300/s, brotli 1 3,092-byte pages at
/// about 5,150/s, uncompressed about 5,600/s). The bundle is precompressed at build time (brotli
/// 11) and served as it is; the debug
/// wasm (megabytes) is left alone rather than compressed per request; Server-Sent Events and
/// images are never compressed.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(1))
        .compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/wasm")),
        )
}

/// `Cache-Control` by what a response is: a content-hashed asset for a year (immutable);
/// other static files for an hour; pages and API answers never (stock and prices change).
pub async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if response.headers().contains_key(header::CACHE_CONTROL) || !response.status().is_success() {
        return response;
    }
    let value = if is_hashed_asset(&path) {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/pkg/") {
        "no-cache"
    } else if is_static_file(&path) {
        "public, max-age=3600"
    } else {
        "no-cache, private"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// `/pkg/checkout.<16 hex digits>.<ext>`, as build-site.sh names the bundle.
fn is_hashed_asset(path: &str) -> bool {
    let Some(name) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3 && parts[1].len() == 16 && parts[1].chars().all(|c| c.is_ascii_hexdigit())
}

/// Files from `public/` (images, the icon) as opposed to pages and API routes.
fn is_static_file(path: &str) -> bool {
    path.starts_with("/images/") || path == "/favicon.svg"
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_content_hashed_bundle_names_are_cached_for_good() {
        assert!(is_hashed_asset("/pkg/checkout.0123456789abcdef.wasm"));
        assert!(is_hashed_asset("/pkg/checkout.0123456789abcdef.js"));
        assert!(!is_hashed_asset("/pkg/checkout.wasm"));
        assert!(!is_hashed_asset("/pkg/checkout.css"));
        assert!(!is_hashed_asset("/products/mug"));
        assert!(!is_hashed_asset("/pkg/checkout.0123456789abcdeg.js"));
    }
}
