//! Webhook endpoints and their signing secrets. https://docs.stripe.com/api/webhook_endpoints/object

use super::*;

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
