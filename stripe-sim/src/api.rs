//! The HTTP face of the simulator: Stripe's REST subset, the Stripe.js assets, the 3-D Secure
//! pages and the `/_sim` control API. Auth, idempotency, fault injection, persistence and
//! webhook delivery wrap every operation here, once.

use crate::engine::{Account, ApiResult, IdempotencyEntry, ObjectKind, Params, Scheduled};
use crate::model::{ApiError, View, API_VERSION};
use crate::store::Store;
use crate::{assets, form, webhooks};
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::Mutex;

/// How the simulator behaves. `new` checks the keys; the timings have test-friendly defaults.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub secret_key: String,
    pub publishable_key: String,
    /// Deterministic ids (and fault rolls) when set.
    pub seed: Option<u64>,
    /// A fixed clock (unix seconds) when set.
    pub fixed_clock: Option<i64>,
    /// Waits between webhook attempts; the last one repeats until delivery succeeds.
    pub webhook_retry_schedule: Vec<Duration>,
    pub webhook_timeout: Duration,
    /// How long a simulator-only "processing" card stays in `processing`.
    pub processing_delay: Duration,
    /// How long after payment test card 0259 opens a dispute.
    pub dispute_delay: Duration,
    /// How long after a refund test card 5126 makes it fail.
    pub refund_failure_delay: Duration,
}

impl SimConfig {
    /// Only test-mode keys: a simulator must never stand in for a live account.
    pub fn new(secret_key: &str, publishable_key: &str) -> Result<Self, String> {
        if secret_key.starts_with("sk_live_") || publishable_key.starts_with("pk_live_") {
            return Err("the Stripe simulator cannot be used with live keys".into());
        }
        if !secret_key.starts_with("sk_test_") || !publishable_key.starts_with("pk_test_") {
            return Err("the Stripe simulator needs an sk_test_… and a pk_test_… key".into());
        }
        Ok(SimConfig {
            secret_key: secret_key.into(),
            publishable_key: publishable_key.into(),
            seed: None,
            fixed_clock: None,
            webhook_retry_schedule: [200, 500, 1000, 2000, 5000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            webhook_timeout: Duration::from_secs(10),
            processing_delay: Duration::from_secs(2),
            dispute_delay: Duration::from_secs(1),
            refund_failure_delay: Duration::from_secs(1),
        })
    }
}

/// Faults to inject, set through `POST /_sim/faults`. Rolls come from a seeded generator.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Added before every API request is processed.
    pub latency_ms: u64,
    /// Share (0–1) of API requests that fail.
    pub failure_rate: f64,
    /// How they fail: `500`, `429`, `409` (before processing) or `drop` (processed, then the
    /// connection is cut before the response: the client must retry with its idempotency key).
    pub failure_kind: String,
    /// Share of webhook attempts lost on the way (retried later, like a network failure).
    pub webhook_drop_rate: f64,
    /// Share of webhook deliveries sent twice.
    pub webhook_duplicate_rate: f64,
    /// Added before every webhook attempt.
    pub webhook_delay_ms: u64,
    /// A random extra delay in [0, n] ms per attempt, so deliveries overtake each other.
    pub webhook_shuffle_ms: u64,
}

/// One webhook attempt, kept for inspection (`GET /_sim/deliveries`).
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub event: String,
    pub event_type: String,
    pub endpoint: String,
    pub attempt: u32,
    /// HTTP status, or 0 when no response came (dropped, refused, timed out).
    pub status: u16,
    pub signature: String,
}

/// Work done outside the request that caused it.
enum Work {
    Deliver { event: String, endpoint: String },
    Job(Scheduled),
}

struct Inner {
    config: SimConfig,
    work: tokio::sync::mpsc::UnboundedSender<Work>,
    account: Mutex<Account>,
    faults: StdMutex<(Faults, StdRng)>,
    attempts: StdMutex<Vec<Attempt>>,
    http: reqwest::Client,
    store: Option<Store>,
}

/// The simulator: clone it freely, mount `router()` anywhere.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Secret,
    Publishable,
}

struct Reply {
    status: u16,
    body: Value,
    replayed: bool,
    drop_connection: bool,
}

impl Simulator {
    /// Objects live in memory only: for tests.
    pub fn in_memory(config: SimConfig) -> Self {
        let account = Account::new(config.seed, config.fixed_clock);
        Self::build(config, None, account)
    }

