//! Events. https://docs.stripe.com/api/events/object

use super::*;

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
