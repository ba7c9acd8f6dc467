//! ConfirmationTokens: what Stripe.js collected for one payment attempt, confirmed on the
//! server. https://docs.stripe.com/api/confirmation_tokens/object

use super::*;

/// The Elements group's configuration a token was created under (the deferred-intent options,
/// https://docs.stripe.com/js/elements_object/create_without_intent): a PaymentIntent
/// confirmed with the token must match it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ElementsConfig {
    pub mode: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub capture_method: Option<String>,
    pub setup_future_usage: Option<String>,
    pub payment_method_types: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfirmationToken {
    pub id: String,
    pub created: i64,
    /// `None` once used.
    pub expires_at: Option<i64>,
    /// The PaymentMethod it carries (never rendered; its preview is).
    pub payment_method: String,
    /// Billing details given with the token, over those of the PaymentMethod.
    pub billing_details: Option<Value>,
    pub payment_intent: Option<String>,
    pub return_url: Option<String>,
    pub setup_future_usage: Option<String>,
    /// Rendered shape: `{address: {...}, name, phone}`.
    pub shipping: Option<Value>,
    pub payment_method_options: Option<Value>,
    pub use_stripe_sdk: bool,
    /// Set when Stripe.js created it from an Elements group; `None` for the test helper's.
    pub elements: Option<ElementsConfig>,
}

impl ConfirmationToken {
    /// The token as Stripe renders it; `payment_method` is the JSON of its PaymentMethod.
    pub fn to_json(&self, payment_method: Option<&PaymentMethod>) -> Value {
        let preview = payment_method.map(|pm| {
            let pm_json = pm.to_json();
            let mut billing = pm_json["billing_details"].clone();
            if let Some(Value::Object(given)) = &self.billing_details {
                merge(&mut billing, given);
            }
            json!({
                "allow_redisplay": pm_json["allow_redisplay"],
                "billing_details": billing,
                "card": pm_json["card"],
                "customer": null,
                "customer_account": null,
                "type": "card",
            })
        });
        json!({
            "id": self.id,
            "object": "confirmation_token",
            "created": self.created,
            "expires_at": opt(&self.expires_at),
            "livemode": false,
            "mandate_data": null,
            "payment_intent": opt(&self.payment_intent),
            "payment_method_options": opt(&self.payment_method_options),
            "payment_method_preview": preview.unwrap_or(Value::Null),
            "return_url": opt(&self.return_url),
            "setup_future_usage": opt(&self.setup_future_usage),
            "setup_intent": null,
            "shipping": opt(&self.shipping),
            "use_stripe_sdk": self.use_stripe_sdk,
        })
    }
}

/// Writes `given` over `target` (objects merged key by key, anything else replaced).
fn merge(target: &mut Value, given: &Map<String, Value>) {
    if !target.is_object() {
        *target = json!({});
    }
    for (k, v) in given {
        match (target.get_mut(k), v) {
            (Some(existing @ Value::Object(_)), Value::Object(inner)) => merge(existing, inner),
            _ => target[k.as_str()] = v.clone(),
        }
    }
}
