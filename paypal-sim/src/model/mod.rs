//! The objects the simulator keeps, and their JSON as PayPal renders them
//! (https://developer.paypal.com/docs/api/orders/v2/, https://developer.paypal.com/docs/api/payments/v2/,
//! https://developer.paypal.com/docs/api/webhooks/v1/).

pub mod error;

pub use error::{ApiError, Detail};

use crate::time::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `money`: a currency and a decimal string.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Money {
    pub currency_code: String,
    pub value: String,
}

impl Money {
    pub fn to_json(&self) -> Value {
        json!({"currency_code": self.currency_code, "value": self.value})
    }
}

/// What the buyer chose to pay with on the approval page; decides what a capture does.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Funding {
    /// PayPal balance: the capture completes.
    Balance,
    /// A card that is declined: the capture answers 422 INSTRUMENT_DECLINED.
    Declined,
    /// An eCheck: the capture is PENDING (reason ECHECK) until `/_sim/captures/{id}/complete|deny`.
    Pending,
    /// Held for review: the capture is PENDING (reason PENDING_REVIEW).
    PendingReview,
}

impl Funding {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "balance" | "paypal" => Funding::Balance,
            "declined" | "decline" => Funding::Declined,
            "pending" | "echeck" => Funding::Pending,
            "pending_review" | "review" => Funding::PendingReview,
            _ => return None,
        })
    }
}

/// The simulator's one purchase unit per order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PurchaseUnit {
    pub reference_id: String,
    pub amount: Money,
    /// `amount.breakdown` as sent.
    #[serde(default)]
    pub breakdown: Option<Value>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub soft_descriptor: Option<String>,
    #[serde(default)]
    pub items: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub intent: String,
    /// CREATED | APPROVED | COMPLETED
    pub status: String,
    pub purchase_unit: PurchaseUnit,
    #[serde(default)]
    pub payer_id: Option<String>,
    #[serde(default)]
    pub funding: Option<Funding>,
    #[serde(default)]
    pub capture_id: Option<String>,
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(default)]
    pub cancel_url: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Capture {
    pub id: String,
    pub order_id: String,
    /// COMPLETED | PENDING | DECLINED | PARTIALLY_REFUNDED | REFUNDED
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    pub amount: Money,
    /// In minor units.
    pub refunded: i64,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub capture_id: String,
    pub status: String,
    pub amount: Money,
    /// Gross refunded from the capture so far, this refund included (minor units).
    pub total_refunded: i64,
    #[serde(default)]
    pub note_to_payer: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub custom_id: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
}

impl Webhook {
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.iter().any(|t| t == "*" || t == event_type)
    }

    pub fn to_json(&self, base: &str) -> Value {
        let types: Vec<Value> = self
            .event_types
            .iter()
            .map(|t| {
                if t == "*" {
                    json!({"name": "*", "description": "ALL"})
                } else {
                    json!({"name": t, "description": event_description(t), "status": "ENABLED"})
                }
            })
            .collect();
        let href = format!("{base}/v1/notifications/webhooks/{}", self.id);
        json!({
            "id": self.id,
            "url": self.url,
            "event_types": types,
            "links": [
                {"href": href, "rel": "self", "method": "GET"},
                {"href": href, "rel": "update", "method": "PATCH"},
                {"href": href, "rel": "delete", "method": "DELETE"}
            ]
        })
    }
}

/// The event names the simulator sends, with PayPal's descriptions
/// (https://developer.paypal.com/api/rest/webhooks/event-names/).
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "CHECKOUT.ORDER.APPROVED",
        "An order has been approved by buyer.",
    ),
    ("PAYMENT.CAPTURE.COMPLETED", "A payment capture completes."),
    (
        "PAYMENT.CAPTURE.PENDING",
        "The state of a payment capture changes to pending.",
    ),
    ("PAYMENT.CAPTURE.DENIED", "A payment capture is denied."),
    (
        "PAYMENT.CAPTURE.REFUNDED",
        "A merchant refunds a payment capture.",
    ),
];

pub fn event_description(event_type: &str) -> &'static str {
    EVENT_TYPES
        .iter()
        .find(|(t, _)| *t == event_type)
        .map(|(_, d)| *d)
        .unwrap_or("")
}

/// A webhook event and the webhooks it is still owed to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub resource_type: String,
    pub summary: String,
    pub resource: Value,
    /// Milliseconds.
    pub create_time: i64,
    #[serde(default)]
    pub undelivered: Vec<String>,
    /// The webhook id the deliveries are signed for, when not the receiving webhook's own:
    /// PayPal signs mock events from `simulate-event` with the literal `WEBHOOK_ID`
    /// (https://developer.paypal.com/api/rest/webhooks/simulator/).
    #[serde(default)]
    pub sign_as: Option<String>,
}

impl Event {
    /// PayPal's envelope (https://developer.paypal.com/api/rest/webhooks/rest/).
    pub fn to_json(&self, base: &str) -> Value {
        let href = format!("{base}/v1/notifications/webhooks-events/{}", self.id);
        json!({
            "id": self.id,
            "event_version": "1.0",
            "create_time": crate::time::rfc3339_millis(self.create_time),
            "resource_type": self.resource_type,
            "resource_version": "2.0",
            "event_type": self.event_type,
            "summary": self.summary,
            "resource": self.resource,
            "links": [
                {"href": href, "rel": "self", "method": "GET"},
                {"href": format!("{href}/resend"), "rel": "resend", "method": "POST"}
            ]
        })
    }
}

/// An OAuth access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
    /// Milliseconds.
    pub expires_at: i64,
}

/// A stored response to a request with a `PayPal-Request-Id`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdempotencyEntry {
    pub status: u16,
    pub body: Value,
    /// Milliseconds.
    pub created: i64,
}

pub(crate) fn link(href: String, rel: &str, method: &str) -> Value {
    json!({"href": href, "rel": rel, "method": method})
}

pub(crate) fn time(ms: i64) -> String {
    rfc3339(ms)
}
