//! The browser-side security headers, added to every response by one layer (see [`layer`]).
//!
//! - `Content-Security-Policy`: scripts only from this origin, from Stripe.js's origins, and the
//!   inline hydration script Leptos writes, which carries a nonce that is fresh for every
//!   response; no `'unsafe-inline'` for scripts or styles; frames only from Stripe (or the
//!   simulator); the shop may not be framed (`frame-ancestors 'none'`).
//! - `X-Frame-Options: DENY` for browsers without `frame-ancestors`.
//! - `X-Content-Type-Options: nosniff`.
//! - `Referrer-Policy: strict-origin-when-cross-origin`: other sites (Stripe among them, during
//!   3-D Secure and redirect methods) learn the shop's origin, never a page's path or query.
//! - `Strict-Transport-Security`, only when the shop is served over https (`PUBLIC_URL`).
//!
//! The embedded simulator's pages under [`SIMULATOR_PATH`] stand for another company's (Stripe's
//! iframes); they get that company's kind of policy: their own inline scripts and styles, and
//! framing by this origin only.
//!
//! How the nonce reaches the page: the layer makes a [`Nonce`] and puts it in the request's
//! extensions; [`provide_nonce`], called at the top of the HTML shell, reads it from the request
//! (leptos_axum provides the request's `Parts` as context) and provides it as context, which is
//! where `HydrationScripts` and Leptos's streaming scripts read it (`use_nonce`). The layer then
//! writes the same nonce into the response's policy.

use super::config::Config;
use super::payments::{Payments, SIMULATOR_PATH};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{from_fn_with_state, FromFnLayer, Next};
use axum::response::Response;
use futures::future::BoxFuture;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use std::sync::Arc;

/// What Stripe.js needs, as Stripe documents it
/// (<https://docs.stripe.com/security/guide#content-security-policy>).
const STRIPE_SCRIPT_SRC: &str = "https://js.stripe.com https://*.js.stripe.com";
const STRIPE_FRAME_SRC: &str =
    "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com";
const STRIPE_CONNECT_SRC: &str = "https://api.stripe.com";

/// What PayPal's JS SDK needs (https://developer.paypal.com/sdk/js/csp/): its scripts and
/// images, its API, and the frames and windows it opens, on PayPal's hosts.
const PAYPAL_SCRIPT_SRC: &str = "https://*.paypal.com https://*.paypalobjects.com";
const PAYPAL_FRAME_SRC: &str = "https://*.paypal.com";
const PAYPAL_CONNECT_SRC: &str = "https://*.paypal.com";
const PAYPAL_IMG_SRC: &str = "https://*.paypal.com https://*.paypalobjects.com";

/// For the simulator's own pages: its iframes run inline scripts and styles, and the shop frames
/// them.
const SIMULATOR_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; frame-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The nonce of one response, in its request's extensions.
#[derive(Clone)]
struct ResponseNonce(Nonce);

/// Where the payment form's code comes from, as a policy needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PaymentSources {
    /// Added to `script-src` and `connect-src` (a leading space, or empty).
    script: String,
    connect: String,
    /// The whole `frame-src` list.
    frame: String,
    /// Added to `img-src` (a leading space, or empty).
    img: String,
}

impl PaymentSources {
    /// From the Stripe.js URL the pages load: Stripe's own; the embedded simulator's (a path on
    /// this origin); or a Stripe-compatible server elsewhere (the standalone simulator), whose
    /// origin serves the script, the iframes and the API alike.
    fn for_js_url(js_url: &str) -> Self {
        match origin(js_url) {
            None => PaymentSources {
                script: String::new(),
                connect: String::new(),
                frame: "'self'".into(),
                img: String::new(),
            },
            Some(origin) if origin == "https://js.stripe.com" => PaymentSources {
                script: format!(" {STRIPE_SCRIPT_SRC}"),
                connect: format!(" {STRIPE_CONNECT_SRC}"),
                frame: STRIPE_FRAME_SRC.into(),
                img: String::new(),
            },
            Some(origin) => PaymentSources {
                script: format!(" {origin}"),
                connect: format!(" {origin}"),
                frame: origin,
                img: String::new(),
            },
        }
    }

