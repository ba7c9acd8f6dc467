//! The HTTP face of the simulator: Stripe's REST subset, the Stripe.js assets, the 3-D Secure
//! pages and the `/_sim` control API. Auth, idempotency, fault injection, persistence and
//! webhook delivery wrap every operation, once.
//!
//! - `pipeline`: what every request goes through (auth, form parsing, request ids, faults).
//! - `idempotency`: `Idempotency-Key` replays.
//! - `rest`: the `/v1` handlers.
//! - `control`: the `/_sim` control API.
//! - `three_d_secure`: the 3-D Secure challenge endpoints.
//! - `hosted_checkout`: the hosted Checkout page a Checkout Session's `url` opens.
//! - `cors`: CORS headers, only on the routes Stripe.js calls from a shop's pages.
//! - Webhook delivery lives in `crate::webhooks`.

mod control;
mod cors;
mod faults;
mod hosted_checkout;
mod idempotency;
mod pipeline;
mod rest;
mod three_d_secure;

pub use faults::Faults;

use crate::engine::{Account, Params, Scheduled};
use crate::store::Store;
use crate::webhooks::Attempt;
use crate::{assets, cards};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
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
    /// Whether the `/_sim` control API (reset, faults, clock, deliveries, rolling a signing
    /// secret, closing a dispute, the demo page) is served. Off by default: an app that embeds
    /// the simulator serves it to the public, and these routes are for tests. When off they
    /// answer 404 like unknown routes. The 3-D Secure routes under `/_sim/3ds/` are part of
    /// the payment flow and are always served.
    pub control_api: bool,
    /// How long an unused ConfirmationToken lives: 12 hours, as Stripe documents
    /// (https://docs.stripe.com/api/confirmation_tokens/object#confirmation_token_object-expires_at).
    pub confirmation_token_lifetime: Duration,
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
            control_api: false,
            confirmation_token_lifetime: Duration::from_secs(
                crate::engine::DEFAULT_LIFETIME_SECS as u64,
            ),
        })
    }

    /// Turns the `/_sim` control API on or off (see [`SimConfig::control_api`]).
    pub fn with_control_api(mut self, on: bool) -> Self {
        self.control_api = on;
        self
    }
}

/// Work done outside the request that caused it.
pub(crate) enum Work {
    Deliver { event: String, endpoint: String },
    Job(Scheduled),
}

pub(crate) struct Inner {
    pub(crate) config: SimConfig,
    pub(crate) work: tokio::sync::mpsc::UnboundedSender<Work>,
    pub(crate) account: Mutex<Account>,
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

