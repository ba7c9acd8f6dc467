//! What every API request goes through, once: the API key (and which key may call what), then
//! the body (at most `form::MAX_BODY_BYTES`, read only once the key is known) and its
//! form-encoded parameters, a request id, injected faults, idempotency, then the operation on
//! the account, persistence of what it changed, and Stripe's response headers.

use super::idempotency::{self, IdempotencyKey};
use super::Simulator;
use crate::engine::{Account, ApiResult, Params};
use crate::form;
use crate::model::{ApiError, View, API_VERSION};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
    Secret,
    Publishable,
}

/// What an API request came to, before `respond` writes it out as HTTP.
pub(super) struct Outcome {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) replayed: bool,
    pub(super) drop_connection: bool,
}

impl Simulator {
    /// Runs one API operation with Stripe's request semantics around it.
    pub(super) async fn serve(
        &self,
        request: &Request,
        body: Body,
        allowed: &[Caller],
        op: impl FnOnce(&mut Account, &RequestContext) -> ApiResult,
    ) -> Response {
        let request_id = format!(
            "req_{}",
            &self.inner.account.lock().await.new_id("x")[2..16]
        );
        let outcome = self
            .serve_inner(request, body, allowed, op, &request_id)
            .await;
        respond(outcome, &request_id, &request.headers)
    }

    async fn serve_inner(
        &self,
        request: &Request,
        body: Body,
        allowed: &[Caller],
        op: impl FnOnce(&mut Account, &RequestContext) -> ApiResult,
        request_id: &str,
    ) -> Outcome {
        // The key first: nothing of the body is read for a caller without one.
        let caller = match self.authorize(&request.headers, allowed) {
            Ok(c) => c,
            Err(e) => return Outcome::error(e),
        };
        let params = match request.params(body).await {
            Ok(p) => p,
            Err(e) => return Outcome::error(e),
        };
        let faults = self.faults();
        let fail = self.roll(|f, rng| {
            f.failure_rate > 0.0
                && (f.failure_path.is_empty() || request.path.ends_with(&f.failure_path))
                && rng.gen_bool(f.failure_rate.clamp(0.0, 1.0))
        });
        let mut drop_connection = false;
        if fail {
            match faults.failure_kind.as_str() {
                "429" => return Outcome::error(ApiError::new(429, "invalid_request_error", "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.").code("rate_limit")),
                "409" => return Outcome::error(ApiError::new(409, "invalid_request_error", "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.").code("lock_timeout")),
                "drop" => drop_connection = true,
                _ => return Outcome::error(ApiError::new(500, "api_error", "An unknown error occurred while processing your request. (simulated)")),
            }
        }

        let idempotency = match IdempotencyKey::of(request, self.key_of(caller)) {
            Ok(key) => key,
            Err(e) => return Outcome::error(e),
        };
        let fingerprint = idempotency::fingerprint(request, &params);
        if let Some(idempotency) = &idempotency {
            let mut account = self.inner.account.lock().await;
            if let Err(outcome) = idempotency.claim(&mut account, &fingerprint, drop_connection) {
                return outcome;
            }
        }
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }

        let mut account = self.inner.account.lock().await;
        account.request = Some((
            request_id.to_string(),
            idempotency.as_ref().map(|i| i.key.clone()),
        ));
        let ctx = RequestContext {
            view: if caller == Caller::Secret {
                View::Secret
            } else {
                View::Publishable
            },
            base_url: request.base_url.clone(),
            parsed_params: params,
        };
        let (status, body) = match op(&mut account, &ctx) {
            Ok(body) => (200, body),
            Err(e) => (e.status, e.body),
        };
        if let Some(idempotency) = idempotency {
            idempotency.store(&mut account, status, &body);
        }
        self.commit(&mut account).await;
        Outcome {
            status,
            body,
            replayed: false,
            drop_connection,
        }
    }

    fn key_of(&self, caller: Caller) -> &str {
        match caller {
            Caller::Secret => &self.inner.config.secret_key,
            Caller::Publishable => &self.inner.config.publishable_key,
        }
    }

    /// The caller, if its key may make this call.
    pub(super) fn authorize(
        &self,
        headers: &HeaderMap,
        allowed: &[Caller],
    ) -> Result<Caller, ApiError> {
        let caller = self.caller(headers)?;
        if !allowed.contains(&caller) {
            if caller == Caller::Secret {
                // Only the private routes Stripe.js calls from the browser.
                return Err(ApiError::new(
                    401,
                    "invalid_request_error",
                    "This API call can only be made with a publishable API key, from Stripe.js.",
                ));
            }
            return Err(ApiError::new(401, "invalid_request_error", "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."));
        }
        Ok(caller)
    }

    pub(super) fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ApiError::new(401, "invalid_request_error", "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."));
        };
        let key = if let Some(token) = value.strip_prefix("Bearer ") {
            token.trim().to_string()
        } else if let Some(basic) = value.strip_prefix("Basic ") {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .unwrap_or_default();
            String::from_utf8_lossy(&decoded)
                .split(':')
                .next()
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        let config = &self.inner.config;
        if key == config.secret_key {
            Ok(Caller::Secret)
        } else if key == config.publishable_key {
            Ok(Caller::Publishable)
        } else {
            // By characters, not bytes: a key decoded from Basic auth may be any UTF-8.
            let chars: Vec<char> = key.chars().collect();
            let shown = if chars.len() > 12 {
                let head: String = chars[..8].iter().collect();
                let tail: String = chars[chars.len() - 4..].iter().collect();
                format!("{head}****{tail}")
            } else {
                "****".into()
            };
            Err(ApiError::new(
                401,
                "invalid_request_error",
                format!("Invalid API Key provided: {shown}"),
            ))
        }
    }
}

