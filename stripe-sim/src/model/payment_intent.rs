//! PaymentIntents. https://docs.stripe.com/api/payment_intents/object

use super::*;

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
