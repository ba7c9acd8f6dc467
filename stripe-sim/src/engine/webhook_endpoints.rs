//! Webhook endpoints and their signing secrets (https://docs.stripe.com/api/webhook_endpoints).

use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, Secret, WebhookEndpoint};
use serde_json::Value;
use std::collections::BTreeMap;

impl Account {
    pub fn create_endpoint(&mut self, p: &Params, secret: Option<String>) -> ApiResult {
        p.only(&[
            "url",
            "enabled_events",
            "api_version",
            "description",
            "metadata",
            "connect",
        ])?;
        let url = check_url(p.non_empty("url").ok_or_else(|| ApiError::missing("url"))?)?;
        let enabled_events = enabled_events(p.0.get("enabled_events"))
            .ok_or_else(|| ApiError::missing("enabled_events"))?;
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let secret = match secret {
            Some(s) => s,
            None => {
                let tail = self.new_id("x");
                format!("whsec_{}", &tail[2..])
            }
        };
        let endpoint = WebhookEndpoint {
            id: self.new_id("we"),
            url,
            enabled_events,
            created: self.now(),
            description: p.non_empty("description").map(String::from),
            metadata,
            secrets: vec![Secret {
                value: secret,
                expires_at: None,
            }],
            disabled: false,
        };
        let json = endpoint.to_json(true);
        self.touch(ObjectKind::Endpoint, &endpoint.id);
        self.endpoints.insert(endpoint.id.clone(), endpoint);
        Ok(json)
    }

    /// `POST /v1/webhook_endpoints/{id}` (https://docs.stripe.com/api/webhook_endpoints/update):
    /// `url`, `enabled_events`, `description`, `metadata`, and `disabled=true|false`.
    pub fn update_endpoint(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&[
            "description",
            "disabled",
            "enabled_events",
            "expand",
            "metadata",
            "url",
        ])?;
        let existing = self
            .endpoints
            .get(id)
            .ok_or_else(|| ApiError::not_found("webhook_endpoint", id))?;
        let url = p.non_empty("url").map(check_url).transpose()?;
        let events = match p.0.get("enabled_events") {
            None => None,
            value => Some(
                enabled_events(value)
                    .ok_or_else(|| ApiError::invalid("Invalid array").param("enabled_events"))?,
            ),
        };
        let disabled = p.bool("disabled")?;
        let mut metadata = existing.metadata.clone();
        p.metadata_into(&mut metadata)?;
        let Some(endpoint) = self.endpoints.get_mut(id) else {
            return Err(ApiError::not_found("webhook_endpoint", id));
        };
        if let Some(url) = url {
            endpoint.url = url;
        }
        if let Some(events) = events {
            endpoint.enabled_events = events;
        }
        if let Some(disabled) = disabled {
            endpoint.disabled = disabled;
        }
        if let Some(d) = p.str("description") {
            endpoint.description = (!d.is_empty()).then(|| d.to_string());
        }
        endpoint.metadata = metadata;
        let json = endpoint.to_json(false);
        self.touch(ObjectKind::Endpoint, id);
        Ok(json)
    }

    /// A new signing secret; the old one keeps signing for `expires_in` seconds.
    pub fn roll_endpoint_secret(&mut self, id: &str, expires_in: i64) -> ApiResult {
        let now = self.now();
        let tail = self.new_id("x");
        let endpoint = self
            .endpoints
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("webhook_endpoint", id))?;
        for s in endpoint.secrets.iter_mut() {
            if s.expires_at.is_none() {
                s.expires_at = Some(now.saturating_add(expires_in.max(0)));
            }
        }
        endpoint.secrets.insert(
            0,
            Secret {
                value: format!("whsec_{}", &tail[2..]),
                expires_at: None,
            },
        );
        let json = endpoint.to_json(true);
        self.touch(ObjectKind::Endpoint, id);
        Ok(json)
    }
}

fn check_url(url: &str) -> Result<String, ApiError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err(ApiError::invalid(
            "Invalid URL: URL must be publicly accessible or start with http(s)://",
        )
        .param("url"))
    }
}

/// `enabled_events[]`: a non-empty list of event types (or `*`).
fn enabled_events(value: Option<&Value>) -> Option<Vec<String>> {
    match value {
        Some(Value::Array(items)) if !items.is_empty() => Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        ),
        _ => None,
    }
}
