//! PaymentMethods. https://docs.stripe.com/api/payment_methods/object

use super::*;

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
