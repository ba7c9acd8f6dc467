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
        let url = p.non_empty("url").ok_or_else(|| ApiError::missing("url"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::invalid(
                "Invalid URL: URL must be publicly accessible or start with http(s)://",
            )
            .param("url"));
        }
        let enabled_events: Vec<String> = match p.0.get("enabled_events") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => return Err(ApiError::missing("enabled_events")),
        };
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
            url: url.to_string(),
            enabled_events,
            created: self.now(),
            description: p.non_empty("description").map(String::from),
            metadata,
            secrets: vec![Secret {
                value: secret,
                expires_at: None,
            }],
        };
        let json = endpoint.to_json(true);
        self.touch(ObjectKind::Endpoint, &endpoint.id);
        self.endpoints.insert(endpoint.id.clone(), endpoint);
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
                s.expires_at = Some(now + expires_in.max(0));
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
