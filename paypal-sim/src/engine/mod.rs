//! The simulated PayPal account: its orders, captures, refunds, webhooks, events, tokens and
//! stored idempotent responses, and every change to them. No I/O here: `api` wraps each
//! operation with HTTP, persistence and webhook delivery.

pub mod money;
mod orders;
mod payments;
mod render;
mod webhooks;

use crate::model::{Capture, Event, IdempotencyEntry, Order, Refund, Token, Webhook};
use rand::Rng;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use render::OrderView;
pub use webhooks::webhook_error;

/// What an operation answers: HTTP status and body, or a PayPal error.
pub type ApiResult = Result<(u16, Value), crate::model::ApiError>;

/// The kinds of stored objects (also the `kind` column of `paypal_sim_objects`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Order,
    Capture,
    Refund,
    Webhook,
    Event,
    Token,
    Idempotency,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Capture => "capture",
            Kind::Refund => "refund",
            Kind::Webhook => "webhook",
            Kind::Event => "event",
            Kind::Token => "token",
            Kind::Idempotency => "idempotency",
        }
    }
}

/// The buyer every approval is made by.
pub const PAYER_EMAIL: &str = "sb-buyer@personal.example.com";
/// The merchant every order is paid to.
pub const MERCHANT_EMAIL: &str = "sb-merchant@business.example.com";

#[derive(Default)]
pub struct State {
    /// Public URL of the simulator, for HATEOAS links.
    pub base: String,
    pub merchant_id: String,
    pub orders: HashMap<String, Order>,
    pub captures: HashMap<String, Capture>,
    pub refunds: HashMap<String, Refund>,
    pub webhooks: BTreeMap<String, Webhook>,
    pub events: HashMap<String, Event>,
    /// Event ids, oldest first.
    pub event_order: Vec<String>,
    pub tokens: HashMap<String, Token>,
    pub idempotency: HashMap<String, IdempotencyEntry>,
    /// Changed since the last commit.
    pub dirty: BTreeSet<(Kind, String)>,
    /// Events made since the last commit, to deliver.
    pub new_events: Vec<String>,
    /// Added to the real clock (`POST /_sim/clock`), in milliseconds.
    pub clock_offset: i64,
    /// See `SimConfig::unique_invoice_ids`.
    pub unique_invoice_ids: bool,
}

const ID_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PAYER_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A 17-character id like PayPal's (`5O190127TN364715T`).
pub fn new_id() -> String {
    random_from(ID_ALPHABET, 17)
}

/// A 13-character payer or merchant id (`QYR5Z8XDVJNXQ`).
pub fn new_payer_id() -> String {
    random_from(PAYER_ALPHABET, 13)
}

/// A `paypal-debug-id`: 13 lower-case hex digits.
pub fn new_debug_id() -> String {
    random_from(b"0123456789abcdef", 13)
}

impl State {
    pub fn new(base: &str, merchant_id: String) -> Self {
        State {
            base: base.trim_end_matches('/').to_string(),
            merchant_id,
            ..Default::default()
        }
    }

    pub fn now(&self) -> i64 {
        crate::time::now_ms() + self.clock_offset
    }

    pub fn touch(&mut self, kind: Kind, id: &str) {
        self.dirty.insert((kind, id.to_string()));
    }

    /// Records an event for every webhook that wants it.
    pub fn emit(
        &mut self,
        event_type: &str,
        resource_type: &str,
        summary: String,
        resource: Value,
    ) {
        let id = format!("WH-{}-{}", new_id(), new_id());
        let undelivered = self
            .webhooks
            .values()
            .filter(|w| w.wants(event_type))
            .map(|w| w.id.clone())
            .collect();
        let event = Event {
            id: id.clone(),
            event_type: event_type.into(),
            resource_type: resource_type.into(),
            summary,
            resource,
            create_time: self.now(),
            undelivered,
            sign_as: None,
        };
        self.events.insert(id.clone(), event);
        self.event_order.push(id.clone());
        self.touch(Kind::Event, &id);
        self.new_events.push(id);
    }

    /// The stored answer to a request id, if still kept (6 hours for Orders, 45 days for
    /// Payments: https://developer.paypal.com/reference/guidelines/idempotency/).
    pub fn replay(&self, key: &str, keep_ms: i64) -> Option<&IdempotencyEntry> {
        self.idempotency
            .get(key)
            .filter(|e| self.now() - e.created < keep_ms)
    }

    pub fn remember(&mut self, key: &str, status: u16, body: &Value) {
        let entry = IdempotencyEntry {
            status,
            body: body.clone(),
            created: self.now(),
        };
        self.idempotency.insert(key.to_string(), entry);
        self.touch(Kind::Idempotency, key);
    }

    /// Forgets everything but the webhooks (control API reset).
    pub fn reset(&mut self) {
        for id in self.orders.keys() {
            self.dirty.insert((Kind::Order, id.clone()));
        }
        for id in self.captures.keys() {
            self.dirty.insert((Kind::Capture, id.clone()));
        }
        for id in self.refunds.keys() {
            self.dirty.insert((Kind::Refund, id.clone()));
        }
        for id in self.events.keys() {
            self.dirty.insert((Kind::Event, id.clone()));
        }
        for id in self.idempotency.keys() {
            self.dirty.insert((Kind::Idempotency, id.clone()));
        }
        self.orders.clear();
        self.captures.clear();
        self.refunds.clear();
        self.events.clear();
        self.event_order.clear();
        self.idempotency.clear();
        self.new_events.clear();
    }
}
