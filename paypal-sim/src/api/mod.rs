//! The HTTP face of the simulator: PayPal's REST subset, the OAuth token endpoint, the
//! webhook certificate, the JS SDK stand-in and approval page, and the `/_sim` control API.
//!
//! - `pipeline`: what every REST request goes through (bearer token, JSON body,
//!   `PayPal-Mock-Response`, `PayPal-Request-Id`, `paypal-debug-id`, faults).
//! - `idempotency`: `PayPal-Request-Id` replays.
//! - `oauth`: `POST /v1/oauth2/token`.
//! - `rest`: Orders v2, Payments v2 and the webhooks API.
//! - `checkout`: the approval page (`/checkoutnow`) and the SDK stand-in (`/sdk/js`).
//! - `control`: `/_sim/*`, only when [`SimConfig::control_api`] is on.
//! - Webhook delivery lives in `crate::webhooks`.

mod checkout;
mod control;
mod faults;
mod idempotency;
mod oauth;
mod pipeline;
mod rest;

pub use faults::Faults;

use crate::engine::State;
use crate::store::Store;
use crate::webhooks::Attempt;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::Mutex;

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Public URL where the router is mounted (no trailing `/`), e.g.
    /// `http://127.0.0.1:3000/paypal-sim`: used in HATEOAS links, approve links and the cert URL.
    pub base_url: String,
    /// Whether the `/_sim` control API is served. Off by default: an app that embeds the
    /// simulator serves it to the public, and these routes are for tests.
    pub control_api: bool,
    /// OAuth access token lifetime in seconds (PayPal: 32400, nine hours).
    pub token_ttl: u64,
    /// Waits between webhook attempts; the last one repeats until `webhook_max_attempts`.
    pub webhook_retry_schedule: Vec<Duration>,
    /// PayPal tries a webhook up to 25 times
    /// (https://developer.paypal.com/api/rest/webhooks/rest/).
    pub webhook_max_attempts: u32,
    pub webhook_timeout: Duration,
    /// The `app_id` in token responses.
    pub app_id: String,
    /// Whether a capture whose `invoice_id` an earlier capture already used answers 422
    /// DUPLICATE_INVOICE_ID, as an account with "Block accidental payments" does (on by default).
    pub unique_invoice_ids: bool,
}

impl SimConfig {
    pub fn new(client_id: &str, client_secret: &str, base_url: &str) -> Self {
        SimConfig {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            base_url: base_url.trim_end_matches('/').into(),
            control_api: false,
            token_ttl: 32_400,
            webhook_retry_schedule: [1, 5, 30, 120, 600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            webhook_max_attempts: 25,
            webhook_timeout: Duration::from_secs(10),
            app_id: "APP-80W284485P519543T".into(),
            unique_invoice_ids: true,
        }
    }

    /// Turns the `/_sim` control API on or off (see [`SimConfig::control_api`]).
    pub fn with_control_api(mut self, on: bool) -> Self {
        self.control_api = on;
        self
    }

    /// The OAuth token lifetime in seconds.
    pub fn with_token_ttl(mut self, secs: u64) -> Self {
        self.token_ttl = secs;
        self
    }

    /// See [`SimConfig::unique_invoice_ids`].
    pub fn with_unique_invoice_ids(mut self, on: bool) -> Self {
        self.unique_invoice_ids = on;
        self
    }

    /// The waits between webhook attempts (short ones for tests).
    pub fn with_webhook_retries(mut self, schedule: Vec<Duration>, max_attempts: u32) -> Self {
        if !schedule.is_empty() {
            self.webhook_retry_schedule = schedule;
        }
        self.webhook_max_attempts = max_attempts.max(1);
        self
    }

    /// `PAYPAL-CERT-URL` of the simulator's deliveries.
    pub fn cert_url(&self) -> String {
        format!(
            "{}/v1/notifications/certs/{}",
            self.base_url,
            crate::signing::CERT_ID
        )
    }
}

pub(crate) struct Inner {
    pub(crate) config: SimConfig,
    pub(crate) state: Mutex<State>,
    pub(crate) deliveries: tokio::sync::mpsc::UnboundedSender<(String, String)>,
    pub(crate) faults: StdMutex<faults::FaultState>,
    pub(crate) attempts: StdMutex<Vec<Attempt>>,
    pub(crate) http: reqwest::Client,
    pub(crate) store: Option<Store>,
}

/// The simulator: clone it freely, mount `router()` anywhere.
#[derive(Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
}