    /// PayPal's SDK beside, when it comes from PayPal (the embedded simulator's is on this origin).
    fn with_paypal(mut self, js_url: Option<&str>) -> Self {
        if js_url
            .and_then(origin)
            .is_some_and(|o| o.ends_with(".paypal.com"))
        {
            self.script.push_str(&format!(" {PAYPAL_SCRIPT_SRC}"));
            self.connect.push_str(&format!(" {PAYPAL_CONNECT_SRC}"));
            self.frame.push_str(&format!(" {PAYPAL_FRAME_SRC}"));
            self.img.push_str(&format!(" {PAYPAL_IMG_SRC}"));
        }
        self
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased; `None` for a path.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // No credentials in a source expression.
    let host = authority.rsplit('@').next().unwrap_or_default();
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// The headers, worked out once from the configuration.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    payments: PaymentSources,
    /// Set when the embedded simulator is mounted.
    simulator_path: Option<&'static str>,
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(config: &Config, payments: &Payments) -> Self {
        SecurityHeaders {
            payments: PaymentSources::for_js_url(&payments.js_url)
                .with_paypal(payments.paypal.as_ref().map(|p| p.js_url.as_str())),
            simulator_path: payments
                .js_url
                .starts_with(&format!("{SIMULATOR_PATH}/"))
                .then_some(SIMULATOR_PATH),
            hsts: config.secure_cookies(),
        }
    }

    /// The shop's policy for a response whose inline scripts carry `nonce`.
    pub fn shop_policy(&self, nonce: &str) -> String {
        let PaymentSources {
            script,
            connect,
            frame,
            img,
        } = &self.payments;
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{script}; \
             style-src 'self'; img-src 'self'{img}; connect-src 'self'{connect}; frame-src {frame}; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }

    fn is_simulator(&self, path: &str) -> bool {
        self.simulator_path.is_some_and(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    fn apply(&self, path: &str, nonce: &str, headers: &mut HeaderMap) {
        let (policy, frame_options) = if self.is_simulator(path) {
            (SIMULATOR_POLICY.to_string(), "SAMEORIGIN")
        } else {
            (self.shop_policy(nonce), "DENY")
        };
        let value = |s: &str| HeaderValue::from_str(s).expect("header values are ASCII");
        headers.insert(header::CONTENT_SECURITY_POLICY, value(&policy));
        headers.insert(header::X_FRAME_OPTIONS, value(frame_options));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, value("nosniff"));
        headers.insert(
            header::REFERRER_POLICY,
            value("strict-origin-when-cross-origin"),
        );
        if self.hsts {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, value(HSTS));
        }
    }
}

type AddHeaders = fn(State<Arc<SecurityHeaders>>, Request, Next) -> BoxFuture<'static, Response>;

/// The layer, for every response of the router (pages, server functions, files, the simulator).
pub fn layer(
    config: &Config,
    payments: &Payments,
) -> FromFnLayer<AddHeaders, Arc<SecurityHeaders>, (State<Arc<SecurityHeaders>>, Request)> {
    let headers = Arc::new(SecurityHeaders::new(config, payments));
    from_fn_with_state(headers, add_headers as AddHeaders)
}

fn add_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    mut request: Request,
    next: Next,
) -> BoxFuture<'static, Response> {
    Box::pin(async move {
        let nonce = Nonce::new();
        let path = request.uri().path().to_string();
        request
            .extensions_mut()
            .insert(ResponseNonce(nonce.clone()));
        let mut response = next.run(request).await;
        headers.apply(&path, &nonce, response.headers_mut());
        response
    })
}

