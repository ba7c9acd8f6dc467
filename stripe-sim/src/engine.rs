//! The simulated Stripe account: its objects and every state change, as Stripe makes them
//! (FACTS §1.2, §3, §6). No I/O: the API layer persists what changed and delivers new events.

use crate::cards::{self, Behaviour, Decline};
use crate::model::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

pub const AUTH_FAILURE_MESSAGE: &str =
    "We are unable to authenticate your payment method. Please choose a different payment method and try again.";

/// What a card that pays does afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardAfterPayment {
    /// Nothing more happens.
    Normal,
    /// A dispute opens shortly after the payment (`charge.dispute.created`), like test card 0259.
    Disputed,
    /// Its refunds look successful, then fail (`expired_or_canceled_card`), like test card 5126.
    RefundsFail,
}

impl CardAfterPayment {
    /// What a card with `behaviour` does once it has paid (`Normal` for any card that does not
    /// simply pay).
    fn of(behaviour: &Behaviour) -> Self {
        match behaviour {
            Behaviour::SucceedThenDispute => CardAfterPayment::Disputed,
            Behaviour::SucceedRefundFails => CardAfterPayment::RefundsFail,
            _ => CardAfterPayment::Normal,
        }
    }
}

/// What completing a 3-D Secure challenge leads to.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "StoredAfterAuth", into = "StoredAfterAuth")]
pub enum AfterAuth {
    Succeed(CardAfterPayment),
    Decline(Decline),
}

impl AfterAuth {
    fn into_behaviour(self) -> Behaviour {
        match self {
            AfterAuth::Succeed(CardAfterPayment::Normal) => Behaviour::Succeed,
            AfterAuth::Succeed(CardAfterPayment::Disputed) => Behaviour::SucceedThenDispute,
            AfterAuth::Succeed(CardAfterPayment::RefundsFail) => Behaviour::SucceedRefundFails,
            AfterAuth::Decline(decline) => Behaviour::Decline(decline),
        }
    }
}

/// `AfterAuth` as it is persisted with a PaymentIntent awaiting 3-D Secure. This shape is what
/// stored accounts hold, so it stays as it is.
#[derive(Serialize, Deserialize)]
enum StoredAfterAuth {
    Succeed { dispute: bool, refunds_fail: bool },
    Decline(Decline),
}

impl From<StoredAfterAuth> for AfterAuth {
    fn from(stored: StoredAfterAuth) -> Self {
        match stored {
            StoredAfterAuth::Succeed { dispute: true, .. } => {
                AfterAuth::Succeed(CardAfterPayment::Disputed)
            }
            StoredAfterAuth::Succeed {
                refunds_fail: true, ..
            } => AfterAuth::Succeed(CardAfterPayment::RefundsFail),
            StoredAfterAuth::Succeed { .. } => AfterAuth::Succeed(CardAfterPayment::Normal),
            StoredAfterAuth::Decline(decline) => AfterAuth::Decline(decline),
        }
    }
}