impl Simulator {
    /// Objects live in memory only: for tests.
    pub fn in_memory(config: SimConfig) -> Self {
        let mut state = State::new(&config.base_url, merchant_id(&config.client_id));
        state.unique_invoice_ids = config.unique_invoice_ids;
        Self::build(config, None, state)
    }

    /// Objects are kept as JSON in SQLite tables of `pool` (`paypal_sim_*`, created if needed)
    /// and survive a restart; webhooks still owed are sent again after it.
    pub async fn persistent(config: SimConfig, pool: sqlx::SqlitePool) -> Result<Self, String> {
        let store = Store::open(pool).await.map_err(|e| e.to_string())?;
        let mut state = State::new(&config.base_url, merchant_id(&config.client_id));
        state.unique_invoice_ids = config.unique_invoice_ids;
        store.load(&mut state).await.map_err(|e| e.to_string())?;
        let sim = Self::build(config, Some(store), state);
        sim.resume().await;
        Ok(sim)
    }

    fn build(config: SimConfig, store: Option<Store>, state: State) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .build()
            .unwrap_or_default();
        let (deliveries, mut queue) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
        let sim = Simulator {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(state),
                deliveries,
                faults: StdMutex::new(faults::FaultState::new(rand::random())),
                attempts: StdMutex::new(Vec::new()),
                http,
                store,
            }),
        };
        // Runs deliveries; holds only a weak reference so a dropped simulator stops it.
        let weak = Arc::downgrade(&sim.inner);
        tokio::spawn(async move {
            while let Some((event, webhook)) = queue.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let sim = Simulator { inner };
                tokio::spawn(sim.deliver(event, webhook));
            }
        });
        sim
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The webhook registered for `url` with all event types, created when there is none;
    /// returns its id (the `webhook_id` to verify signatures with).
    pub async fn ensure_webhook(&self, url: &str) -> Result<String, String> {
        let mut state = self.inner.state.lock().await;
        if let Some(existing) = state.webhooks.values().find(|w| w.url == url) {
            return Ok(existing.id.clone());
        }
        let id = state
            .create_webhook(&json!({"url": url, "event_types": [{"name": "*"}]}))
            .map_err(|e| e.body.to_string())?;
        self.commit(&mut state).await;
        Ok(id)
    }

    /// What the buyer's "Pay now" on the approval page does (for tests without a browser):
    /// the order becomes APPROVED, paid with `funding`; returns the payer id.
    pub async fn approve_order(
        &self,
        order_id: &str,
        funding: crate::model::Funding,
    ) -> Result<String, String> {
        let mut state = self.inner.state.lock().await;
        let out = state
            .approve(order_id, funding)
            .map_err(|e| e.body.to_string());
        self.commit(&mut state).await;
        out
    }

    /// A PENDING capture settles: COMPLETED (`complete`) or DECLINED, with its webhook.
    pub async fn settle_capture(&self, capture_id: &str, complete: bool) -> Result<(), String> {
        let mut state = self.inner.state.lock().await;
        let out = state
            .settle_capture(capture_id, complete)
            .map_err(|e| e.body.to_string());
        self.commit(&mut state).await;
        out
    }

    /// Every webhook attempt so far (newest last).
    pub fn attempts(&self) -> Vec<Attempt> {
        self.inner
            .attempts
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// The simulator's routes, to serve at the root of a server or nest (e.g. at `/paypal-sim`).
    pub fn router(&self) -> Router {
        let mut api = Router::new()
            .route("/v1/oauth2/token", post(oauth::token))
            .route("/v2/checkout/orders", post(rest::create_order))
            .route(
                "/v2/checkout/orders/{id}",
                get(rest::get_order).patch(rest::patch_order),
            )
            .route(
                "/v2/checkout/orders/{id}/capture",
                post(rest::capture_order),
            )
            .route("/v2/payments/captures/{id}", get(rest::get_capture))
            .route(
                "/v2/payments/captures/{id}/refund",
                post(rest::refund_capture),
            )
            .route("/v2/payments/refunds/{id}", get(rest::get_refund))
            .route(
                "/v1/notifications/webhooks",
                post(rest::create_webhook).get(rest::list_webhooks),
            )
            .route(
                "/v1/notifications/webhooks/{id}",
                get(rest::get_webhook)
                    .patch(rest::patch_webhook)
                    .delete(rest::delete_webhook),
            )
            .route(
                "/v1/notifications/webhooks-events/{id}",
                get(rest::get_event),
            )
            .route(
                "/v1/notifications/webhooks-events/{id}/resend",
                post(rest::resend_event),
            )
            .route(
                "/v1/notifications/verify-webhook-signature",
                post(rest::verify_webhook_signature),
            )
            .route("/v1/notifications/certs/{id}", get(rest::cert))
            .route(
                "/v1/notifications/simulate-event",
                post(rest::simulate_event),
            )
            .route("/sdk/js", get(checkout::sdk_js))
            .route("/sdk/buttons.css", get(checkout::buttons_css))
            .route("/checkoutnow", get(checkout::page))
            .route("/checkoutnow/app.js", get(checkout::page_js))
            .route("/checkoutnow/app.css", get(checkout::page_css))
            .route("/checkoutnow/order", get(checkout::order_summary))
            .route("/checkoutnow/approve", post(checkout::approve));
        if self.inner.config.control_api {
            api = api
                .route("/_sim/orders/{id}/approve", post(control::approve))
                .route(
                    "/_sim/captures/{id}/complete",
                    post(control::complete_capture),
                )
                .route("/_sim/captures/{id}/deny", post(control::deny_capture))
                .route(
                    "/_sim/faults",
                    post(control::set_faults).get(control::get_faults),
                )
                .route("/_sim/deliveries", get(control::deliveries))
                .route("/_sim/events", get(control::events))
                .route("/_sim/clock", post(control::advance_clock))
                .route("/_sim/reset", post(control::reset));
        }
        api.fallback(pipeline::not_found).with_state(self.clone())
    }

    /// Persists what the last operation changed and sends its events.
    pub(crate) async fn commit(&self, state: &mut State) {
        let events = std::mem::take(&mut state.new_events);
        let dirty = std::mem::take(&mut state.dirty);
        for event_id in &events {
            if self.roll_loss() {
                if let Some(e) = state.events.get_mut(event_id) {
                    e.undelivered.clear();
                }
            }
        }
        if let Some(store) = &self.inner.store {
            if let Err(e) = store.save(state, &dirty).await {
                tracing::error!(error = %e, "paypal simulator could not persist its state");
            }
        }
        for event_id in events {
            if let Some(event) = state.events.get(&event_id) {
                for webhook in &event.undelivered {
                    let _ = self
                        .inner
                        .deliveries
                        .send((event_id.clone(), webhook.clone()));
                }
            }
        }
    }

    /// After a restart: owed webhooks go out again.
    async fn resume(&self) {
        let state = self.inner.state.lock().await;
        for id in &state.event_order {
            if let Some(event) = state.events.get(id) {
                for webhook in &event.undelivered {
                    let _ = self.inner.deliveries.send((id.clone(), webhook.clone()));
                }
            }
        }
    }
}

/// A stable 13-character merchant id for the account behind `client_id`.
fn merchant_id(client_id: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    Sha256::digest(client_id.as_bytes())
        .iter()
        .take(13)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}
