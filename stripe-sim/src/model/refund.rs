//! Refunds. https://docs.stripe.com/api/refunds/object

use super::*;

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