impl From<AfterAuth> for StoredAfterAuth {
    fn from(after: AfterAuth) -> Self {
        match after {
            AfterAuth::Succeed(card) => StoredAfterAuth::Succeed {
                dispute: card == CardAfterPayment::Disputed,
                refunds_fail: card == CardAfterPayment::RefundsFail,
            },
            AfterAuth::Decline(decline) => StoredAfterAuth::Decline(decline),
        }
    }
}

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
    pub disputes: BTreeMap<String, Value>,
    pub events: BTreeMap<String, Event>,
    /// Event ids, oldest first.
    pub event_order: Vec<String>,
    pub endpoints: BTreeMap<String, WebhookEndpoint>,
    pub idempotency: BTreeMap<String, IdempotencyEntry>,
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
        base + self.clock_offset
    }

    pub fn random_f64(&mut self) -> f64 {
        self.rng.gen()
    }

    /// `prefix_` + 24 alphanumerics, like Stripe's ids.
    pub fn new_id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..24)
            .map(|_| ALPHABET[self.rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        format!("{prefix}_{tail}")
    }

    fn touch(&mut self, kind: ObjectKind, id: &str) {
        self.dirty.insert((kind, id.to_string()));
    }

    /// Records an event and addresses it to every endpoint that wants its type.
    pub fn emit(&mut self, kind: &str, object: Value, previous: Option<Value>) {
        let id = self.new_id("evt");
        let undelivered = self
            .endpoints
            .values()
            .filter(|e| e.wants(kind))
            .map(|e| e.id.clone())
            .collect();
        let (request_id, idempotency_key) = match &self.request {
            Some((r, k)) => (Some(r.clone()), k.clone()),
            None => (None, None),
        };
        let event = Event {
            id: id.clone(),
            kind: kind.to_string(),
            created: self.now(),
            object,
            previous_attributes: previous,
            request_id,
            idempotency_key,
            undelivered,
        };
        self.events.insert(id.clone(), event);
        self.event_order.push(id.clone());
        self.new_events.push(id.clone());
        self.touch(ObjectKind::Event, &id);
    }

    pub fn pi_json(&self, id: &str) -> Value {
        self.payment_intents
            .get(id)
            .map(|pi| pi.to_json(View::Secret))
            .unwrap_or(Value::Null)
    }

    pub fn charge_json(&self, id: &str) -> Value {
        let Some(charge) = self.charges.get(id) else {
            return Value::Null;
        };
        let refunds = self
            .refunds
            .values()
            .filter(|r| r.charge == id)
            .map(Refund::to_json)
            .collect();
        charge.to_json(refunds)
    }

    pub fn payment_intent(&self, id: &str) -> Result<&PaymentIntent, ApiError> {
        self.payment_intents
            .get(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))
    }

    /// Renders a PaymentIntent, expanding `latest_charge` / `payment_method` when asked.
    pub fn render_pi(&self, id: &str, view: View, expand: &[String]) -> ApiResult {
        let pi = self.payment_intent(id)?;
        let mut v = pi.to_json(view);
        if view == View::Secret {
            if expand.iter().any(|e| e == "latest_charge") {
                if let Some(c) = &pi.latest_charge {
                    v["latest_charge"] = self.charge_json(c);
                }
            }
            if expand.iter().any(|e| e == "payment_method") {
                if let Some(pm) = pi
                    .payment_method
                    .as_ref()
                    .and_then(|p| self.payment_methods.get(p))
                {
                    v["payment_method"] = pm.to_json();
                }
            }
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters

pub struct Params<'a>(pub &'a Value);

impl Params<'_> {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.str(key).filter(|s| !s.is_empty())
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid(format!("Invalid integer: {s}"))
                    .code("parameter_invalid_integer")
                    .param(key)
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(s) => Err(ApiError::invalid(format!("Invalid boolean: {s}")).param(key)),
        }
    }

    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s.to_string())),
            Some(s) => Err(ApiError::invalid(format!(
                "Invalid {key}: must be one of {}",
                allowed.join(", ")
            ))
            .param(key)
            .with(
                "message",
                format!(
                    "Invalid {key}: must be one of {} (got {s})",
                    allowed.join(", ")
                ),
            )),
        }
    }

    pub fn expand(&self) -> Vec<String> {
        match self.0.get("expand") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Rejects parameters the endpoint does not take, like Stripe.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        if let Some(map) = self.0.as_object() {
            if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(
                    ApiError::invalid(format!("Received unknown parameter: {unknown}"))
                        .param(unknown),
                );
            }
        }
        Ok(())
    }

    /// Applies `metadata[k]=v` updates: an empty value deletes the key, `metadata=` clears all.
    pub fn metadata_into(&self, target: &mut BTreeMap<String, String>) -> Result<(), ApiError> {
        match self.0.get("metadata") {
            None => Ok(()),
            Some(Value::String(s)) if s.is_empty() => {
                target.clear();
                Ok(())
            }
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    let v = v.as_str().unwrap_or_default();
                    if k.len() > 40 {
                        return Err(ApiError::invalid(
                            "Metadata keys can have a maximum length of 40 characters.",
                        )
                        .param(&format!("metadata[{k}]")));
                    }
                    if v.len() > 500 {
                        return Err(ApiError::invalid(
                            "Metadata values can have a maximum length of 500 characters.",
                        )
                        .param(&format!("metadata[{k}]")));
                    }
                    if v.is_empty() {
                        target.remove(k);
                    } else {
                        target.insert(k.clone(), v.to_string());
                    }
                }
                if target.len() > 50 {
                    return Err(ApiError::invalid("Metadata can have a maximum of 50 keys.")
                        .param("metadata"));
                }
                Ok(())
            }
            Some(_) => Err(ApiError::invalid("Invalid hash").param("metadata")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Currencies (FACTS §1.4)

const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];
const MINIMUMS: &[(&str, i64)] = &[
    ("usd", 50),
    ("eur", 50),
    ("gbp", 30),
    ("aud", 50),
    ("cad", 50),
    ("chf", 50),
    ("nzd", 50),
    ("sgd", 50),
    ("brl", 50),
    ("inr", 50),
    ("jpy", 50),
    ("hkd", 400),
    ("aed", 200),
    ("pln", 200),
    ("ron", 200),
    ("myr", 200),
    ("bgn", 100),
    ("dkk", 250),
    ("nok", 300),
    ("sek", 300),
    ("czk", 1500),
    ("mxn", 1000),
    ("thb", 1000),
    ("huf", 17500),
];

pub fn format_amount(amount: i64, currency: &str) -> String {
    let symbol = match currency {
        "usd" | "aud" | "cad" | "nzd" | "sgd" | "hkd" | "mxn" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        _ => "",
    };
    let digits = if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    };
    let number = if digits == 0 {
        amount.to_string()
    } else {
        let div = 10i64.pow(digits);
        format!(
            "{}.{:0width$}",
            amount / div,
            (amount % div).abs(),
            width = digits as usize
        )
    };
    if symbol.is_empty() {
        format!("{number} {}", currency.to_uppercase())
    } else {
        format!("{symbol}{number}")
    }
}

fn check_amount(amount: i64, currency: &str) -> Result<(), ApiError> {
    if amount < 1 {
        return Err(
            ApiError::invalid("This value must be greater than or equal to 1.").param("amount"),
        );
    }
    if amount > 99_999_999 {
        return Err(ApiError::invalid(format!(
            "Amount must be no more than {}",
            format_amount(99_999_999, currency)
        ))
        .code("amount_too_large")
        .param("amount"));
    }
    let minimum = MINIMUMS
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, m)| *m)
        .unwrap_or(50);
    if amount < minimum {
        return Err(ApiError::invalid(format!(
            "Amount must be at least {} {currency}",
            format_amount(minimum, currency)
        ))
        .code("amount_too_small")
        .param("amount"));
    }
    if THREE_DECIMAL.contains(&currency) && amount % 10 != 0 {
        return Err(ApiError::invalid(format!(
            "Amounts in {} must be a multiple of 10 (the last digit must be 0).",
            currency.to_uppercase()
        ))
        .code("invalid_amount")
        .param("amount"));
    }
    Ok(())
}

fn check_currency(raw: &str) -> Result<String, ApiError> {
    let currency = raw.to_ascii_lowercase();
    let known = ZERO_DECIMAL.contains(&currency.as_str())
        || THREE_DECIMAL.contains(&currency.as_str())
        || MINIMUMS.iter().any(|(c, _)| *c == currency);
    if known {
        Ok(currency)
    } else {
        Err(ApiError::invalid(format!("Invalid currency: {raw}. Stripe currently supports these currencies: usd, eur, gbp, jpy, …"))
            .param("currency"))
    }
}

// ---------------------------------------------------------------------------------------------
// PaymentIntents

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "automatic_payment_methods",
    "metadata",
    "receipt_email",
    "description",
    "capture_method",
    "confirmation_method",
    "customer",
    "payment_method",
    "payment_method_types",
    "confirm",
    "return_url",
    "error_on_requires_action",
    "off_session",
    "use_stripe_sdk",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "expand",
    "payment_method_options",
    "mandate_data",
];