    /// Objects are kept in SQLite tables of `pool` (created if needed) and survive a restart,
    /// like Stripe keeps them; webhooks still owed are delivered again after a restart.
    pub async fn persistent(
        config: SimConfig,
        pool: sqlx::SqlitePool,
    ) -> Result<Self, sqlx::Error> {
        let store = Store::open(pool).await?;
        let mut account = Account::new(config.seed, config.fixed_clock);
        store.load(&mut account).await?;
        let sim = Self::build(config, Some(store), account);
        sim.resume().await;
        Ok(sim)
    }

    fn build(config: SimConfig, store: Option<Store>, account: Account) -> Self {
        let fault_rng = StdRng::seed_from_u64(config.seed.unwrap_or_else(rand::random));
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .build()
            .unwrap_or_default();
        let (work, mut queue) = tokio::sync::mpsc::unbounded_channel::<Work>();
        let sim = Simulator {
            inner: Arc::new(Inner {
                work,
                config,
                account: Mutex::new(account),
                faults: StdMutex::new((Faults::default(), fault_rng)),
                attempts: StdMutex::new(Vec::new()),
                http,
                store,
            }),
        };
        // Runs deferred work; holds only a weak reference so a dropped simulator stops it.
        let weak = Arc::downgrade(&sim.inner);
        tokio::spawn(async move {
            while let Some(work) = queue.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let sim = Simulator { inner };
                match work {
                    Work::Deliver { event, endpoint } => tokio::spawn(sim.deliver(event, endpoint)),
                    Work::Job(job) => tokio::spawn(sim.run_job(job)),
                };
            }
        });
        sim
    }

    async fn run_job(self, job: Scheduled) {
        let delay = match &job {
            Scheduled::FinishProcessing { .. } => self.inner.config.processing_delay,
            Scheduled::OpenDispute { .. } => self.inner.config.dispute_delay,
            Scheduled::FailRefund { .. } => self.inner.config.refund_failure_delay,
        };
        tokio::time::sleep(delay).await;
        let mut account = self.inner.account.lock().await;
        account.run_scheduled(&job);
        self.commit(&mut account).await;
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The endpoint registered for `url`, created (with `secret` if given) when there is none;
    /// returns its current signing secret. For embedding and for the standalone binary.
    pub async fn ensure_webhook_endpoint(
        &self,
        url: &str,
        secret: Option<&str>,
    ) -> Result<String, String> {
        let mut account = self.inner.account.lock().await;
        if let Some(existing) = account.endpoints.values().find(|e| e.url == url) {
            if secret.is_none_or(|s| existing.secrets.iter().any(|x| x.value == s)) {
                return Ok(existing
                    .secrets
                    .first()
                    .map(|s| s.value.clone())
                    .unwrap_or_default());
            }
        }
        let params = json!({"url": url, "enabled_events": ["*"]});
        let created = account
            .create_endpoint(&Params(&params), secret.map(String::from))
            .map_err(|e| e.body.to_string())?;
        self.commit(&mut account).await;
        Ok(created["secret"].as_str().unwrap_or_default().to_string())
    }

    /// Every webhook attempt so far (newest last).
    pub fn attempts(&self) -> Vec<Attempt> {
        self.inner
            .attempts
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    pub fn set_faults(&self, faults: Faults, seed: Option<u64>) {
        if let Ok(mut guard) = self.inner.faults.lock() {
            guard.0 = faults;
            if let Some(seed) = seed {
                guard.1 = StdRng::seed_from_u64(seed);
            }
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route(
                "/v1/payment_intents",
                post(create_payment_intent).get(list_payment_intents),
            )
            .route(
                "/v1/payment_intents/{id}",
                get(retrieve_payment_intent).post(update_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/confirm",
                post(confirm_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/cancel",
                post(cancel_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/capture",
                post(capture_payment_intent),
            )
            .route("/v1/payment_methods", post(create_payment_method))
            .route("/v1/payment_methods/{id}", get(retrieve_payment_method))
            .route("/v1/charges/{id}", get(retrieve_charge))
            .route("/v1/refunds", post(create_refund).get(list_refunds))
            .route("/v1/refunds/{id}", get(retrieve_refund).post(update_refund))
            .route("/v1/events", get(list_events))
            .route("/v1/events/{id}", get(retrieve_event))
            .route(
                "/v1/webhook_endpoints",
                post(create_endpoint).get(list_endpoints),
            )
            .route(
                "/v1/webhook_endpoints/{id}",
                get(retrieve_endpoint).delete(delete_endpoint),
            )
            .route("/_sim/3ds/{id}", post(authenticate))
            .route(
                "/_sim/3ds/{id}/redirect",
                get(redirect_challenge_page).post(redirect_challenge_answer),
            )
            .route("/_sim/reset", post(reset))
            .route("/_sim/faults", post(set_faults).get(get_faults))
            .route("/_sim/clock", post(set_clock))
            .route("/_sim/deliveries", get(deliveries))
            .route("/_sim/webhook_endpoints/{id}/roll", post(roll_secret))
            .route("/v3", get(assets::stripe_js))
            .route("/v3/", get(assets::stripe_js))
            .route("/v3/stripe.js", get(assets::stripe_js))
            .route("/v3/elements-inner.html", get(assets::elements_inner))
            .route("/v3/three-ds-challenge.html", get(assets::challenge))
            .route("/_sim/demo.html", get(assets::demo))
            .fallback(not_found)
            .with_state(self.clone());
        api.layer(axum::middleware::from_fn(cors))
    }

    // -----------------------------------------------------------------------------------------

    /// Persists what the last operation changed, delivers its events, schedules its later work.
    async fn commit(&self, account: &mut Account) {
        let dirty = std::mem::take(&mut account.dirty);
        let events = std::mem::take(&mut account.new_events);
        let jobs = std::mem::take(&mut account.scheduled);
        account.request = None;
        if let Some(store) = &self.inner.store {
            if let Err(e) = store.save(account, &dirty).await {
                tracing::error!(error = %e, "stripe simulator could not persist its state");
            }
        }
        for event_id in events {
            if let Some(event) = account.events.get(&event_id) {
                for endpoint in event.undelivered.clone() {
                    let _ = self.inner.work.send(Work::Deliver {
                        event: event_id.clone(),
                        endpoint,
                    });
                }
            }
        }
        for job in jobs {
            let _ = self.inner.work.send(Work::Job(job));
        }
    }

    /// After a restart: owed webhooks go out again, payments left processing finish.
    async fn resume(&self) {
        let mut account = self.inner.account.lock().await;
        for event in account.events.values() {
            for endpoint in &event.undelivered {
                let _ = self.inner.work.send(Work::Deliver {
                    event: event.id.clone(),
                    endpoint: endpoint.clone(),
                });
            }
        }
        let processing: Vec<(String, String)> = account
            .payment_intents
            .values()
            .filter(|pi| pi.status == crate::model::PiStatus::Processing)
            .map(|pi| (pi.id.clone(), pi.payment_method.clone().unwrap_or_default()))
            .collect();
        for (pi, pm) in processing {
            let number = account
                .payment_methods
                .get(&pm)
                .map(|p| p.number.clone())
                .unwrap_or_default();
            let succeeds = !matches!(
                crate::cards::by_number(&number).map(|c| c.behaviour()),
                Some(crate::cards::Behaviour::Processing { succeeds: false })
            );
            account.scheduled.push(Scheduled::FinishProcessing {
                payment_intent: pi,
                succeeds,
            });
        }
        self.commit(&mut account).await;
    }

    fn roll(&self, f: impl FnOnce(&Faults, &mut StdRng) -> bool) -> bool {
        match self.inner.faults.lock() {
            Ok(mut guard) => {
                let (faults, rng) = &mut *guard;
                f(faults, rng)
            }
            Err(_) => false,
        }
    }

    fn faults(&self) -> Faults {
        self.inner
            .faults
            .lock()
            .map(|g| g.0.clone())
            .unwrap_or_default()
    }

    /// Sends one event to one endpoint until it answers 2xx (or the endpoint is deleted).
    async fn deliver(self, event_id: String, endpoint_id: String) {
        let schedule = self.inner.config.webhook_retry_schedule.clone();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let faults = self.faults();
            let shuffle = self.roll(|f, rng| f.webhook_shuffle_ms > 0 && rng.gen_bool(0.5));
            let extra = if faults.webhook_shuffle_ms > 0 {
                let max = faults.webhook_shuffle_ms;
                let mut wait = 0;
                self.roll(|_, rng| {
                    wait = rng.gen_range(0..=max);
                    true
                });
                if shuffle {
                    wait
                } else {
                    wait / 2
                }
            } else {
                0
            };
            let delay = faults.webhook_delay_ms + extra;
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let (url, header, payload, event_type) = {
                let account = self.inner.account.lock().await;
                let Some(endpoint) = account.endpoints.get(&endpoint_id) else {
                    return;
                };
                let Some(event) = account.events.get(&event_id) else {
                    return;
                };
                if !event.undelivered.contains(&endpoint_id) {
                    return;
                }
                let payload = serde_json::to_vec_pretty(&event.to_json()).unwrap_or_default();
                let now = account.now();
                let header =
                    webhooks::signature_header(&endpoint.signing_secrets(now), now, &payload);
                (endpoint.url.clone(), header, payload, event.kind.clone())
            };
            let dropped = self.roll(|f, rng| {
                f.webhook_drop_rate > 0.0 && rng.gen_bool(f.webhook_drop_rate.clamp(0.0, 1.0))
            });
            let status = if dropped {
                0
            } else {
                self.post(&url, &header, &payload).await
            };
            self.record(Attempt {
                event: event_id.clone(),
                event_type: event_type.clone(),
                endpoint: endpoint_id.clone(),
                attempt,
                status,
                signature: header.clone(),
            });
            if (200..300).contains(&status) {
                let duplicate = self.roll(|f, rng| {
                    f.webhook_duplicate_rate > 0.0
                        && rng.gen_bool(f.webhook_duplicate_rate.clamp(0.0, 1.0))
                });
                if duplicate {
                    let status = self.post(&url, &header, &payload).await;
                    self.record(Attempt {
                        event: event_id.clone(),
                        event_type,
                        endpoint: endpoint_id.clone(),
                        attempt: attempt + 1,
                        status,
                        signature: header,
                    });
                }
                let mut account = self.inner.account.lock().await;
                if let Some(event) = account.events.get_mut(&event_id) {
                    event.undelivered.retain(|e| e != &endpoint_id);
                }
                account.dirty.insert((ObjectKind::Event, event_id.clone()));
                self.commit(&mut account).await;
                return;
            }
            let index = (attempt as usize - 1).min(schedule.len().saturating_sub(1));
            let wait = schedule
                .get(index)
                .copied()
                .unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(wait).await;
        }
    }

    async fn post(&self, url: &str, signature: &str, payload: &[u8]) -> u16 {
        let result = self
            .inner
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(
                header::USER_AGENT,
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .header("Stripe-Signature", signature)
            .body(payload.to_vec())
            .send()
            .await;
        match result {
            Ok(response) => response.status().as_u16(),
            Err(e) => {
                tracing::debug!(error = %e, "webhook attempt failed");
                0
            }
        }
    }

    fn record(&self, attempt: Attempt) {
        if let Ok(mut attempts) = self.inner.attempts.lock() {
            if attempts.len() >= 10_000 {
                attempts.remove(0);
            }
            attempts.push(attempt);
        }
    }

    // -----------------------------------------------------------------------------------------

    /// Runs one API operation with Stripe's request semantics around it.
    async fn serve(
        &self,
        request: &Request,
        allowed: &[Caller],
        op: impl FnOnce(&mut Account, &Ctx) -> ApiResult,
    ) -> Response {
        let request_id = format!(
            "req_{}",
            &self.inner.account.lock().await.new_id("x")[2..16]
        );
        let reply = self.serve_inner(request, allowed, op, &request_id).await;
        respond(reply, &request_id, &request.headers)
    }

    async fn serve_inner(
        &self,
        request: &Request,
        allowed: &[Caller],
        op: impl FnOnce(&mut Account, &Ctx) -> ApiResult,
        request_id: &str,
    ) -> Reply {
        let caller = match self.caller(&request.headers) {
            Ok(c) => c,
            Err(e) => return Reply::error(e),
        };
        if !allowed.contains(&caller) {
            return Reply::error(ApiError::new(401, "invalid_request_error", "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."));
        }
        let params = match &request.params {
            Ok(p) => p.clone(),
            Err(e) => return Reply::error(ApiError::invalid(e.clone())),
        };
        let faults = self.faults();
        let fail = self
            .roll(|f, rng| f.failure_rate > 0.0 && rng.gen_bool(f.failure_rate.clamp(0.0, 1.0)));
        let mut drop_connection = false;
        if fail {
            match faults.failure_kind.as_str() {
                "429" => return Reply::error(ApiError::new(429, "invalid_request_error", "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.").code("rate_limit")),
                "409" => return Reply::error(ApiError::new(409, "invalid_request_error", "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.").code("lock_timeout")),
                "drop" => drop_connection = true,
                _ => return Reply::error(ApiError::new(500, "api_error", "An unknown error occurred while processing your request. (simulated)")),
            }
        }

        // Idempotency (FACTS §2.1): POSTs only, keyed by API key and Idempotency-Key.
        let idem_key = (request.method == Method::POST)
            .then(|| {
                request
                    .headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            })
            .flatten();
        let scoped = idem_key
            .as_ref()
            .map(|k| format!("{}\n{k}", self.key_of(caller)));
        let fingerprint = format!(
            "{} {}\n{}",
            request.method,
            request.path,
            form::canonical(&params)
        );
        if let (Some(scoped), Some(key)) = (&scoped, &idem_key) {
            if key.len() > 255 {
                return Reply::error(
                    ApiError::invalid("Idempotency-Key must be at most 255 characters long.")
                        .param("Idempotency-Key"),
                );
            }
            let mut account = self.inner.account.lock().await;
            let now = account.now();
            match account.idempotency.get(scoped) {
                Some(entry) if entry.in_flight => {
                    return Reply::error(ApiError::new(409, "idempotency_error", "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later.".replace("{key}", key)).code("idempotency_key_in_use"));
                }
                Some(entry) if entry.fingerprint != fingerprint => {
                    return Reply::error(ApiError::new(400, "idempotency_error", format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request.")));
                }
                Some(entry) => {
                    let body = serde_json::from_str(&entry.body).unwrap_or(Value::Null);
                    return Reply {
                        status: entry.status,
                        body,
                        replayed: true,
                        drop_connection,
                    };
                }
                None => {
                    account.idempotency.insert(
                        scoped.clone(),
                        IdempotencyEntry {
                            fingerprint: fingerprint.clone(),
                            in_flight: true,
                            status: 0,
                            body: String::new(),
                            created: now,
                        },
                    );
                }
            }
        }
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }

        let mut account = self.inner.account.lock().await;
        account.request = Some((request_id.to_string(), idem_key.clone()));
        let ctx = Ctx {
            view: if caller == Caller::Secret {
                View::Secret
            } else {
                View::Publishable
            },
            base_url: request.base_url.clone(),
            params,
        };
        let (status, body) = match op(&mut account, &ctx) {
            Ok(body) => (200, body),
            Err(e) => (e.status, e.body),
        };
        if let Some(scoped) = scoped {
            // Parameter errors are not stored: the same key may be retried with fixed params.
            if status == 400 && body["error"]["type"] == "invalid_request_error" {
                account.idempotency.remove(&scoped);
            } else if let Some(entry) = account.idempotency.get_mut(&scoped) {
                entry.in_flight = false;
                entry.status = status;
                entry.body = body.to_string();
                account.dirty.insert((ObjectKind::Idempotency, scoped));
            }
        }
        self.commit(&mut account).await;
        Reply {
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

    fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
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
            let shown = if key.len() > 8 {
                format!("{}****{}", &key[..8], &key[key.len() - 4..])
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

impl Reply {
    fn error(e: ApiError) -> Self {
        Reply {
            status: e.status,
            body: e.body,
            replayed: false,
            drop_connection: false,
        }
    }
}

fn respond(reply: Reply, request_id: &str, request_headers: &HeaderMap) -> Response {
    let mut body = reply.body;
    if let Some(error) = body.get_mut("error") {
        error["request_log_url"] = json!(format!(
            "https://dashboard.stripe.com/test/logs/{request_id}"
        ));
    }
    let text = serde_json::to_string_pretty(&body).unwrap_or_default();
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if reply.drop_connection {
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
    if reply.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if reply.status == 409 && body_code(&body) == Some("lock_timeout") {
        headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
    }
    response
}

fn body_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

/// Permissive CORS: Stripe.js calls the API from the merchant's origin.
async fn cors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account",
        ),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Request-Id, Idempotent-Replayed, Stripe-Version"),
    );
    response
}

async fn not_found(uri: Uri) -> Response {
    let body = json!({"error": {"type": "invalid_request_error", "message": format!("Unrecognized request URL (GET: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", uri.path())}});
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Requests

/// What every handler needs from the HTTP request.
struct Request {
    method: Method,
    path: String,
    headers: HeaderMap,
    params: Result<Value, String>,
    base_url: String,
}

impl Request {
    fn new(method: Method, original: &Uri, uri: &Uri, headers: HeaderMap, body: &[u8]) -> Self {
        let params = if method == Method::GET || method == Method::DELETE {
            form::parse(uri.query().unwrap_or_default().as_bytes())
        } else {
            form::parse(body)
        };
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
            params,
            base_url: format!("{scheme}://{host}{prefix}"),
        }
    }
}

pub(crate) struct Ctx {
    view: View,
    base_url: String,
    params: Value,
}

impl Ctx {
    fn p(&self) -> Params<'_> {
        Params(&self.params)
    }

    /// With a publishable key the client secret must match the PaymentIntent's.
    fn check_client_secret(&self, account: &Account, id: &str) -> Result<(), ApiError> {
        if self.view == View::Secret {
            return Ok(());
        }
        let given = self
            .p()
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
    fn without_client_secret(&self) -> Value {
        let mut v = self.params.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("client_secret");
        }
        v
    }
}

macro_rules! handler {
    ($name:ident, [$($caller:ident),*], |$account:ident, $ctx:ident $(, $id:ident)?| $body:expr) => {
        async fn $name(
            AxState(sim): AxState<Simulator>,
            method: Method,
            OriginalUri(original): OriginalUri,
            uri: Uri,
            headers: HeaderMap,
            $(Path($id): Path<String>,)?
            body: Bytes,
        ) -> Response {
            let request = Request::new(method, &original, &uri, headers, &body);
            sim.serve(&request, &[$(Caller::$caller),*], move |$account: &mut Account, $ctx: &Ctx| $body).await
        }
    };
}

handler!(create_payment_intent, [Secret], |account, ctx| account
    .create_payment_intent(&ctx.p(), &ctx.base_url));
handler!(
    retrieve_payment_intent,
    [Secret, Publishable],
    |account, ctx, id| {
        ctx.check_client_secret(account, &id)?;
        account.render_pi(&id, ctx.view, &ctx.p().expand())
    }
);
handler!(update_payment_intent, [Secret], |account, ctx, id| account
    .update_payment_intent(&id, &ctx.p()));
handler!(
    confirm_payment_intent,
    [Secret, Publishable],
    |account, ctx, id| {
        ctx.check_client_secret(account, &id)?;
        let params = ctx.without_client_secret();
        account.confirm_payment_intent(&id, &Params(&params), ctx.view, &ctx.base_url)
    }
);
handler!(cancel_payment_intent, [Secret], |account, ctx, id| account
    .cancel_payment_intent(&id, &ctx.p()));
handler!(capture_payment_intent, [Secret], |account, ctx, id| account
    .capture_payment_intent(&id, &ctx.p()));
handler!(list_payment_intents, [Secret], |account, ctx| {
    let limit = ctx.p().int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
    let mut all: Vec<_> = account.payment_intents.values().collect();
    all.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let data: Vec<Value> = all
        .iter()
        .take(limit)
        .map(|pi| pi.to_json(View::Secret))
        .collect();
    Ok(
        json!({"object": "list", "data": data, "has_more": all.len() > limit, "url": "/v1/payment_intents"}),
    )
});
handler!(
    create_payment_method,
    [Secret, Publishable],
    |account, ctx| account.create_payment_method(&ctx.p())
);
handler!(retrieve_payment_method, [Secret], |account, _ctx, id| {
    account
        .payment_methods
        .get(&id)
        .map(|pm| pm.to_json())
        .ok_or_else(|| ApiError::not_found("PaymentMethod", &id))
});
handler!(retrieve_charge, [Secret], |account, _ctx, id| {
    account
        .charges
        .get(&id)
        .ok_or_else(|| ApiError::not_found("charge", &id))?;
    Ok(account.charge_json(&id))
});
handler!(create_refund, [Secret], |account, ctx| account
    .create_refund(&ctx.p()));
handler!(list_refunds, [Secret], |account, ctx| account
    .list_refunds(&ctx.p()));
handler!(retrieve_refund, [Secret], |account, _ctx, id| {
    account
        .refunds
        .get(&id)
        .map(|r| r.to_json())
        .ok_or_else(|| ApiError::not_found("refund", &id))
});
handler!(update_refund, [Secret], |account, ctx, id| {
    ctx.p().only(&["metadata", "expand"])?;
    let mut metadata = account
        .refunds
        .get(&id)
        .ok_or_else(|| ApiError::not_found("refund", &id))?
        .metadata
        .clone();
    ctx.p().metadata_into(&mut metadata)?;
    let refund = account
        .refunds
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("refund", &id))?;
    refund.metadata = metadata;
    let json = refund.to_json();
    account.dirty.insert((ObjectKind::Refund, id.clone()));
    Ok(json)
});
handler!(list_events, [Secret], |account, ctx| account
    .list_events(&ctx.p()));
handler!(retrieve_event, [Secret], |account, _ctx, id| {
    account
        .events
        .get(&id)
        .map(|e| e.to_json())
        .ok_or_else(|| ApiError::not_found("event", &id))
});
handler!(create_endpoint, [Secret], |account, ctx| account
    .create_endpoint(&ctx.p(), None));
handler!(list_endpoints, [Secret], |account, _ctx| {
    let data: Vec<Value> = account
        .endpoints
        .values()
        .map(|e| e.to_json(false))
        .collect();
    Ok(json!({"object": "list", "data": data, "has_more": false, "url": "/v1/webhook_endpoints"}))
});
handler!(retrieve_endpoint, [Secret], |account, _ctx, id| {
    account
        .endpoints
        .get(&id)
        .map(|e| e.to_json(false))
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id))
});
handler!(delete_endpoint, [Secret], |account, _ctx, id| {
    account
        .endpoints
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id))?;
    account.dirty.insert((ObjectKind::Endpoint, id.clone()));
    Ok(json!({"id": id, "object": "webhook_endpoint", "deleted": true}))
});
handler!(authenticate, [Secret, Publishable], |account, ctx, id| {
    ctx.check_client_secret(account, &id)?;
    let complete = match ctx.p().str("outcome") {
        Some("complete") => true,
        Some("fail") => false,
        _ => return Err(ApiError::invalid("outcome must be complete or fail").param("outcome")),
    };
    account.authenticate(&id, complete, ctx.view)
});
handler!(roll_secret, [Secret], |account, ctx, id| {
    let expires_in = ctx.p().int("expires_in")?.unwrap_or(24 * 3600);
    account.roll_endpoint_secret(&id, expires_in)
});
handler!(set_clock, [Secret], |account, ctx| {
    account.clock_offset = ctx.p().int("offset")?.unwrap_or(0);
    Ok(json!({"now": account.now(), "offset": account.clock_offset}))
});

async fn reset(
    AxState(sim): AxState<Simulator>,
    method: Method,
    OriginalUri(original): OriginalUri,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request::new(method, &original, &uri, headers, &body);
    sim.set_faults(Faults::default(), None);
    if let Ok(mut attempts) = sim.inner.attempts.lock() {
        attempts.clear();
    }
    sim.serve(&request, &[Caller::Secret], |account, ctx| {
        let keep_endpoints = ctx.p().str("endpoints") != Some("true");
        let endpoints = std::mem::take(&mut account.endpoints);
        let mut dirty = std::collections::BTreeSet::new();
        for id in account.payment_intents.keys() {
            dirty.insert((ObjectKind::PaymentIntent, id.clone()));
        }
        for id in account.payment_methods.keys() {
            dirty.insert((ObjectKind::PaymentMethod, id.clone()));
        }
        for id in account.charges.keys() {
            dirty.insert((ObjectKind::Charge, id.clone()));
        }
        for id in account.refunds.keys() {
            dirty.insert((ObjectKind::Refund, id.clone()));
        }
        for id in account.disputes.keys() {
            dirty.insert((ObjectKind::Dispute, id.clone()));
        }
        for id in account.events.keys() {
            dirty.insert((ObjectKind::Event, id.clone()));
        }
        for id in account.idempotency.keys() {
            dirty.insert((ObjectKind::Idempotency, id.clone()));
        }
        account.payment_intents.clear();
        account.payment_methods.clear();
        account.charges.clear();
        account.refunds.clear();
        account.disputes.clear();
        account.events.clear();
        account.event_order.clear();
        account.idempotency.clear();
        account.clock_offset = 0;
        if keep_endpoints {
            account.endpoints = endpoints;
        } else {
            for id in endpoints.keys() {
                dirty.insert((ObjectKind::Endpoint, id.clone()));
            }
        }
        account.dirty.extend(dirty);
        Ok(json!({"reset": true}))
    })
    .await
}

async fn set_faults(AxState(sim): AxState<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let params = form::parse(&body).unwrap_or(Value::Null);
    control(&sim, &headers, || {
        let p = Params(&params);
        let num = |k: &str| p.str(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let faults = Faults {
            latency_ms: num("latency_ms") as u64,
            failure_rate: num("failure_rate"),
            failure_kind: p.str("failure_kind").unwrap_or("500").to_string(),
            webhook_drop_rate: num("webhook_drop_rate"),
            webhook_duplicate_rate: num("webhook_duplicate_rate"),
            webhook_delay_ms: num("webhook_delay_ms") as u64,
            webhook_shuffle_ms: num("webhook_shuffle_ms") as u64,
        };
        sim.set_faults(faults.clone(), p.str("seed").and_then(|s| s.parse().ok()));
        json!(faults)
    })
}

/// Answers a control request: the secret key only, then `body`.
fn control(sim: &Simulator, headers: &HeaderMap, body: impl FnOnce() -> Value) -> Response {
    let reply = if sim.caller(headers).ok() == Some(Caller::Secret) {
        Reply {
            status: 200,
            body: body(),
            replayed: false,
            drop_connection: false,
        }
    } else {
        Reply::error(ApiError::new(
            401,
            "invalid_request_error",
            "The simulator's control API needs the secret key.",
        ))
    };
    respond(reply, "req_sim", headers)
}

async fn get_faults(AxState(sim): AxState<Simulator>, headers: HeaderMap) -> Response {
    control(&sim, &headers, || json!(sim.faults()))
}

async fn deliveries(AxState(sim): AxState<Simulator>, headers: HeaderMap) -> Response {
    control(&sim, &headers, || json!({"data": sim.attempts()}))
}

#[derive(Deserialize)]
struct RedirectQuery {
    client_secret: String,
    return_url: String,
}

/// The hosted 3-D Secure page of the redirect flow (server-side confirm with a `return_url`).
async fn redirect_challenge_page(
    axum::extract::Query(q): axum::extract::Query<RedirectQuery>,
) -> Html<String> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>3D Secure test page</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}}button{{font-size:1rem;padding:.7rem 1.2rem;margin:.3rem;border-radius:6px;border:1px solid #555;cursor:pointer}}.ok{{background:#1a7f37;color:#fff;border-color:#1a7f37}}</style></head>
<body><h1>Test 3D Secure authentication</h1><p>This is a simulated bank page. No real card is involved.</p>
<form method="post"><input type="hidden" name="client_secret" value="{cs}"><input type="hidden" name="return_url" value="{ru}">
<button class="ok" name="outcome" value="complete">Complete authentication</button><button name="outcome" value="fail">Fail authentication</button></form></body></html>"#,
        cs = esc(&q.client_secret),
        ru = esc(&q.return_url),
    ))
}