impl Outcome {
    pub(super) fn error(e: ApiError) -> Self {
        Outcome {
            status: e.status,
            body: e.body,
            replayed: false,
            drop_connection: false,
        }
    }
}

pub(super) fn respond(outcome: Outcome, request_id: &str, request_headers: &HeaderMap) -> Response {
    let mut body = outcome.body;
    if let Some(error) = body.get_mut("error") {
        error["request_log_url"] = json!(format!(
            "https://dashboard.stripe.com/test/logs/{request_id}"
        ));
    }
    let text = serde_json::to_string_pretty(&body).unwrap_or_default();
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if outcome.drop_connection {
        // The work is done, but the response never arrives: the body stream fails mid-way.
        let stream = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("simulated dropped connection"))
        });
        (status, Body::from_stream(stream)).into_response()
    } else {
        (status, text).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", v);
    }
    let version = request_headers
        .get("stripe-version")
        .cloned()
        .unwrap_or(HeaderValue::from_static(API_VERSION));
    headers.insert("stripe-version", version);
    if outcome.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if outcome.status == 409 && body_code(&body) == Some("lock_timeout") {
        headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
    }
    response
}

fn body_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

pub(super) async fn not_found(method: Method, uri: Uri) -> Response {
    let body = json!({"error": {"type": "invalid_request_error", "message": format!("Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", uri.path())}});
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

/// What every handler needs from the HTTP request, before its body is read.
pub(super) struct Request {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) headers: HeaderMap,
    query: String,
    base_url: String,
}

impl Request {
    pub(super) fn new(method: Method, original: &Uri, uri: &Uri, headers: HeaderMap) -> Self {
        // Where the simulator is mounted: the original path minus the path it routed on.
        let prefix = original.path().strip_suffix(uri.path()).unwrap_or_default();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_string();
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("http")
            .to_string();
        Request {
            method,
            path: uri.path().to_string(),
            headers,
            query: uri.query().unwrap_or_default().to_string(),
            base_url: format!("{scheme}://{host}{prefix}"),
        }
    }

    /// Where the simulator is served, as the caller reached it (`http://host[/prefix]`).
    pub(super) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The parameters: the query string of a GET or DELETE, else the form-encoded body.
    pub(super) async fn params(&self, body: Body) -> Result<Value, ApiError> {
        if self.method == Method::GET || self.method == Method::DELETE {
            form::parse(self.query.as_bytes()).map_err(ApiError::invalid)
        } else {
            parse_body(body).await
        }
    }
}

/// Reads a form-encoded body of at most `form::MAX_BODY_BYTES` and parses it.
pub(super) async fn parse_body(body: Body) -> Result<Value, ApiError> {
    let bytes = read_body(body).await?;
    form::parse(&bytes).map_err(ApiError::invalid)
}

/// Reads a body of at most `form::MAX_BODY_BYTES`.
pub(super) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, form::MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                413,
                "invalid_request_error",
                format!(
                    "The request body is too large: at most {} bytes are accepted.",
                    form::MAX_BODY_BYTES
                ),
            )
        })
}

/// What an operation sees of its request: who called, where the simulator is mounted, and
/// the parameters.
pub(super) struct RequestContext {
    pub(super) view: View,
    pub(super) base_url: String,
    /// The form-encoded parameters (body or query string) as nested JSON.
    parsed_params: Value,
}

impl RequestContext {
    pub(super) fn params(&self) -> Params<'_> {
        Params(&self.parsed_params)
    }

    /// With a publishable key the client secret must match the PaymentIntent's.
    pub(super) fn check_client_secret(&self, account: &Account, id: &str) -> Result<(), ApiError> {
        if self.view == View::Secret {
            return Ok(());
        }
        let given = self
            .params()
            .str("client_secret")
            .unwrap_or_default()
            .to_string();
        match account.payment_intents.get(id) {
            Some(pi) if pi.client_secret == given => Ok(()),
            _ => Err(ApiError::invalid("The client_secret provided does not match any associated PaymentIntent on this account.")
                .code("resource_missing")
                .param("client_secret")),
        }
    }

    /// The params minus `client_secret` (Stripe.js sends it alongside the real ones).
    pub(super) fn without_client_secret(&self) -> Value {
        let mut v = self.parsed_params.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("client_secret");
        }
        v
    }
}

/// Defines an axum handler that serves one API operation through the pipeline, for the callers
/// listed (`Secret`, `Publishable`).
macro_rules! handler {
    ($name:ident, [$($caller:ident),*], |$account:ident, $ctx:ident $(, $id:ident)?| $body:expr) => {
        pub(super) async fn $name(
            ::axum::extract::State(sim): ::axum::extract::State<$crate::api::Simulator>,
            method: ::axum::http::Method,
            ::axum::extract::OriginalUri(original): ::axum::extract::OriginalUri,
            uri: ::axum::http::Uri,
            headers: ::axum::http::HeaderMap,
            $(::axum::extract::Path($id): ::axum::extract::Path<String>,)?
            body: ::axum::body::Body,
        ) -> ::axum::response::Response {
            use $crate::api::pipeline::{Caller, RequestContext, Request};
            let request = Request::new(method, &original, &uri, headers);
            sim.serve(&request, body, &[$(Caller::$caller),*], move |$account: &mut $crate::engine::Account, $ctx: &RequestContext| $body).await
        }
    };
}

pub(super) use handler;