const CANCEL_REASONS: &[&str] = &[
    "abandoned",
    "duplicate",
    "fraudulent",
    "requested_by_customer",
];

impl Account {
    pub fn create_payment_intent(&mut self, p: &Params, base_url: &str) -> ApiResult {
        p.only(CREATE_PARAMS)?;
        let currency = check_currency(
            p.non_empty("currency")
                .ok_or_else(|| ApiError::missing("currency"))?,
        )?;
        let amount = p
            .int("amount")?
            .ok_or_else(|| ApiError::missing("amount"))?;
        check_amount(amount, &currency)?;
        let capture_method = p
            .one_of(
                "capture_method",
                &["automatic", "automatic_async", "manual"],
            )?
            .unwrap_or_else(|| "automatic_async".into());
        let confirmation_method = p
            .one_of("confirmation_method", &["automatic", "manual"])?
            .unwrap_or_else(|| "automatic".into());
        let automatic = match p.0.get("automatic_payment_methods") {
            Some(v) => {
                let ap = Params(v);
                let enabled = ap
                    .bool("enabled")?
                    .ok_or_else(|| ApiError::missing("automatic_payment_methods[enabled]"))?;
                let redirects = ap
                    .one_of("allow_redirects", &["always", "never"])?
                    .unwrap_or_else(|| "always".into());
                Some(json!({"allow_redirects": redirects, "enabled": enabled}))
            }
            None => None,
        };
        let payment_method_types = match p.0.get("payment_method_types") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => vec!["card".to_string()],
        };
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let payment_method = match p.non_empty("payment_method") {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        let id = self.new_id("pi");
        let secret_tail = self.new_id("secret");
        let pi = PaymentIntent {
            client_secret: format!("{id}_{secret_tail}"),
            id: id.clone(),
            amount,
            currency,
            status: if payment_method.is_some() {
                PiStatus::RequiresConfirmation
            } else {
                PiStatus::RequiresPaymentMethod
            },
            capture_method,
            confirmation_method,
            created: self.now(),
            metadata,
            description: p.non_empty("description").map(String::from),
            receipt_email: p.non_empty("receipt_email").map(String::from),
            automatic_payment_methods: automatic,
            payment_method_types,
            payment_method,
            last_payment_error: None,
            next_action: None,
            latest_charge: None,
            amount_received: 0,
            amount_capturable: 0,
            canceled_at: None,
            cancellation_reason: None,
            shipping: p.0.get("shipping").cloned(),
            statement_descriptor: p.non_empty("statement_descriptor").map(String::from),
            statement_descriptor_suffix: p
                .non_empty("statement_descriptor_suffix")
                .map(String::from),
            setup_future_usage: p.non_empty("setup_future_usage").map(String::from),
            customer: p.non_empty("customer").map(String::from),
            pending_authentication: None,
        };
        self.payment_intents.insert(id.clone(), pi);
        self.touch(ObjectKind::PaymentIntent, &id);
        let created = self.pi_json(&id);
        self.emit("payment_intent.created", created, None);
        if p.bool("confirm")? == Some(true) {
            return self.confirm_payment_intent(&id, p, View::Secret, base_url);
        }
        self.render_pi(&id, View::Secret, &p.expand())
    }

