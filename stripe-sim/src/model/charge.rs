//! Charges. https://docs.stripe.com/api/charges/object

use super::*;

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
