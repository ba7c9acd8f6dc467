//! The objects the simulator keeps, and their JSON as Stripe renders it: every property of
//! Stripe's schema (openapi-subset.json), `null` where Stripe would send null.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "2026-07-29.dahlia";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl PiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PiStatus::RequiresPaymentMethod => "requires_payment_method",
            PiStatus::RequiresConfirmation => "requires_confirmation",
            PiStatus::RequiresAction => "requires_action",
            PiStatus::Processing => "processing",
            PiStatus::RequiresCapture => "requires_capture",
            PiStatus::Succeeded => "succeeded",
            PiStatus::Canceled => "canceled",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub client_secret: String,
    pub amount: i64,
    pub currency: String,
    pub status: PiStatus,
    pub capture_method: String,
    pub confirmation_method: String,
    pub created: i64,
    pub metadata: BTreeMap<String, String>,
    pub description: Option<String>,
    pub receipt_email: Option<String>,
    pub automatic_payment_methods: Option<Value>,
    pub payment_method_types: Vec<String>,
    pub payment_method: Option<String>,
    pub last_payment_error: Option<Value>,
    pub next_action: Option<Value>,
    pub latest_charge: Option<String>,
    pub amount_received: i64,
    pub amount_capturable: i64,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub shipping: Option<Value>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub setup_future_usage: Option<String>,
    pub customer: Option<String>,
    /// What completing a pending 3-D Secure challenge leads to.
    #[serde(default)]
    pub pending_authentication: Option<crate::engine::AfterAuth>,
    /// Creation order within the account (lists are newest first, and many PaymentIntents
    /// share a second). 0 for PaymentIntents stored before it was kept.
    #[serde(default)]
    pub seq: u64,
}

/// Which fields a caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// A secret key: everything.
    Secret,
    /// A publishable key with the client secret: the subset Stripe.js gets, the fields
    /// https://docs.stripe.com/api/payment_intents/object marks "retrievable with publishable key".
    Publishable,
}

const PUBLISHABLE_PI_FIELDS: &[&str] = &[
    "id",
    "object",
    "amount",
    "canceled_at",
    "cancellation_reason",
    "capture_method",
    "client_secret",
    "confirmation_method",
    "created",
    "currency",
    "description",
    "last_payment_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "status",
];

fn opt<T: Serialize>(v: &Option<T>) -> Value {
    v.as_ref().map(|x| json!(x)).unwrap_or(Value::Null)
}

impl PaymentIntent {
    pub fn to_json(&self, view: View) -> Value {
        let full = json!({
            "id": self.id,
            "object": "payment_intent",
            "allowed_payment_method_types": self.payment_method_types,
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_details": {"tip": {}},
            "amount_received": self.amount_received,
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": opt(&self.automatic_payment_methods),
            "canceled_at": opt(&self.canceled_at),
            "cancellation_reason": opt(&self.cancellation_reason),
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": self.confirmation_method,
            "created": self.created,
            "currency": self.currency,
            "customer": opt(&self.customer),
            "customer_account": null,
            "description": opt(&self.description),
            "excluded_payment_method_types": null,
            "hooks": {"inputs": {"tax": {"calculation": null}}},
            "last_payment_error": opt(&self.last_payment_error),
            "latest_charge": opt(&self.latest_charge),
            "livemode": false,
            "managed_payments": null,
            "metadata": self.metadata,
            "next_action": opt(&self.next_action),
            "on_behalf_of": null,
            "payment_details": {"customer_reference": null, "order_reference": null},
            "payment_method": opt(&self.payment_method),
            "payment_method_configuration_details": null,
            "payment_method_options": {"card": {"installments": null, "mandate_options": null, "network": null, "request_three_d_secure": "automatic"}},
            "payment_method_types": self.payment_method_types,
            "presentment_details": {"presentment_amount": self.amount, "presentment_currency": self.currency},
            "processing": null,
            "receipt_email": opt(&self.receipt_email),
            "review": null,
            "setup_future_usage": opt(&self.setup_future_usage),
            "shipping": opt(&self.shipping),
            "source": null,
            "statement_descriptor": opt(&self.statement_descriptor),
            "statement_descriptor_suffix": opt(&self.statement_descriptor_suffix),
            "status": self.status.as_str(),
            "transfer_data": null,
            "transfer_group": null,
        });
        match view {
            View::Secret => full,
            View::Publishable => keep(full, PUBLISHABLE_PI_FIELDS),
        }
    }
}