    pub fn update_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&[
            "amount",
            "currency",
            "metadata",
            "description",
            "receipt_email",
            "payment_method",
            "capture_method",
            "shipping",
            "setup_future_usage",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "expand",
            "payment_method_types",
            "customer",
        ])?;
        let status = self.payment_intent(id)?.status;
        if matches!(
            status,
            PiStatus::Succeeded | PiStatus::Canceled | PiStatus::Processing
        ) {
            return Err(ApiError::invalid(format!(
                "This PaymentIntent's {} could not be updated because it has a status of {}. You may only update the {} of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
                "amount", status.as_str(), "amount"
            ))
            .code("payment_intent_unexpected_state"));
        }
        let currency = match p.non_empty("currency") {
            Some(c) => Some(check_currency(c)?),
            None => None,
        };
        let amount = p.int("amount")?;
        let pm = match p.non_empty("payment_method") {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let capture = p.one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?;
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        let new_currency = currency.unwrap_or_else(|| pi.currency.clone());
        let new_amount = amount.unwrap_or(pi.amount);
        check_amount(new_amount, &new_currency)?;
        let mut metadata = pi.metadata.clone();
        p.metadata_into(&mut metadata)?;
        pi.metadata = metadata;
        pi.amount = new_amount;
        pi.currency = new_currency;
        if let Some(d) = p.str("description") {
            pi.description = (!d.is_empty()).then(|| d.to_string());
        }
        if let Some(e) = p.str("receipt_email") {
            pi.receipt_email = (!e.is_empty()).then(|| e.to_string());
        }
        if let Some(c) = capture {
            pi.capture_method = c;
        }
        if let Some(s) = p.0.get("shipping") {
            pi.shipping = Some(s.clone());
        }
        if let Some(s) = p.str("statement_descriptor_suffix") {
            pi.statement_descriptor_suffix = (!s.is_empty()).then(|| s.to_string());
        }
        pi.last_payment_error = None;
        if let Some(pm) = pm {
            pi.payment_method = Some(pm);
            pi.status = PiStatus::RequiresConfirmation;
            pi.next_action = None;
            pi.pending_authentication = None;
        } else if pi.status == PiStatus::RequiresAction && (amount.is_some() || currency_changed(p))
        {
            // The authentication was for the old amount.
            pi.status = PiStatus::RequiresPaymentMethod;
            pi.next_action = None;
            pi.pending_authentication = None;
            pi.payment_method = None;
        }
        self.touch(ObjectKind::PaymentIntent, id);
        self.render_pi(id, View::Secret, &p.expand())
    }

    /// A `pm_…` id of a stored method, or a `pm_card_*` test id (which creates a new method).
    fn resolve_payment_method(&mut self, id: &str) -> Result<String, ApiError> {
        if self.payment_methods.contains_key(id) {
            return Ok(id.to_string());
        }
        let card = cards::by_pm_id(id)
            .ok_or_else(|| ApiError::not_found("PaymentMethod", id).param("payment_method"))?;
        let pm = PaymentMethod {
            id: self.new_id("pm"),
            created: self.now(),
            brand: card.brand.to_string(),
            last4: card.last4().to_string(),
            funding: card.funding.to_string(),
            exp_month: 12,
            exp_year: 2034,
            postal_code: None,
            number: card.number.to_string(),
        };
        let pm_id = pm.id.clone();
        self.payment_methods.insert(pm_id.clone(), pm);
        self.touch(ObjectKind::PaymentMethod, &pm_id);
        Ok(pm_id)
    }

    /// `POST /v1/payment_methods` with raw card details (the Stripe.js stand-in's iframe does this).
    pub fn create_payment_method(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "type",
            "card",
            "billing_details",
            "metadata",
            "allow_redisplay",
        ])?;
        if p.str("type") != Some("card") {
            return Err(ApiError::invalid("Only type=card is simulated.").param("type"));
        }
        let card =
            p.0.get("card")
                .map(Params)
                .ok_or_else(|| ApiError::missing("card"))?;
        let number: String = card
            .str("number")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let card_error = |code: &str, param: &str, message: &str| {
            ApiError::new(402, "card_error", message)
                .code(code)
                .param(param)
        };
        if !cards::luhn_valid(&number) {
            return Err(card_error(
                "incorrect_number",
                "number",
                "Your card number is incorrect.",
            ));
        }
        let exp_month = card
            .int("exp_month")?
            .ok_or_else(|| ApiError::missing("card[exp_month]"))?;
        let mut exp_year = card
            .int("exp_year")?
            .ok_or_else(|| ApiError::missing("card[exp_year]"))?;
        if exp_year < 100 {
            exp_year += 2000;
        }
        if !(1..=12).contains(&exp_month) {
            return Err(card_error(
                "invalid_expiry_month",
                "exp_month",
                "Your card's expiration month is invalid.",
            ));
        }
        let this_year = 1970 + self.now() / 31_556_952;
        if exp_year < this_year {
            return Err(card_error(
                "invalid_expiry_year",
                "exp_year",
                "Your card's expiration year is invalid.",
            ));
        }
        let cvc = card.str("cvc").unwrap_or_default();
        if !cvc.is_empty() && !(3..=4).contains(&cvc.len()) {
            return Err(card_error(
                "invalid_cvc",
                "cvc",
                "Your card's security code is invalid.",
            ));
        }
        let known = cards::by_number(&number);
        let postal_code =
            p.0.get("billing_details")
                .and_then(|b| b.get("address"))
                .and_then(|a| a.get("postal_code"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from);
        let pm = PaymentMethod {
            id: self.new_id("pm"),
            created: self.now(),
            brand: known
                .map(|c| c.brand)
                .unwrap_or_else(|| cards::brand_of(&number))
                .to_string(),
            last4: number[number.len() - 4..].to_string(),
            funding: known.map(|c| c.funding).unwrap_or("credit").to_string(),
            exp_month,
            exp_year,
            postal_code,
            number,
        };
        let json = pm.to_json();
        let id = pm.id.clone();
        self.payment_methods.insert(id.clone(), pm);
        self.touch(ObjectKind::PaymentMethod, &id);
        Ok(json)
    }

    pub fn confirm_payment_intent(
        &mut self,
        id: &str,
        p: &Params,
        view: View,
        base_url: &str,
    ) -> ApiResult {
        let pi = self.payment_intent(id)?;
        if !matches!(
            pi.status,
            PiStatus::RequiresPaymentMethod | PiStatus::RequiresConfirmation
        ) {
            let pi_json = pi.to_json(view);
            let message = match pi.status {
                PiStatus::Succeeded => "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.".to_string(),
                status => format!(
                    "You cannot confirm this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method.",
                    status.as_str()
                ),
            };
            return Err(ApiError::invalid(message)
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi_json));
        }
        let requested_pm = match p.non_empty("payment_method") {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        let pi = self.payment_intent(id)?;
        let Some(pm_id) = requested_pm.or_else(|| pi.payment_method.clone()) else {
            return Err(ApiError::invalid("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with cus_, specify a payment method attached to this customer along with the customer ID.")
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi.to_json(view)));
        };
        let return_url = p.non_empty("return_url").map(String::from);
        let redirects_allowed = pi
            .automatic_payment_methods
            .as_ref()
            .is_some_and(|a| a["enabled"] == json!(true) && a["allow_redirects"] != json!("never"));
        if view == View::Secret
            && redirects_allowed
            && return_url.is_none()
            && p.bool("use_stripe_sdk")? != Some(true)
        {
            return Err(ApiError::invalid("This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.")
                .param("return_url"));
        }
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let number = self
            .payment_methods
            .get(&pm_id)
            .map(|pm| pm.number.clone())
            .unwrap_or_default();
        // With manual confirmation, a completed challenge waits for the server to confirm again.
        let authenticated = self
            .payment_intents
            .get(id)
            .filter(|pi| {
                pi.status == PiStatus::RequiresConfirmation
                    && pi.payment_method.as_deref() == Some(pm_id.as_str())
            })
            .and_then(|pi| pi.pending_authentication.clone());
        let behaviour = match authenticated {
            Some(after) => after.into_behaviour(),
            None => cards::by_number(&number)
                .map(|c| c.behaviour())
                .unwrap_or(Behaviour::Succeed),
        };
        let error_on_requires_action = p.bool("error_on_requires_action")? == Some(true);
        let use_sdk = view == View::Publishable
            || p.bool("use_stripe_sdk")? == Some(true)
            || return_url.is_none();
        {
            let pi = self
                .payment_intents
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
            pi.payment_method = Some(pm_id.clone());
            pi.last_payment_error = None;
            pi.next_action = None;
            if let Some(email) = p.non_empty("receipt_email") {
                pi.receipt_email = Some(email.to_string());
            }
            if let Some(shipping) = p.0.get("shipping") {
                pi.shipping = Some(shipping.clone());
            }
        }
        self.touch(ObjectKind::PaymentIntent, id);
        match behaviour {
            Behaviour::Succeed => self.pay(id, &pm_id, CardAfterPayment::Normal),
            Behaviour::SucceedThenDispute => self.pay(id, &pm_id, CardAfterPayment::Disputed),
            Behaviour::SucceedRefundFails => self.pay(id, &pm_id, CardAfterPayment::RefundsFail),
            Behaviour::Decline(decline) => self.decline(id, &pm_id, &decline),
            Behaviour::Processing { succeeds } => self.start_processing(id, &pm_id, succeeds),
            Behaviour::ThreeDSecure(then) => {
                if error_on_requires_action {
                    let decline = Decline::new(
                        "authentication_required",
                        "authentication_not_handled",
                        "Your card was declined. This transaction requires authentication.",
                        None,
                    );
                    self.decline(id, &pm_id, &decline)
                } else {
                    self.require_action(id, *then, use_sdk, return_url, base_url)
                }
            }
        }
        let pi = self.payment_intent(id)?;
        match &pi.last_payment_error {
            // Declines answer 402 with the error and the PaymentIntent inside it.
            Some(error) if pi.status == PiStatus::RequiresPaymentMethod => {
                let mut body = json!({"error": error.clone()});
                body["error"]["payment_intent"] = pi.to_json(view);
                Err(ApiError { status: 402, body })
            }
            _ => self.render_pi(id, view, &p.expand()),
        }
    }

    fn new_charge(&mut self, pi_id: &str, pm_id: &str, status: &str) -> String {
        let charge_id = self.new_id("ch");
        let pi = &self.payment_intents[pi_id];
        let pm = self.payment_methods.get(pm_id);
        let charge = Charge {
            id: charge_id.clone(),
            payment_intent: pi_id.to_string(),
            payment_method: pm_id.to_string(),
            amount: pi.amount,
            amount_captured: 0,
            amount_refunded: 0,
            currency: pi.currency.clone(),
            created: self.now(),
            status: status.to_string(),
            captured: false,
            disputed: false,
            failure_code: None,
            failure_message: None,
            decline_code: None,
            receipt_email: pi.receipt_email.clone(),
            description: pi.description.clone(),
            metadata: pi.metadata.clone(),
            card_brand: pm.map(|p| p.brand.clone()).unwrap_or_default(),
            card_last4: pm.map(|p| p.last4.clone()).unwrap_or_default(),
            refunds_fail: false,
        };
        self.charges.insert(charge_id.clone(), charge);
        self.touch(ObjectKind::Charge, &charge_id);
        if let Some(pi) = self.payment_intents.get_mut(pi_id) {
            pi.latest_charge = Some(charge_id.clone());
        }
        charge_id
    }

    /// The payment goes through: a captured charge, or an authorised one under manual capture.
    fn pay(&mut self, pi_id: &str, pm_id: &str, card: CardAfterPayment) {
        let charge_id = self.new_charge(pi_id, pm_id, "succeeded");
        self.settle(pi_id, &charge_id, card);
    }

    fn settle(&mut self, pi_id: &str, charge_id: &str, card: CardAfterPayment) {
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let manual = pi.capture_method == "manual";
        let previous = json!({"status": pi.status.as_str()});
        pi.next_action = None;
        pi.pending_authentication = None;
        pi.last_payment_error = None;
        if manual {
            pi.status = PiStatus::RequiresCapture;
            pi.amount_capturable = pi.amount;
        } else {
            pi.status = PiStatus::Succeeded;
            pi.amount_received = pi.amount;
        }
        let amount = pi.amount;
        if let Some(charge) = self.charges.get_mut(charge_id) {
            charge.status = "succeeded".into();
            charge.captured = !manual;
            charge.amount_captured = if manual { 0 } else { amount };
            charge.refunds_fail = card == CardAfterPayment::RefundsFail;
        }
        self.touch(ObjectKind::PaymentIntent, pi_id);
        self.touch(ObjectKind::Charge, charge_id);
        let charge = self.charge_json(charge_id);
        self.emit("charge.succeeded", charge, None);
        let pi = self.pi_json(pi_id);
        if manual {
            self.emit(
                "payment_intent.amount_capturable_updated",
                pi,
                Some(previous),
            );
        } else {
            self.emit("payment_intent.succeeded", pi, Some(previous));
        }
        if card == CardAfterPayment::Disputed {
            self.scheduled.push(Scheduled::OpenDispute {
                charge: charge_id.to_string(),
            });
        }
    }

    fn decline(&mut self, pi_id: &str, pm_id: &str, decline: &Decline) {
        let charge_id = self.new_charge(pi_id, pm_id, "failed");
        self.fail_charge(pi_id, &charge_id, decline);
    }

    fn fail_charge(&mut self, pi_id: &str, charge_id: &str, decline: &Decline) {
        if let Some(charge) = self.charges.get_mut(charge_id) {
            charge.status = "failed".into();
            charge.failure_code = Some(decline.code.clone());
            charge.failure_message = Some(decline.message.clone());
            charge.decline_code = Some(decline.decline_code.clone());
        }
        let pm_json = self
            .charges
            .get(charge_id)
            .and_then(|c| self.payment_methods.get(&c.payment_method))
            .map(PaymentMethod::to_json)
            .unwrap_or(Value::Null);
        let mut error = json!({
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "charge": charge_id,
            "payment_method": pm_json,
            "doc_url": format!("https://stripe.com/docs/error-codes/{}", decline.code.replace('_', "-")),
            "advice_code": if decline.decline_code == "insufficient_funds" { "try_again_later" } else { "do_not_try_again" },
        });
        if let Some(param) = &decline.param {
            error["param"] = json!(param);
        }
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::RequiresPaymentMethod;
        pi.last_payment_error = Some(error);
        pi.next_action = None;
        pi.pending_authentication = None;
        self.touch(ObjectKind::PaymentIntent, pi_id);
        self.touch(ObjectKind::Charge, charge_id);
        let charge = self.charge_json(charge_id);
        self.emit("charge.failed", charge, None);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.payment_failed", pi, Some(previous));
    }

    fn start_processing(&mut self, pi_id: &str, pm_id: &str, succeeds: bool) {
        let charge_id = self.new_charge(pi_id, pm_id, "pending");
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::Processing;
        self.touch(ObjectKind::PaymentIntent, pi_id);
        let charge = self.charge_json(&charge_id);
        self.emit("charge.pending", charge, None);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.processing", pi, Some(previous));
        self.scheduled.push(Scheduled::FinishProcessing {
            payment_intent: pi_id.to_string(),
            succeeds,
        });
    }

    fn require_action(
        &mut self,
        pi_id: &str,
        then: Behaviour,
        use_sdk: bool,
        return_url: Option<String>,
        base_url: &str,
    ) {
        let after = match then {
            Behaviour::Decline(d) => AfterAuth::Decline(d),
            other => AfterAuth::Succeed(CardAfterPayment::of(&other)),
        };
        let source = self.new_id("src");
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::RequiresAction;
        pi.pending_authentication = Some(after);
        pi.next_action = Some(match (use_sdk, return_url) {
            (false, Some(return_url)) => json!({
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": format!("{base_url}/_sim/3ds/{pi_id}/redirect?client_secret={}&return_url={}", pi.client_secret, urlencode(&return_url)),
                    "return_url": return_url
                }
            }),
            _ => json!({
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "source": source, "stripe_js": format!("{base_url}/v3/three-ds-challenge.html")}
            }),
        });
        self.touch(ObjectKind::PaymentIntent, pi_id);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.requires_action", pi, Some(previous));
    }

    /// The shopper completes (`true`) or fails the 3-D Secure challenge.
    pub fn authenticate(&mut self, pi_id: &str, complete: bool, view: View) -> ApiResult {
        let pi = self.payment_intent(pi_id)?;
        if pi.status != PiStatus::RequiresAction {
            return Err(ApiError::invalid(format!(
                "This PaymentIntent has no authentication to complete: its status is {}.",
                pi.status.as_str()
            ))
            .code("payment_intent_unexpected_state"));
        }
        let after = pi
            .pending_authentication
            .clone()
            .unwrap_or(AfterAuth::Succeed(CardAfterPayment::Normal));
        let pm_id = pi.payment_method.clone().unwrap_or_default();
        if !complete {
            let pm_json = self
                .payment_methods
                .get(&pm_id)
                .map(PaymentMethod::to_json)
                .unwrap_or(Value::Null);
            let pi = self
                .payment_intents
                .get_mut(pi_id)
                .ok_or_else(|| ApiError::not_found("payment_intent", pi_id))?;
            let previous = json!({"status": pi.status.as_str()});
            pi.status = PiStatus::RequiresPaymentMethod;
            pi.next_action = None;
            pi.pending_authentication = None;
            pi.last_payment_error = Some(json!({
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": AUTH_FAILURE_MESSAGE,
                "payment_method": pm_json,
                "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            }));
            self.touch(ObjectKind::PaymentIntent, pi_id);
            let pi = self.pi_json(pi_id);
            self.emit("payment_intent.payment_failed", pi, Some(previous));
        } else if pi.confirmation_method == "manual" {
            let pi = self
                .payment_intents
                .get_mut(pi_id)
                .ok_or_else(|| ApiError::not_found("payment_intent", pi_id))?;
            pi.status = PiStatus::RequiresConfirmation;
            pi.next_action = None;
            self.touch(ObjectKind::PaymentIntent, pi_id);
        } else {
            match after {
                AfterAuth::Decline(decline) => self.decline(pi_id, &pm_id, &decline),
                AfterAuth::Succeed(card) => self.pay(pi_id, &pm_id, card),
            }
        }
        self.render_pi(pi_id, view, &[])
    }

    pub fn cancel_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&["cancellation_reason", "expand"])?;
        let reason = p.one_of("cancellation_reason", CANCEL_REASONS)?;
        let now = self.now();
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        if matches!(
            pi.status,
            PiStatus::Succeeded | PiStatus::Canceled | PiStatus::Processing
        ) {
            let message = format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.",
                pi.status.as_str()
            );
            let pi_json = pi.to_json(View::Secret);
            return Err(ApiError::invalid(message)
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi_json));
        }
        let previous = json!({"status": pi.status.as_str()});
        let released = pi.status == PiStatus::RequiresCapture;
        pi.status = PiStatus::Canceled;
        pi.canceled_at = Some(now);
        pi.cancellation_reason = reason;
        pi.next_action = None;
        pi.pending_authentication = None;
        pi.amount_capturable = 0;
        let charge_id = pi.latest_charge.clone();
        self.touch(ObjectKind::PaymentIntent, id);
        if released {
            // The authorisation is released: the uncaptured charge shows as refunded.
            if let Some(charge) = charge_id.as_ref().and_then(|c| self.charges.get_mut(c)) {
                charge.amount_refunded = charge.amount;
                let cid = charge.id.clone();
                self.touch(ObjectKind::Charge, &cid);
            }
        }
        let pi_json = self.pi_json(id);
        self.emit("payment_intent.canceled", pi_json, Some(previous));
        self.render_pi(id, View::Secret, &p.expand())
    }

    pub fn capture_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&[
            "amount_to_capture",
            "metadata",
            "expand",
            "statement_descriptor",
            "statement_descriptor_suffix",
        ])?;
        let to_capture = p.int("amount_to_capture")?;
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        if pi.status != PiStatus::RequiresCapture {
            let message = format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                pi.status.as_str()
            );
            return Err(ApiError::invalid(message).code("payment_intent_unexpected_state"));
        }
        let amount = to_capture.unwrap_or(pi.amount_capturable);
        if amount < 1 || amount > pi.amount_capturable {
            return Err(ApiError::invalid(format!(
                "The amount to capture must be between 1 and {} (the amount capturable).",
                pi.amount_capturable
            ))
            .param("amount_to_capture"));
        }
        let previous = json!({"status": "requires_capture", "amount_received": 0});
        pi.status = PiStatus::Succeeded;
        pi.amount_received = amount;
        pi.amount_capturable = 0;
        let mut metadata = pi.metadata.clone();
        p.metadata_into(&mut metadata)?;
        pi.metadata = metadata;
        let charge_id = pi.latest_charge.clone().unwrap_or_default();
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.captured = true;
            charge.amount_captured = amount;
            // A partial capture releases the rest.
            charge.amount_refunded = charge.amount - amount;
        }
        self.touch(ObjectKind::PaymentIntent, id);
        self.touch(ObjectKind::Charge, &charge_id);
        let charge = self.charge_json(&charge_id);
        self.emit("charge.captured", charge, None);
        let pi_json = self.pi_json(id);
        self.emit("payment_intent.succeeded", pi_json, Some(previous));
        self.render_pi(id, View::Secret, &p.expand())
    }

    // -----------------------------------------------------------------------------------------
    // Refunds

    pub fn create_refund(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "expand",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
            "origin",
        ])?;
        let reason = p.one_of(
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?;
        let charge_id = match (p.non_empty("payment_intent"), p.non_empty("charge")) {
            (Some(_), Some(_)) => return Err(ApiError::invalid("You can only pass one of payment_intent and charge.").param("charge")),
            (None, None) => return Err(ApiError::invalid("One of the following params should be provided for this request: payment_intent or charge.")),
            (None, Some(c)) => {
                self.charges.get(c).ok_or_else(|| ApiError::not_found("charge", c).param("charge"))?;
                c.to_string()
            }
            (Some(pi_id), None) => {
                let pi = self.payment_intents.get(pi_id).ok_or_else(|| ApiError::not_found("payment_intent", pi_id).param("payment_intent"))?;
                match pi.status {
                    PiStatus::Succeeded => pi.latest_charge.clone().unwrap_or_default(),
                    PiStatus::RequiresCapture => {
                        return Err(ApiError::invalid(format!("This PaymentIntent ({pi_id}) has not been captured yet. To release the funds, cancel the PaymentIntent instead.")).param("payment_intent"))
                    }
                    status => {
                        return Err(ApiError::invalid(format!(
                            "This PaymentIntent ({pi_id}) does not have a successful charge to refund (status: {}).",
                            status.as_str()
                        ))
                        .param("payment_intent"))
                    }
                }
            }
        };
        let charge = self
            .charges
            .get(&charge_id)
            .ok_or_else(|| ApiError::not_found("charge", &charge_id))?;
        if charge.status != "succeeded" || !charge.captured {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has not been captured successfully and cannot be refunded."
            ))
            .param("charge"));
        }
        let remaining = charge.amount_captured - charge.amount_refunded;
        if remaining <= 0 {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has already been refunded."
            ))
            .code("charge_already_refunded"));
        }
        let amount = p.int("amount")?.unwrap_or(remaining);
        if amount < 1 {
            return Err(
                ApiError::invalid("This value must be greater than or equal to 1.").param("amount"),
            );
        }
        if amount > remaining {
            return Err(ApiError::invalid(format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                format_amount(amount, &charge.currency),
                format_amount(remaining, &charge.currency)
            ))
            .param("amount"));
        }
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let (payment_intent, currency, refunds_fail) = (
            charge.payment_intent.clone(),
            charge.currency.clone(),
            charge.refunds_fail,
        );
        let refund = Refund {
            id: self.new_id("re"),
            charge: charge_id.clone(),
            payment_intent,
            amount,
            currency,
            created: self.now(),
            status: "succeeded".into(),
            reason,
            failure_reason: None,
            metadata,
        };
        let refund_id = refund.id.clone();
        self.refunds.insert(refund_id.clone(), refund);
        let charge = self
            .charges
            .get_mut(&charge_id)
            .ok_or_else(|| ApiError::not_found("charge", &charge_id))?;
        let previous = json!({"amount_refunded": charge.amount_refunded});
        charge.amount_refunded += amount;
        self.touch(ObjectKind::Refund, &refund_id);
        self.touch(ObjectKind::Charge, &charge_id);
        let refund_json = self.refunds[&refund_id].to_json();
        self.emit("refund.created", refund_json.clone(), None);
        let charge_json = self.charge_json(&charge_id);
        self.emit("charge.refunded", charge_json, Some(previous));
        if refunds_fail {
            self.scheduled
                .push(Scheduled::FailRefund { refund: refund_id });
        }
        Ok(refund_json)
    }

    pub fn list_refunds(&self, p: &Params) -> ApiResult {
        let limit = p.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
        let mut refunds: Vec<&Refund> = self
            .refunds
            .values()
            .filter(|r| {
                p.str("payment_intent")
                    .is_none_or(|pi| r.payment_intent == pi)
            })
            .filter(|r| p.str("charge").is_none_or(|c| r.charge == c))
            .collect();
        refunds.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        let has_more = refunds.len() > limit;
        let data: Vec<Value> = refunds
            .into_iter()
            .take(limit)
            .map(Refund::to_json)
            .collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds"}))
    }

    /// Events, newest first; `starting_after` pages, `type` filters.
    pub fn list_events(&self, p: &Params) -> ApiResult {
        let limit = p.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
        let mut ids: Vec<&String> = self.event_order.iter().rev().collect();
        if let Some(after) = p.non_empty("starting_after") {
            let pos = ids
                .iter()
                .position(|id| *id == after)
                .ok_or_else(|| ApiError::not_found("event", after).param("starting_after"))?;
            ids = ids.split_off(pos + 1);
        }
        let kind = p.non_empty("type");
        let matching: Vec<Value> = ids
            .into_iter()
            .filter_map(|id| self.events.get(id))
            .filter(|e| {
                kind.is_none_or(|k| {
                    e.kind == k || (k.ends_with(".*") && e.kind.starts_with(&k[..k.len() - 1]))
                })
            })
            .take(limit + 1)
            .map(Event::to_json)
            .collect();
        let has_more = matching.len() > limit;
        let data: Vec<Value> = matching.into_iter().take(limit).collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/events"}))
    }

    // -----------------------------------------------------------------------------------------
    // Deferred work

    pub fn run_scheduled(&mut self, job: &Scheduled) {
        match job {
            Scheduled::FinishProcessing {
                payment_intent,
                succeeds,
            } => {
                let Some(pi) = self.payment_intents.get(payment_intent) else {
                    return;
                };
                if pi.status != PiStatus::Processing {
                    return;
                }
                let charge_id = pi.latest_charge.clone().unwrap_or_default();
                if *succeeds {
                    self.settle(payment_intent, &charge_id, CardAfterPayment::Normal);
                } else {
                    let decline = Decline::new(
                        "card_declined",
                        "generic_decline",
                        cards::GENERIC_DECLINE,
                        None,
                    );
                    self.fail_charge(payment_intent, &charge_id, &decline);
                }
            }
            Scheduled::OpenDispute { charge } => {
                let Some(c) = self.charges.get_mut(charge) else {
                    return;
                };
                c.disputed = true;
                let (amount, currency, pi) =
                    (c.amount, c.currency.clone(), c.payment_intent.clone());
                let id = self.new_id("dp");
                let dispute = json!({
                    "id": id, "object": "dispute", "amount": amount, "charge": charge, "currency": currency,
                    "created": self.now(), "livemode": false, "metadata": {}, "payment_intent": pi,
                    "reason": "fraudulent", "status": "needs_response", "is_charge_refundable": false,
                    "balance_transactions": [], "evidence_details": {"due_by": self.now() + 7 * 86_400, "has_evidence": false, "past_due": false, "submission_count": 0}
                });
                self.disputes.insert(id.clone(), dispute.clone());
                self.touch(ObjectKind::Dispute, &id);
                self.touch(ObjectKind::Charge, charge);
                self.emit("charge.dispute.created", dispute, None);
            }
            Scheduled::FailRefund { refund } => {
                let Some(r) = self.refunds.get_mut(refund) else {
                    return;
                };
                if r.status != "succeeded" {
                    return;
                }
                r.status = "failed".into();
                r.failure_reason = Some("expired_or_canceled_card".into());
                let (amount, charge_id) = (r.amount, r.charge.clone());
                if let Some(c) = self.charges.get_mut(&charge_id) {
                    c.amount_refunded -= amount;
                }
                self.touch(ObjectKind::Refund, refund);
                self.touch(ObjectKind::Charge, &charge_id);
                let json = self.refunds[refund].to_json();
                let previous = json!({"status": "succeeded", "failure_reason": null});
                self.emit(
                    "charge.refund.updated",
                    json.clone(),
                    Some(previous.clone()),
                );
                self.emit("refund.updated", json.clone(), Some(previous));
                self.emit("refund.failed", json, None);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Webhook endpoints

    pub fn create_endpoint(&mut self, p: &Params, secret: Option<String>) -> ApiResult {
        p.only(&[
            "url",
            "enabled_events",
            "api_version",
            "description",
            "metadata",
            "connect",
        ])?;
        let url = p.non_empty("url").ok_or_else(|| ApiError::missing("url"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::invalid(
                "Invalid URL: URL must be publicly accessible or start with http(s)://",
            )
            .param("url"));
        }
        let enabled_events: Vec<String> = match p.0.get("enabled_events") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => return Err(ApiError::missing("enabled_events")),
        };
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let secret = match secret {
            Some(s) => s,
            None => {
                let tail = self.new_id("x");
                format!("whsec_{}", &tail[2..])
            }
        };
        let endpoint = WebhookEndpoint {
            id: self.new_id("we"),
            url: url.to_string(),
            enabled_events,
            created: self.now(),
            description: p.non_empty("description").map(String::from),
            metadata,
            secrets: vec![Secret {
                value: secret,
                expires_at: None,
            }],
        };
        let json = endpoint.to_json(true);
        self.touch(ObjectKind::Endpoint, &endpoint.id);
        self.endpoints.insert(endpoint.id.clone(), endpoint);
        Ok(json)
    }

    /// A new signing secret; the old one keeps signing for `expires_in` seconds.
    pub fn roll_endpoint_secret(&mut self, id: &str, expires_in: i64) -> ApiResult {
        let now = self.now();
        let tail = self.new_id("x");
        let endpoint = self
            .endpoints
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("webhook_endpoint", id))?;
        for s in endpoint.secrets.iter_mut() {
            if s.expires_at.is_none() {
                s.expires_at = Some(now + expires_in.max(0));
            }
        }
        endpoint.secrets.insert(
            0,
            Secret {
                value: format!("whsec_{}", &tail[2..]),
                expires_at: None,
            },
        );
        let json = endpoint.to_json(true);
        self.touch(ObjectKind::Endpoint, id);
        Ok(json)
    }
}