/// Called while the HTML shell renders: makes this response's nonce (the one in its policy) the
/// one Leptos writes on its inline scripts. Without the layer, Leptos keeps its own.
pub fn provide_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ResponseNonce>().cloned());
    if let Some(ResponseNonce(nonce)) = nonce {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(js_url: &str) -> SecurityHeaders {
        SecurityHeaders {
            payments: PaymentSources::for_js_url(js_url),
            simulator_path: js_url.starts_with("/stripe-sim/").then_some(SIMULATOR_PATH),
            hsts: false,
        }
    }

    #[test]
    fn the_embedded_simulator_is_this_origin() {
        assert_eq!(
            sources("/stripe-sim/v3/").shop_policy("N"),
            "default-src 'self'; script-src 'self' 'nonce-N' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self'; connect-src 'self'; frame-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn real_stripe_gets_what_stripe_documents() {
        assert_eq!(
            sources("https://js.stripe.com/v3/").shop_policy("N"),
            "default-src 'self'; script-src 'self' 'nonce-N' 'wasm-unsafe-eval' \
             https://js.stripe.com https://*.js.stripe.com; style-src 'self'; img-src 'self'; \
             connect-src 'self' https://api.stripe.com; \
             frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn a_standalone_simulator_is_allowed_by_its_origin() {
        let policy = sources("http://127.0.0.1:12111/v3/").shop_policy("N");
        assert!(policy
            .contains("script-src 'self' 'nonce-N' 'wasm-unsafe-eval' http://127.0.0.1:12111;"));
        assert!(policy.contains("connect-src 'self' http://127.0.0.1:12111;"));
        assert!(policy.contains("frame-src http://127.0.0.1:12111;"));
    }

    #[test]
    fn real_paypal_gets_what_paypal_documents_and_the_embedded_one_nothing() {
        let with = |paypal: &str| SecurityHeaders {
            payments: PaymentSources::for_js_url("https://js.stripe.com/v3/")
                .with_paypal(Some(paypal)),
            simulator_path: None,
            hsts: false,
        };
        let policy = with("https://www.sandbox.paypal.com/sdk/js").shop_policy("N");
        assert!(
            policy.contains(
                "https://*.js.stripe.com https://*.paypal.com https://*.paypalobjects.com;"
            ),
            "{policy}"
        );
        assert!(
            policy.contains("img-src 'self' https://*.paypal.com https://*.paypalobjects.com;"),
            "{policy}"
        );
        assert!(
            policy.contains("connect-src 'self' https://api.stripe.com https://*.paypal.com;"),
            "{policy}"
        );
        assert!(
            policy.contains("https://hooks.stripe.com https://*.paypal.com;"),
            "{policy}"
        );
        assert_eq!(
            with("/paypal-sim/sdk/js").shop_policy("N"),
            sources("https://js.stripe.com/v3/").shop_policy("N")
        );
        // A look-alike host is not PayPal.
        assert!(!with("https://www.paypal.com.evil.example/sdk/js")
            .shop_policy("N")
            .contains("paypal"));
    }

    #[test]
    fn origins_leave_out_paths_and_credentials() {
        assert_eq!(
            origin("HTTPS://user:pw@JS.Stripe.com/v3/?x#y").as_deref(),
            Some("https://js.stripe.com")
        );
        assert_eq!(origin("/stripe-sim/v3/"), None);
    }

    #[test]
    fn only_the_simulators_paths_get_its_policy() {
        let h = sources("/stripe-sim/v3/");
        assert!(h.is_simulator("/stripe-sim"));
        assert!(h.is_simulator("/stripe-sim/v3/elements-inner.html"));
        assert!(!h.is_simulator("/stripe-simulated"));
        assert!(!h.is_simulator("/"));
        assert!(!sources("https://js.stripe.com/v3/").is_simulator("/stripe-sim/v3/"));
    }

    /// The whole router, on a fresh database, with these settings.
    async fn router(vars: &[(&str, &str)]) -> axum::Router {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let db = std::env::temp_dir().join(format!("checkout-csp-{}-{n}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let url = format!("sqlite:{}", db.display());
        let config = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some(url.clone()),
            _ => vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string()),
        })
        .expect("test configuration");
        let options = leptos::config::LeptosOptions::builder()
            .output_name("checkout")
            .build();
        let (router, _) = crate::server::startup::build_router(config, options)
            .await
            .expect("app starts");
        router
    }

    async fn get(router: &axum::Router, path: &str) -> (HeaderMap, String) {
        use tower::ServiceExt;
        let request = Request::builder()
            .uri(path)
            .header(header::ACCEPT, "text/html")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (headers, String::from_utf8_lossy(&body).into_owned())
    }

    fn text(headers: &HeaderMap, name: header::HeaderName) -> &str {
        headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_page_has_its_own_nonce_the_same_in_its_policy_and_on_every_script() {
        let app = router(&[]).await;
        let mut nonces = Vec::new();
        for path in ["/", "/", "/cart", "/no-such-page"] {
            let (headers, body) = get(&app, path).await;
            let policy = text(&headers, header::CONTENT_SECURITY_POLICY);
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
                .to_string();
            assert!(nonce.len() >= 22, "{path}: a short nonce: {nonce}");
            assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
            let scripts: Vec<&str> = body
                .split("<script")
                .skip(1)
                .map(|tag| tag.split('>').next().unwrap_or_default())
                .collect();
            assert!(
                scripts.iter().any(|tag| tag.contains("type=\"module\"")),
                "{path}: no hydration script in {body}"
            );
            for tag in scripts {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "{path}: <script{tag}> lacks this response's nonce {nonce}"
                );
            }
            assert_eq!(text(&headers, header::X_FRAME_OPTIONS), "DENY");
            assert_eq!(text(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(
                text(&headers, header::REFERRER_POLICY),
                "strict-origin-when-cross-origin"
            );
            assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
            nonces.push(nonce);
        }
        let mut unique = nonces.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), nonces.len(), "a nonce was reused: {nonces:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_simulators_pages_may_be_framed_by_the_shop_only() {
        let app = router(&[]).await;
        let (headers, body) = get(&app, "/stripe-sim/v3/elements-inner.html").await;
        assert!(body.contains("<script>"), "{body}");
        assert_eq!(
            text(&headers, header::CONTENT_SECURITY_POLICY),
            SIMULATOR_POLICY
        );
        assert_eq!(text(&headers, header::X_FRAME_OPTIONS), "SAMEORIGIN");
        assert_eq!(text(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        // A path that only starts like the simulator's is the shop's.
        let (headers, _) = get(&app, "/stripe-simulated").await;
        assert!(text(&headers, header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn strict_transport_security_only_over_https() {
        let app = router(&[("PUBLIC_URL", "https://shop.example")]).await;
        let (headers, _) = get(&app, "/").await;
        assert_eq!(
            text(&headers, header::STRICT_TRANSPORT_SECURITY),
            "max-age=31536000; includeSubDomains"
        );
        let app = router(&[("PUBLIC_URL", "http://127.0.0.1:3000")]).await;
        let (headers, _) = get(&app, "/").await;
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
}