fn keep(value: Value, fields: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub created: i64,
    pub brand: String,
    pub last4: String,
    pub funding: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub postal_code: Option<String>,
    /// The test card number whose behaviour this method has (never rendered).
    pub number: String,
}

impl PaymentMethod {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {"city": null, "country": null, "line1": null, "line2": null,
                            "postal_code": opt(&self.postal_code), "state": null},
                "email": null, "name": null, "phone": null, "tax_id": null
            },
            "card": {
                "brand": self.brand,
                "checks": {"address_line1_check": null, "address_postal_code_check": if self.postal_code.is_some() { json!("pass") } else { Value::Null }, "cvc_check": "pass"},
                "country": "US",
                "display_brand": self.brand,
                "exp_month": self.exp_month,
                "exp_year": self.exp_year,
                "fingerprint": format!("fp{}", &self.number[self.number.len() - 8..]),
                "funding": self.funding,
                "generated_from": null,
                "last4": self.last4,
                "networks": {"available": [self.brand], "preferred": null},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {"supported": true},
                "wallet": null
            },
            "created": self.created,
            "customer": null,
            "customer_account": null,
            "livemode": false,
            "metadata": {},
            "radar_options": {},
            "type": "card"
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub payment_intent: String,
    pub payment_method: String,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub created: i64,
    /// succeeded | pending | failed
    pub status: String,
    pub captured: bool,
    pub disputed: bool,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub decline_code: Option<String>,
    pub receipt_email: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub card_brand: String,
    pub card_last4: String,
    /// Test card 5126: refunds of this charge fail after a while.
    #[serde(default)]
    pub refunds_fail: bool,
}

impl Charge {
    /// The Charge as Stripe renders it at our API version. Since 2022-11-15 the `refunds` list
    /// is no longer included unless asked for with `expand[]=refunds`
    /// (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand), so it is
    /// absent here; `with_refunds` adds it for an expanded retrieve.
    pub fn to_json(&self) -> Value {
        let paid = self.status == "succeeded";
        let outcome = if self.status == "failed" {
            json!({"advice_code": null, "network_advice_code": null, "network_decline_code": null,
                   "network_status": "declined_by_network", "reason": self.decline_code, "risk_level": "normal",
                   "risk_score": 30, "rule": null, "seller_message": "The bank did not return any further details with this decline.", "type": "issuer_declined"})
        } else {
            json!({"advice_code": null, "network_advice_code": null, "network_decline_code": null,
                   "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
                   "risk_score": 20, "rule": null, "seller_message": "Payment complete.", "type": "authorized"})
        };
        json!({
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "application": null,
            "application_fee": null,
            "application_fee_amount": null,
            "balance_transaction": if paid { json!(format!("txn_{}", &self.id[3..])) } else { Value::Null },
            "billing_details": {"address": {"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null}, "email": null, "name": null, "phone": null, "tax_id": null},
            "calculated_statement_descriptor": "HEARTH & KETTLE",
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "description": opt(&self.description),
            "disputed": self.disputed,
            "failure_balance_transaction": null,
            "failure_code": opt(&self.failure_code),
            "failure_message": opt(&self.failure_message),
            "fraud_details": {},
            "livemode": false,
            "metadata": self.metadata,
            "on_behalf_of": null,
            "outcome": outcome,
            "paid": paid,
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "payment_method_details": {"card": {"brand": self.card_brand, "last4": self.card_last4}, "type": "card"},
            "presentment_details": {"presentment_amount": self.amount, "presentment_currency": self.currency},
            "radar_options": {},
            "receipt_email": opt(&self.receipt_email),
            "receipt_number": null,
            "receipt_url": format!("https://pay.stripe.com/receipts/sim/{}", self.id),
            "refunded": self.amount_refunded > 0 && self.amount_refunded >= self.amount_captured,
            "review": null,
            "shipping": null,
            "source_transfer": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status,
            "transfer": null,
            "transfer_data": null,
            "transfer_group": null,
        })
    }

    /// The Charge with its `refunds` list expanded (`refunds` newest first), as
    /// `GET /v1/charges/{id}?expand[]=refunds` returns it.
    pub fn with_refunds(&self, refunds: Vec<Value>) -> Value {
        let mut v = self.to_json();
        v["refunds"] = json!({
            "object": "list",
            "data": refunds,
            "has_more": false,
            "url": format!("/v1/charges/{}/refunds", self.id),
        });
        v
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub charge: String,
    pub payment_intent: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    /// pending | succeeded | failed | canceled
    pub status: String,
    pub reason: Option<String>,
    pub failure_reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Creation order within the account (lists are newest first, and many refunds share a
    /// second). 0 for refunds stored before it was kept.
    #[serde(default)]
    pub seq: u64,
}

impl Refund {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": format!("txn_{}", &self.id[3..]),
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "customer_account": null,
            "description": null,
            "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"}, "type": "card"},
            "failure_balance_transaction": if self.status == "failed" { json!(format!("txn_f{}", &self.id[4..])) } else { json!(format!("txn_{}", &self.id[3..])) },
            "failure_reason": self.failure_reason.clone().unwrap_or_default(),
            "instructions_email": "",
            "metadata": self.metadata,
            "next_action": {"type": "none"},
            "object_type": null,
            "payment_intent": self.payment_intent,
            "payment_method": null,
            "pending_reason": "processing",
            "presentment_details": {"presentment_amount": self.amount, "presentment_currency": self.currency},
            "reason": opt(&self.reason),
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": self.status,
            "transfer_reversal": null,
        })
    }
}

