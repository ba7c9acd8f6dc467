//! Webhook registrations (https://developer.paypal.com/docs/api/webhooks/v1/#webhooks_post).

use super::{new_id, Kind, State};
use crate::model::{ApiError, Webhook, EVENT_TYPES};
use serde_json::{json, Value};

/// The webhooks API's own error shape: `{name, message, debug_id, details?, information_link, links}`.
pub fn webhook_error(status: u16, name: &str, message: &str) -> ApiError {
    ApiError {
        status,
        body: json!({
            "name": name,
            "message": message,
            "debug_id": "",
            "information_link": "https://developer.paypal.com/docs/api/webhooks/#errors",
            "links": []
        }),
    }
}

/// Most webhooks an app may have (https://developer.paypal.com/api/rest/webhooks/rest/).
pub const MAX_WEBHOOKS: usize = 10;

impl State {
    pub fn create_webhook(&mut self, body: &Value) -> Result<String, ApiError> {
        let url = body.get("url").and_then(Value::as_str).unwrap_or("");
        if url.is_empty() {
            return Err(ApiError::missing("/url"));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
            return Err(ApiError::invalid_value("/url", url));
        }
        let types: Vec<String> = body
            .get("event_types")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if types.is_empty() {
            return Err(ApiError::missing("/event_types"));
        }
        for t in &types {
            if t != "*" && !EVENT_TYPES.iter().any(|(n, _)| n == t) && !t.contains('.') {
                return Err(webhook_error(
                    400,
                    "INVALID_EVENT_TYPE",
                    "Event type not supported.",
                ));
            }
        }
        if self.webhooks.values().any(|w| w.url == url) {
            return Err(webhook_error(
                400,
                "WEBHOOK_URL_ALREADY_EXISTS",
                "Webhook URL already exists.",
            ));
        }
        if self.webhooks.len() >= MAX_WEBHOOKS {
            return Err(webhook_error(
                400,
                "WEBHOOK_NUMBER_LIMIT_EXCEEDED",
                "The maximum number of webhooks has been reached.",
            ));
        }
        let id = new_id();
        self.webhooks.insert(
            id.clone(),
            Webhook {
                id: id.clone(),
                url: url.into(),
                event_types: types,
            },
        );
        self.touch(Kind::Webhook, &id);
        Ok(id)
    }

    pub fn webhook_or_404(&self, id: &str) -> Result<&Webhook, ApiError> {
        self.webhooks
            .get(id)
            .ok_or_else(|| webhook_error(404, "INVALID_RESOURCE_ID", "Resource id is invalid."))
    }

    pub fn delete_webhook(&mut self, id: &str) -> Result<(), ApiError> {
        self.webhook_or_404(id)?;
        self.webhooks.remove(id);
        self.touch(Kind::Webhook, id);
        // Nothing more goes to a deleted webhook.
        let owed: Vec<String> = self
            .events
            .values()
            .filter(|e| e.undelivered.iter().any(|w| w == id))
            .map(|e| e.id.clone())
            .collect();
        for event in owed {
            if let Some(e) = self.events.get_mut(&event) {
                e.undelivered.retain(|w| w != id);
            }
            self.touch(Kind::Event, &event);
        }
        Ok(())
    }
}
