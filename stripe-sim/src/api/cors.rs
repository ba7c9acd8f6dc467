//! CORS only where Stripe.js needs it. The Stripe.js stand-in and its frames call a few routes
//! from a shop's pages with the publishable key: retrieving and confirming a PaymentIntent with
//! its client secret, creating a PaymentMethod or a ConfirmationToken, answering a 3-D Secure
//! challenge, and loading
//! the `/v3` assets. Those answer any origin (`Access-Control-Allow-Origin: *`, no cookies
//! involved: the key travels in the `Authorization` header). Every other route, the secret-key
//! REST API and the `/_sim` control API, sends no CORS header and answers no preflight, so a
//! browser never lets another site's script read it.

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const ALLOW_HEADERS: &str =
    "authorization, content-type, idempotency-key, stripe-version, stripe-account";
const EXPOSE_HEADERS: &str = "request-id, idempotent-replayed, stripe-version";

/// Whether `method path` (relative to where the simulator is mounted) is called by Stripe.js
/// from a shop's pages.
pub(crate) fn browser_route(method: &Method, path: &str) -> bool {
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = path.split('/').collect();
    let id = |s: &str| !s.is_empty();
    match (method, segments.as_slice()) {
        (&Method::GET, ["v3"] | ["v3", ""]) => true,
        (&Method::GET, ["v3", "stripe.js" | "elements-inner.html" | "three-ds-challenge.html"]) => {
            true
        }
        (&Method::GET, ["v1", "payment_intents", pi]) => id(pi),
        (&Method::POST, ["v1", "payment_intents", pi, "confirm"]) => id(pi),
        (&Method::POST, ["v1", "payment_methods"]) => true,
        (&Method::POST, ["v1", "confirmation_tokens"]) => true,
        (&Method::POST, ["_sim", "3ds", pi]) => id(pi),
        _ => false,
    }
}

/// The middleware: answers preflights for browser routes, marks their responses, and leaves
/// every other request alone.
pub(super) async fn cors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let headers = request.headers();
    if request.method() == Method::OPTIONS && headers.contains_key(ORIGIN) {
        if let Some(wanted) = headers
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        {
            if browser_route(&wanted, &path) {
                return preflight(&path);
            }
            // Not for browsers: the router's own answer, without CORS headers.
            return next.run(request).await;
        }
    }
    let marked = browser_route(request.method(), &path);
    let mut response = next.run(request).await;
    if marked {
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    response
}

fn preflight(path: &str) -> Response {
    let methods: Vec<&str> = [Method::GET, Method::POST]
        .iter()
        .filter(|m| browser_route(m, path))
        .map(Method::as_str)
        .collect();
    let methods =
        HeaderValue::from_str(&methods.join(", ")).unwrap_or(HeaderValue::from_static("GET"));
    (
        StatusCode::NO_CONTENT,
        [
            (ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
            (ACCESS_CONTROL_ALLOW_METHODS, methods),
            (
                ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            ),
            (ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600")),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::browser_route;
    use axum::http::Method;

    #[test]
    fn only_what_stripe_js_calls_is_a_browser_route() {
        let (get, post, delete) = (Method::GET, Method::POST, Method::DELETE);
        for path in [
            "/v3",
            "/v3/",
            "/v3/stripe.js",
            "/v3/elements-inner.html",
            "/v3/three-ds-challenge.html",
            "/v1/payment_intents/pi_1",
        ] {
            assert!(browser_route(&get, path), "{path}");
        }
        for path in [
            "/v1/payment_intents/pi_1/confirm",
            "/v1/payment_methods",
            "/v1/confirmation_tokens",
            "/_sim/3ds/pi_1",
        ] {
            assert!(browser_route(&post, path), "{path}");
        }
        for (method, path) in [
            (&post, "/v1/payment_intents"),
            (&get, "/v1/payment_intents"),
            (&post, "/v1/payment_intents/pi_1"),
            (&post, "/v1/payment_intents/pi_1/capture"),
            (&post, "/v1/payment_intents/pi_1/cancel"),
            (&post, "/v1/payment_intents//confirm"),
            (&get, "/v1/payment_methods/pm_1"),
            (&get, "/v1/confirmation_tokens/ctoken_1"),
            (&post, "/v1/test_helpers/confirmation_tokens"),
            (&post, "/v1/refunds"),
            (&get, "/v1/events"),
            (&delete, "/v1/webhook_endpoints/we_1"),
            (&post, "/_sim/reset"),
            (&get, "/_sim/faults"),
            (&get, "/_sim/3ds/pi_1/redirect"),
            (&post, "/_sim/3ds/pi_1/redirect"),
            (&get, "/_sim/demo.html"),
            (&get, "/v3/other.js"),
            (&get, "v3/"),
        ] {
            assert!(!browser_route(method, path), "{method} {path}");
        }
    }
}