/// A dispute (chargeback) on a charge (https://docs.stripe.com/api/disputes/object).
///
/// Stored accounts may hold disputes written before this struct existed, as the rendered
/// Dispute JSON: the fields here keep those names so they still load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub amount: i64,
    pub charge: String,
    pub currency: String,
    pub created: i64,
    pub payment_intent: Option<String>,
    pub reason: String,
    /// needs_response while open; won or lost once closed
    /// (https://docs.stripe.com/disputes/how-disputes-work).
    pub status: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The withdrawal when the dispute opened, and the reinstatement if it was won.
    #[serde(default)]
    pub balance_transactions: Vec<DisputeFunds>,
    #[serde(default)]
    pub evidence_details: EvidenceDetails,
    #[serde(default)]
    pub is_charge_refundable: bool,
    /// The disputed card's brand.
    #[serde(default)]
    pub card_brand: Option<String>,
    /// Creation order within the account (lists are newest first).
    #[serde(default)]
    pub seq: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EvidenceDetails {
    #[serde(default)]
    pub due_by: Option<i64>,
    #[serde(default)]
    pub has_evidence: bool,
    #[serde(default)]
    pub past_due: bool,
    #[serde(default)]
    pub submission_count: i64,
}

/// A balance transaction a dispute caused
/// (https://docs.stripe.com/api/balance_transactions/object): funds withdrawn when it opens
/// (negative, with the dispute fee) and reinstated when it is won.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DisputeFunds {
    pub id: String,
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub created: i64,
    pub description: String,
    /// `dispute` for a withdrawal, `dispute_reversal` for a reinstatement.
    pub reporting_category: String,
    pub source: String,
}

impl DisputeFunds {
    pub fn to_json(&self) -> Value {
        let fee_details = if self.fee != 0 {
            json!([{"amount": self.fee, "application": null, "currency": self.currency,
                    "description": "Dispute fee", "type": "stripe_fee"}])
        } else {
            json!([])
        };
        json!({
            "id": self.id,
            "object": "balance_transaction",
            "amount": self.amount,
            "available_on": self.created,
            "balance_type": "payments",
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "exchange_rate": null,
            "fee": self.fee,
            "fee_details": fee_details,
            "net": self.amount - self.fee,
            "reporting_category": self.reporting_category,
            "source": self.source,
            "status": "available",
            "type": "adjustment",
        })
    }
}

const EVIDENCE_FIELDS: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
];

