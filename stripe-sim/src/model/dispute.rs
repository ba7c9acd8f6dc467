//! Disputes. https://docs.stripe.com/api/disputes/object

use super::*;

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
