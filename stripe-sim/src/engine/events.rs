//! Events: recorded for every change and addressed to the endpoints that want them
//! (https://docs.stripe.com/api/events).

use super::params::page;
use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, Event};
use serde_json::{json, Value};

impl Account {
    /// Records an event and addresses it to every enabled endpoint that wants its type. A
    /// disabled endpoint is skipped for good: Stripe does not send it the events created while
    /// it was disabled, even once it is enabled again
    /// (https://docs.stripe.com/workbench/webhooks, "temporarily disable").
    pub fn emit(&mut self, kind: &str, object: Value, previous: Option<Value>) {
        let id = self.new_id("evt");
        let undelivered = self
            .endpoints
            .values()
            .filter(|e| !e.disabled && e.wants(kind))
            .map(|e| e.id.clone())
            .collect();
        let (request_id, idempotency_key) = match &self.request {
            Some((r, k)) => (Some(r.clone()), k.clone()),
            None => (None, None),
        };
        let event = Event {
            id: id.clone(),
            kind: kind.to_string(),
            created: self.now(),
            object,
            previous_attributes: previous,
            request_id,
            idempotency_key,
            undelivered,
            abandoned: Vec::new(),
        };
        self.events.insert(id.clone(), event);
        self.event_order.push(id.clone());
        self.new_events.push(id.clone());
        self.touch(ObjectKind::Event, &id);
    }

    /// `GET /v1/events` (https://docs.stripe.com/api/events/list): newest first, filtered by
    /// `type` (`*` is a wildcard: `charge.*`, `charge.dispute.*`) or `types[]` (up to 20
    /// exact names, not both), `created`, and `delivery_success` (every endpoint the event was
    /// sent to answered 2xx; `false` lists events still pending or given up on).
    pub fn list_events(&self, p: &Params) -> ApiResult {
        p.only(&[
            "created",
            "delivery_success",
            "ending_before",
            "expand",
            "limit",
            "starting_after",
            "type",
            "types",
        ])?;
        let kind = p.non_empty("type");
        let types: Option<Vec<&str>> = match p.0.get("types") {
            None => None,
            Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect()),
            Some(_) => return Err(ApiError::invalid("Invalid array").param("types")),
        };
        if kind.is_some() && types.is_some() {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: type, types.",
            ));
        }
        if types.as_ref().is_some_and(|t| t.len() > 20) {
            return Err(
                ApiError::invalid("You may pass at most 20 event types in `types`.").param("types"),
            );
        }
        let created = p.created()?;
        let delivered = p.bool("delivery_success")?;
        let all: Vec<&Event> = self
            .event_order
            .iter()
            .rev()
            .filter_map(|id| self.events.get(id))
            .collect();
        let keep = |e: &Event| {
            kind.is_none_or(|k| type_matches(k, &e.kind))
                && types.as_ref().is_none_or(|t| t.contains(&e.kind.as_str()))
                && created.matches(e.created)
                && delivered.is_none_or(|d| d == (e.pending_webhooks() == 0))
        };
        let (data, has_more) = page(&all, |e| &e.id, keep, p, "event")?;
        let data: Vec<Value> = data.into_iter().map(Event::to_json).collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/events"}))
    }
}

/// Whether event type `kind` matches `pattern`, where `*` stands for any run of characters.
fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == kind,
        Some((head, rest)) => {
            let Some(tail) = kind.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| type_matches(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::type_matches;

    #[test]
    fn wildcards_match_groups_of_event_types() {
        assert!(type_matches("charge.refunded", "charge.refunded"));
        assert!(!type_matches("charge.refunded", "charge.refund.updated"));
        assert!(type_matches("charge.*", "charge.refunded"));
        assert!(type_matches("charge.*", "charge.dispute.created"));
        assert!(!type_matches("charge.*", "payment_intent.succeeded"));
        assert!(type_matches(
            "charge.dispute.*",
            "charge.dispute.funds_withdrawn"
        ));
        assert!(type_matches("*.succeeded", "payment_intent.succeeded"));
        assert!(type_matches("*", "refund.created"));
    }
}