async fn redirect_challenge_answer(
    AxState(sim): AxState<Simulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let params = form::parse(&body).unwrap_or(Value::Null);
    let p = Params(&params);
    let secret = p.str("client_secret").unwrap_or_default().to_string();
    let return_url = p.str("return_url").unwrap_or_default().to_string();
    let complete = p.str("outcome") == Some("complete");
    let mut account = sim.inner.account.lock().await;
    let matches = account
        .payment_intents
        .get(&id)
        .is_some_and(|pi| pi.client_secret == secret);
    if !matches || return_url.is_empty() {
        return (StatusCode::BAD_REQUEST, "Unknown payment").into_response();
    }
    let _ = account.authenticate(&id, complete, View::Publishable);
    let status = account
        .payment_intents
        .get(&id)
        .map(|pi| pi.status)
        .unwrap_or(crate::model::PiStatus::RequiresPaymentMethod);
    sim.commit(&mut account).await;
    let redirect_status = match status {
        crate::model::PiStatus::Succeeded | crate::model::PiStatus::RequiresCapture => "succeeded",
        crate::model::PiStatus::Processing => "processing",
        _ => "failed",
    };
    let separator = if return_url.contains('?') { '&' } else { '?' };
    let target = format!(
        "{return_url}{separator}payment_intent={id}&payment_intent_client_secret={}&redirect_status={redirect_status}",
        form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
    );
    Redirect::to(&target).into_response()
}
