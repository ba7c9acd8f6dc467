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

    /// `PATCH /v1/notifications/webhooks/{id}`: JSON Patch `replace` of `/url` or `/event_types`.
    pub fn patch_webhook(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let mut webhook = self.webhook_or_404(id)?.clone();
        let Some(patches) = body.as_array() else {
            return Err(ApiError::malformed_json());
        };
        for p in patches {
            let value = p.get("value").cloned().unwrap_or(Value::Null);
            match (
                p.get("op").and_then(Value::as_str),
                p.get("path").and_then(Value::as_str),
            ) {
                (Some("replace"), Some("/url")) => {
                    let url = value.as_str().unwrap_or("");
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(ApiError::invalid_value("/url", url));
                    }
                    if self.webhooks.values().any(|w| w.url == url && w.id != id) {
                        return Err(webhook_error(
                            400,
                            "WEBHOOK_URL_ALREADY_EXISTS",
                            "Webhook URL already exists.",
                        ));
                    }
                    webhook.url = url.into();
                }
                (Some("replace"), Some("/event_types")) => {
                    let types: Vec<String> = value
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|t| {
                                    t.get("name").and_then(Value::as_str).map(String::from)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if types.is_empty() {
                        return Err(ApiError::missing("/event_types"));
                    }
                    webhook.event_types = types;
                }
                _ => return Err(webhook_error(
                    400,
                    "VALIDATION_ERROR",
                    "Invalid data provided. Only replace of /url and /event_types is supported.",
                )),
            }
        }
        self.webhooks.insert(id.to_string(), webhook);
        self.touch(Kind::Webhook, id);
        Ok(())
    }

    /// `POST /v1/notifications/webhooks-events/{id}/resend`: owes the event again to the
    /// given webhooks (all that want it when none are named).
    pub fn resend_event(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let Some(event) = self.events.get(id) else {
            return Err(webhook_error(
                404,
                "INVALID_RESOURCE_ID",
                "Resource id is invalid.",
            ));
        };
        let named: Vec<String> = body
            .get("webhook_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let targets: Vec<String> = self
            .webhooks
            .values()
            .filter(|w| {
                if named.is_empty() {
                    w.wants(&event.event_type)
                } else {
                    named.contains(&w.id)
                }
            })
            .map(|w| w.id.clone())
            .collect();
        if let Some(event) = self.events.get_mut(id) {
            for t in targets {
                if !event.undelivered.contains(&t) {
                    event.undelivered.push(t);
                }
            }
        }
        self.touch(Kind::Event, id);
        self.new_events.push(id.to_string());
        Ok(())
    }

    /// `POST /v1/notifications/simulate-event`: a mock event of `event_type` for one webhook
    /// (by `webhook_id`, or by `url` of a registered webhook), signed for `WEBHOOK_ID` as
    /// PayPal's simulator does. Its resource is made in a scratch account, so nothing real
    /// changes. The event's id.
    pub fn simulate_event(&mut self, body: &Value) -> Result<String, ApiError> {
        let event_type = body
            .get("event_type")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::missing("/event_type"))?;
        let webhook = match (
            body.get("webhook_id").and_then(Value::as_str),
            body.get("url").and_then(Value::as_str),
        ) {
            (Some(id), _) => self.webhook_or_404(id)?.id.clone(),
            (None, Some(url)) => self
                .webhooks
                .values()
                .find(|w| w.url == url)
                .map(|w| w.id.clone())
                .ok_or_else(|| {
                    webhook_error(
                        400,
                        "VALIDATION_ERROR",
                        "The PayPal simulator only sends mock events to registered webhooks.",
                    )
                })?,
            (None, None) => return Err(ApiError::missing("/webhook_id")),
        };
        let mut scratch = State::new(&self.base, self.merchant_id.clone());
        let sample = |scratch: &mut State| -> Result<(), ApiError> {
            let order = scratch.create_order(&json!({
                "intent": "CAPTURE",
                "purchase_units": [{"amount": {"currency_code": "USD", "value": "100.00"}}]
            }))?;
            let funding = match event_type {
                "PAYMENT.CAPTURE.PENDING" | "PAYMENT.CAPTURE.DENIED" => {
                    crate::model::Funding::Pending
                }
                _ => crate::model::Funding::Balance,
            };
            scratch.approve(&order, funding)?;
            if event_type == "CHECKOUT.ORDER.APPROVED" {
                return Ok(());
            }
            scratch.capture_order(&order)?;
            let capture = scratch.orders[&order]
                .capture_id
                .clone()
                .unwrap_or_default();
            match event_type {
                "PAYMENT.CAPTURE.DENIED" => scratch.settle_capture(&capture, false),
                "PAYMENT.CAPTURE.REFUNDED" => {
                    scratch.refund_capture(&capture, &json!({})).map(|_| ())
                }
                _ => Ok(()),
            }
        };
        if !EVENT_TYPES.iter().any(|(t, _)| *t == event_type) {
            return Err(webhook_error(
                400,
                "INVALID_EVENT_TYPE",
                "Event type not supported.",
            ));
        }
        sample(&mut scratch)?;
        let Some(made) = scratch
            .event_order
            .iter()
            .rev()
            .filter_map(|id| scratch.events.get(id))
            .find(|e| e.event_type == event_type)
            .cloned()
        else {
            return Err(webhook_error(
                400,
                "INVALID_EVENT_TYPE",
                "Event type not supported.",
            ));
        };
        let id = format!("WH-{}-{}", new_id(), new_id());
        let mut event = made;
        event.id = id.clone();
        event.create_time = self.now();
        event.undelivered = vec![webhook];
        event.sign_as = Some("WEBHOOK_ID".into());
        self.events.insert(id.clone(), event);
        self.event_order.push(id.clone());
        self.touch(Kind::Event, &id);
        self.new_events.push(id.clone());
        Ok(id)
    }
}