fn currency_changed(p: &Params) -> bool {
    p.non_empty("currency").is_some()
}

fn check_email(email: &str) -> Result<(), ApiError> {
    let ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("Invalid email address: {email}"))
            .code("email_invalid")
            .param("receipt_email"))
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_authentication_is_stored_in_its_original_shape() {
        let cases = [
            (
                CardAfterPayment::Normal,
                json!({"Succeed": {"dispute": false, "refunds_fail": false}}),
            ),
            (
                CardAfterPayment::Disputed,
                json!({"Succeed": {"dispute": true, "refunds_fail": false}}),
            ),
            (
                CardAfterPayment::RefundsFail,
                json!({"Succeed": {"dispute": false, "refunds_fail": true}}),
            ),
        ];
        for (card, stored) in cases {
            assert_eq!(
                serde_json::to_value(AfterAuth::Succeed(card)).unwrap(),
                stored
            );
            let back: AfterAuth = serde_json::from_value(stored).unwrap();
            assert!(matches!(back, AfterAuth::Succeed(c) if c == card));
        }
        let decline = Decline::new("card_declined", "generic_decline", "Declined.", None);
        let stored = serde_json::to_value(AfterAuth::Decline(decline.clone())).unwrap();
        assert_eq!(stored["Decline"]["decline_code"], "generic_decline");
        let back: AfterAuth = serde_json::from_value(stored).unwrap();
        assert!(matches!(back, AfterAuth::Decline(d) if d == decline));
    }
}
