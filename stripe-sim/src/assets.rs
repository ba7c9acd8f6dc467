//! The Stripe.js stand-in and its pages, compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;

const STRIPE_JS: &str = include_str!("../assets/stripe.js");
const ELEMENTS_INNER: &str = include_str!("../assets/elements-inner.html");
const CHALLENGE: &str = include_str!("../assets/three-ds-challenge.html");
const DEMO: &str = include_str!("../assets/demo.html");

fn serve(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

pub async fn stripe_js() -> impl IntoResponse {
    serve("application/javascript; charset=utf-8", STRIPE_JS)
}

pub async fn elements_inner() -> impl IntoResponse {
    serve("text/html; charset=utf-8", ELEMENTS_INNER)
}

pub async fn challenge() -> impl IntoResponse {
    serve("text/html; charset=utf-8", CHALLENGE)
}

pub async fn demo() -> impl IntoResponse {
    serve("text/html; charset=utf-8", DEMO)
}
