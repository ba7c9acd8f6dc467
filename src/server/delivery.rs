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

/// The bundle's folder as build-site.sh names it (`pkg/<16 hex digits>`, its content's hash),
/// read from `bundle.txt` beside the server binary, if that folder is in the site. None for a
/// binary built another way (`cargo leptos`, which writes `pkg/` itself and serves it uncached).
pub fn bundle_dir_beside_binary(site_root: &str) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let Ok(text) = std::fs::read_to_string(exe.parent()?.join("bundle.txt")) else {
        if !std::path::Path::new(site_root)
            .join("pkg/checkout.js")
            .exists()
        {
            tracing::warn!(
                "no bundle.txt beside the binary and no {site_root}/pkg/checkout.js: pages will \
                 not hydrate (build with scripts/build-site.sh, which writes both)"
            );
        }
        return None;
    };
    let dir = text.trim();
    if !is_bundle_dir(dir) {
        tracing::warn!("bundle.txt names {dir:?}, not pkg/<hash>: serving pkg/ uncached");
        return None;
    }
    if !std::path::Path::new(site_root).join(dir).is_dir() {
        tracing::warn!("bundle.txt names {dir}, which {site_root} lacks: serving pkg/ uncached");
        return None;
    }
    Some(dir.to_string())
}

fn is_bundle_dir(dir: &str) -> bool {
    dir.strip_prefix("pkg/")
        .is_some_and(|hash| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A file inside a content-named bundle folder: `/pkg/<16 hex digits>/<file>`.
fn is_hashed_asset(path: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|p| p.rsplit_once('/'))
        .is_some_and(|(dir, file)| is_bundle_dir(dir) && !file.is_empty())
}

/// Files from `public/` (images, the icon) as opposed to pages and API routes.
fn is_static_file(path: &str) -> bool {
    path.starts_with("/images/") || path == "/favicon.svg"
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_files_in_a_content_named_bundle_folder_are_cached_for_good() {
        assert!(is_hashed_asset("/pkg/0123456789abcdef/checkout.wasm"));
        assert!(is_hashed_asset("/pkg/0123456789abcdef/split_admin_0.wasm"));
        assert!(is_hashed_asset("/pkg/0123456789abcdef/__wasm_split.js"));
        assert!(!is_hashed_asset("/pkg/checkout.wasm"));
        assert!(!is_hashed_asset("/pkg/checkout.css"));
        assert!(!is_hashed_asset("/products/mug"));
        assert!(!is_hashed_asset("/pkg/0123456789abcdeg/checkout.js"));
        assert!(!is_hashed_asset("/pkg/0123456789abcdef/"));
        assert!(!is_hashed_asset("/pkg/0123456789abcdef/x/y.js"));
        assert!(!is_hashed_asset("/x/pkg/0123456789abcdef/checkout.js"));
    }
}