    fn build(config: SimConfig, store: Option<Store>, mut account: Account) -> Self {
        account.confirmation_token_lifetime =
            i64::try_from(config.confirmation_token_lifetime.as_secs()).unwrap_or(i64::MAX);
        let fault_seed = config.seed.unwrap_or_else(rand::random);
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
                faults: StdMutex::new(faults::FaultState::new(fault_seed)),
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
            Scheduled::ExpireCheckoutSession { at, .. } => {
                let now = self.inner.account.lock().await.now();
                Duration::from_secs(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
            }
        };
        // Waits without keeping a dropped simulator alive (an expiry may be a day away).
        let weak = Arc::downgrade(&self.inner);
        drop(self);
        tokio::time::sleep(delay).await;
        let Some(inner) = weak.upgrade() else { return };
        let sim = Simulator { inner };
        let mut account = sim.inner.account.lock().await;
        account.run_scheduled(&job);
        sim.commit(&mut account).await;
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
    /// Every webhook attempt so far (newest last).
    pub fn attempts(&self) -> Vec<Attempt> {
        self.inner
            .attempts
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// The simulator's routes: Stripe's REST API under `/v1`, the Stripe.js stand-in under
    /// `/v3`, the 3-D Secure routes under `/_sim/3ds`, and the control API under `/_sim` when
    /// [`SimConfig::control_api`] is on.
    pub fn router(&self) -> Router {
        let mut api = Router::new()
            .route(
                "/v1/payment_intents",
                post(rest::create_payment_intent).get(rest::list_payment_intents),
            )
            .route(
                "/v1/payment_intents/{id}",
                get(rest::retrieve_payment_intent).post(rest::update_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/confirm",
                post(rest::confirm_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/cancel",
                post(rest::cancel_payment_intent),
            )
            .route(
                "/v1/payment_intents/{id}/capture",
                post(rest::capture_payment_intent),
            )
            .route("/v1/payment_methods", post(rest::create_payment_method))
            .route(
                "/v1/payment_methods/{id}",
                get(rest::retrieve_payment_method),
            )
            .route(
                "/v1/confirmation_tokens",
                post(rest::create_confirmation_token),
            )
            .route(
                "/v1/confirmation_tokens/{id}",
                get(rest::retrieve_confirmation_token),
            )
            .route(
                "/v1/test_helpers/confirmation_tokens",
                post(rest::create_test_confirmation_token),
            )
            .route(
                "/v1/checkout/sessions",
                post(rest::create_checkout_session).get(rest::list_checkout_sessions),
            )
            .route(
                "/v1/checkout/sessions/{id}",
                get(rest::retrieve_checkout_session),
            )
            .route(
                "/v1/checkout/sessions/{id}/expire",
                post(rest::expire_checkout_session),
            )
            .route(
                "/v1/checkout/sessions/{id}/line_items",
                get(rest::list_checkout_session_line_items),
            )
            .route(
                "/c/pay/{id}",
                get(hosted_checkout::show).post(hosted_checkout::pay),
            )
            .route(
                "/c/pay/{id}/return",
                get(hosted_checkout::back_from_authentication),
            )
            .route("/v1/charges/{id}", get(rest::retrieve_charge))
            .route(
                "/v1/refunds",
                post(rest::create_refund).get(rest::list_refunds),
            )
            .route(
                "/v1/refunds/{id}",
                get(rest::retrieve_refund).post(rest::update_refund),
            )
            .route("/v1/disputes", get(rest::list_disputes))
            .route("/v1/disputes/{id}", get(rest::retrieve_dispute))
            .route("/v1/events", get(rest::list_events))
            .route("/v1/events/{id}", get(rest::retrieve_event))
            .route(
                "/v1/webhook_endpoints",
                post(rest::create_endpoint).get(rest::list_endpoints),
            )
            .route(
                "/v1/webhook_endpoints/{id}",
                get(rest::retrieve_endpoint)
                    .post(rest::update_endpoint)
                    .delete(rest::delete_endpoint),
            )
            .route("/_sim/3ds/{id}", post(three_d_secure::authenticate))
            .route(
                "/_sim/3ds/{id}/redirect",
                get(three_d_secure::redirect_challenge_page)
                    .post(three_d_secure::redirect_challenge_answer),
            )
            .route("/v3", get(assets::stripe_js))
            .route("/v3/", get(assets::stripe_js))
            .route("/v3/stripe.js", get(assets::stripe_js))
            .route("/v3/elements-inner.html", get(assets::elements_inner))
            .route("/v3/three-ds-challenge.html", get(assets::challenge));
        if self.inner.config.control_api {
            api = api
                .route("/_sim/reset", post(control::reset))
                .route(
                    "/_sim/faults",
                    post(control::set_faults).get(control::get_faults),
                )
                .route("/_sim/clock", post(control::set_clock))
                .route("/_sim/deliveries", get(control::deliveries))
                .route(
                    "/_sim/webhook_endpoints/{id}/roll",
                    post(control::roll_secret),
                )
                .route("/_sim/disputes/{id}/close", post(control::close_dispute))
                .route("/_sim/demo.html", get(assets::demo));
        }
        api.fallback(pipeline::not_found)
            .with_state(self.clone())
            .layer(axum::middleware::from_fn(cors::cors))
    }

    /// Persists what the last operation changed, delivers its events, schedules its later work.
    pub(crate) async fn commit(&self, account: &mut Account) {
        let events = std::mem::take(&mut account.new_events);
        for event_id in &events {
            if self.roll_loss() {
                if let Some(event) = account.events.get_mut(event_id) {
                    let lost = std::mem::take(&mut event.undelivered);
                    event.abandoned.extend(lost);
                }
            }
        }
        let dirty = std::mem::take(&mut account.dirty);
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
        let open: Vec<(String, i64)> = account
            .checkout_sessions
            .values()
            .filter(|s| s.status == crate::model::SessionStatus::Open)
            .map(|s| (s.id.clone(), s.expires_at))
            .collect();
        for (session, at) in open {
            account.scheduled.push(Scheduled::ExpireCheckoutSession {
                session,
                at,
                generation: 0,
            });
        }
        for (pi, pm) in processing {
            let number = account
                .payment_methods
                .get(&pm)
                .map(|p| p.number.clone())
                .unwrap_or_default();
            let succeeds = !matches!(
                cards::by_number(&number).map(|c| c.behaviour()),
                Some(cards::Behaviour::Processing { succeeds: false })
            );
            account.scheduled.push(Scheduled::FinishProcessing {
                payment_intent: pi,
                succeeds,
            });
        }
        self.commit(&mut account).await;
    }
}