impl Dispute {
    pub fn to_json(&self) -> Value {
        let mut evidence: Map<String, Value> = EVIDENCE_FIELDS
            .iter()
            .map(|f| (f.to_string(), Value::Null))
            .collect();
        evidence.insert("enhanced_evidence".into(), json!({}));
        // The card network's reason code for a fraud dispute on a card-absent payment
        // (https://docs.stripe.com/disputes/categories#network-code-map); only Visa cards
        // open disputes in the simulator (test card 0259).
        let network_reason_code = match self.card_brand.as_deref() {
            Some("visa") if self.reason == "fraudulent" => json!("10.4"),
            _ => Value::Null,
        };
        json!({
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "balance_transactions": self.balance_transactions.iter().map(DisputeFunds::to_json).collect::<Vec<_>>(),
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "enhanced_eligibility_types": [],
            "evidence": evidence,
            "evidence_details": {
                "due_by": self.evidence_details.due_by,
                "enhanced_eligibility": {},
                "has_evidence": self.evidence_details.has_evidence,
                "past_due": self.evidence_details.past_due,
                "submission_count": self.evidence_details.submission_count,
            },
            "is_charge_refundable": self.is_charge_refundable,
            "livemode": false,
            "metadata": self.metadata,
            "payment_intent": opt(&self.payment_intent),
            "payment_method_details": {
                "card": {
                    "brand": self.card_brand.clone().unwrap_or_else(|| "unknown".into()),
                    "case_type": "chargeback",
                    "network_reason_code": network_reason_code,
                },
                "type": "card",
            },
            "reason": self.reason,
            "status": self.status,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub object: Value,
    pub previous_attributes: Option<Value>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// Endpoints this event still has to reach (their ids).
    pub undelivered: Vec<String>,
    /// Endpoints it was sent to that will never get it: it was lost (the `webhook_loss_rate`
    /// fault), or the endpoint was disabled when a retry came due.
    #[serde(default)]
    pub abandoned: Vec<String>,
}

impl Event {
    /// Endpoints this event was sent to that have not answered it with a 2xx: still being
    /// tried, or given up on (https://docs.stripe.com/api/events/object#event_object-pending_webhooks).
    pub fn pending_webhooks(&self) -> usize {
        self.undelivered.len() + self.abandoned.len()
    }

    pub fn to_json(&self) -> Value {
        let mut data = json!({"object": self.object});
        if let Some(prev) = &self.previous_attributes {
            data["previous_attributes"] = prev.clone();
        }
        json!({
            "id": self.id,
            "object": "event",
            "account": "acct_simulator",
            "api_version": API_VERSION,
            "context": "",
            "created": self.created,
            "data": data,
            "livemode": false,
            "pending_webhooks": self.pending_webhooks(),
            "request": {"id": opt(&self.request_id), "idempotency_key": opt(&self.idempotency_key)},
            "type": self.kind,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Secret {
    pub value: String,
    /// Unix time after which it no longer signs (set when the secret is rolled).
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub created: i64,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Newest first; every unexpired one signs each delivery.
    pub secrets: Vec<Secret>,
    /// Disabled through `POST /v1/webhook_endpoints/{id}` with `disabled=true`: it receives
    /// nothing (see `Account::emit` and `Simulator::deliver`).
    #[serde(default)]
    pub disabled: bool,
}

impl WebhookEndpoint {
    pub fn wants(&self, kind: &str) -> bool {
        self.enabled_events.iter().any(|e| e == "*" || e == kind)
    }

    pub fn signing_secrets(&self, now: i64) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|t| t > now))
            .map(|s| s.value.clone())
            .collect()
    }

    /// The secret is only shown when the endpoint is created.
    pub fn to_json(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": API_VERSION,
            "application": null,
            "created": self.created,
            "description": opt(&self.description),
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": self.metadata,
            "status": if self.disabled { "disabled" } else { "enabled" },
            "url": self.url,
        });
        if with_secret {
            v["secret"] = json!(self
                .secrets
                .first()
                .map(|s| s.value.clone())
                .unwrap_or_default());
        }
        v
    }
}

/// An API error in Stripe's envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: u16, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({"error": {"type": kind, "message": message.into()}}),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.body["error"][key] = value.into();
        self
    }

    pub fn code(self, code: &str) -> Self {
        let doc = format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        );
        self.with("code", code).with("doc_url", doc)
    }

    pub fn param(self, param: &str) -> Self {
        self.with("param", param)
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
    }

    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            format!("No such {kind}: '{id}'"),
        )
        .code("resource_missing")
        .param("id")
    }
}
