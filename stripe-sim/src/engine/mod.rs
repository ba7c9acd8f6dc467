//! The simulated Stripe account: its objects and every state change, as Stripe makes them
//! (https://docs.stripe.com/payments/paymentintents/lifecycle, https://docs.stripe.com/testing).
//! No I/O: the API layer persists what changed and delivers new events.
//!
//! One module per resource; `currency` and `params` hold the rules they share.

mod charges;
mod checkout;
mod confirm;
mod confirmation_tokens;
mod currency;
mod disputes;
mod events;
mod params;
mod payment_intents;
mod payment_methods;
mod refunds;
mod webhook_endpoints;

pub use charges::CardAfterPayment;
pub use checkout::{PageForm, PageOutcome, ShippingForm};
pub use confirm::{AfterAuth, AUTH_FAILURE_MESSAGE};
pub use confirmation_tokens::{ALREADY_USED_MESSAGE, DEFAULT_LIFETIME_SECS, EXPIRED_MESSAGE};
pub use currency::format_amount;
pub use params::Params;

use crate::model::{
    ApiError, Charge, CheckoutSession, ConfirmationToken, Dispute, Event, PaymentIntent,
    PaymentMethod, Refund, WebhookEndpoint,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

/// Work Stripe does later on its own: the API layer runs it after `delay`.
#[derive(Clone, Debug)]
pub enum Scheduled {
    FinishProcessing {
        payment_intent: String,
        succeeds: bool,
    },
    OpenDispute {
        charge: String,
    },
    FailRefund {
        refund: String,
    },
    /// An open Checkout Session reaches its `expires_at` (unix seconds, simulator clock).
    /// Jobs of an older `generation` (the clock moved since they were planned) do nothing.
    ExpireCheckoutSession {
        session: String,
        at: i64,
        generation: u64,
    },
}

/// The kinds of record the account keeps: what a change is tracked and persisted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectKind {
    PaymentIntent,
    PaymentMethod,
    Charge,
    Refund,
    Dispute,
    Event,
    Endpoint,
    Idempotency,
    ConfirmationToken,
    CheckoutSession,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdempotencyEntry {
    pub fingerprint: String,
    pub in_flight: bool,
    pub status: u16,
    pub body: String,
    pub created: i64,
}

/// The simulated Stripe account: every object it holds, and what the current operation changed.
pub struct Account {
    rng: StdRng,
    pub fixed_clock: Option<i64>,
    pub clock_offset: i64,
    pub payment_intents: BTreeMap<String, PaymentIntent>,
    pub payment_methods: BTreeMap<String, PaymentMethod>,
    pub charges: BTreeMap<String, Charge>,
    pub refunds: BTreeMap<String, Refund>,
    pub disputes: BTreeMap<String, Dispute>,
    pub events: BTreeMap<String, Event>,
    /// Event ids, oldest first.
    pub event_order: Vec<String>,
    pub endpoints: BTreeMap<String, WebhookEndpoint>,
    pub idempotency: BTreeMap<String, IdempotencyEntry>,
    pub confirmation_tokens: BTreeMap<String, ConfirmationToken>,
    pub checkout_sessions: BTreeMap<String, CheckoutSession>,
    /// Bumped when the clock moves: the expiry jobs planned before then are replaced.
    pub checkout_timer_generation: u64,
    /// How long a new ConfirmationToken lives, in seconds (`SimConfig::confirmation_token_lifetime`).
    pub confirmation_token_lifetime: i64,
    /// Objects changed by the current operation (to persist).
    pub dirty: BTreeSet<(ObjectKind, String)>,
    /// Events created by the current operation (to deliver).
    pub new_events: Vec<String>,
    /// Deferred work created by the current operation.
    pub scheduled: Vec<Scheduled>,
    /// The request being served, recorded on its events.
    pub request: Option<(String, Option<String>)>,
}

pub type ApiResult = Result<Value, ApiError>;

/// How far `POST /_sim/clock` may move the clock, either way: 100 years, in seconds.
pub const MAX_CLOCK_OFFSET: i64 = 100 * 31_557_600;

impl Account {
    pub fn new(seed: Option<u64>, fixed_clock: Option<i64>) -> Self {
        Account {
            rng: seed
                .map(StdRng::seed_from_u64)
                .unwrap_or_else(StdRng::from_entropy),
            fixed_clock,
            clock_offset: 0,
            payment_intents: BTreeMap::new(),
            payment_methods: BTreeMap::new(),
            charges: BTreeMap::new(),
            refunds: BTreeMap::new(),
            disputes: BTreeMap::new(),
            events: BTreeMap::new(),
            event_order: Vec::new(),
            endpoints: BTreeMap::new(),
            idempotency: BTreeMap::new(),
            confirmation_tokens: BTreeMap::new(),
            checkout_sessions: BTreeMap::new(),
            checkout_timer_generation: 0,
            confirmation_token_lifetime: DEFAULT_LIFETIME_SECS,
            dirty: BTreeSet::new(),
            new_events: Vec::new(),
            scheduled: Vec::new(),
            request: None,
        }
    }

    pub fn now(&self) -> i64 {
        let base = self.fixed_clock.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
        base.saturating_add(self.clock_offset)
    }

    pub fn random_f64(&mut self) -> f64 {
        self.rng.gen()
    }

    /// `prefix_` + 24 alphanumerics, like Stripe's ids.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.new_id_of_length(prefix, 24)
    }

    /// `prefix_` + `length` alphanumerics (Checkout Session ids have 58, Product ids 14).
    pub fn new_id_of_length(&mut self, prefix: &str, length: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..length)
            .map(|_| ALPHABET[self.rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        format!("{prefix}_{tail}")
    }

    fn touch(&mut self, kind: ObjectKind, id: &str) {
        self.dirty.insert((kind, id.to_string()));
    }

    /// Runs deferred work when its time has come.
    pub fn run_scheduled(&mut self, job: &Scheduled) {
        match job {
            Scheduled::FinishProcessing {
                payment_intent,
                succeeds,
            } => self.finish_processing(payment_intent, *succeeds),
            Scheduled::OpenDispute { charge } => self.open_dispute(charge),
            Scheduled::FailRefund { refund } => self.fail_refund(refund),
            Scheduled::ExpireCheckoutSession {
                session,
                generation,
                ..
            } => self.expire_checkout_job(session, *generation),
        }
    }
}
