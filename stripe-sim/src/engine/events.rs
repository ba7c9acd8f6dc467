//! Events: recorded for every change and addressed to the endpoints that want them
//! (https://docs.stripe.com/api/events).

use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, Event};
use serde_json::{json, Value};

impl Account {
    /// Records an event and addresses it to every endpoint that wants its type.
    pub fn emit(&mut self, kind: &str, object: Value, previous: Option<Value>) {
        let id = self.new_id("evt");
        let undelivered = self
            .endpoints
            .values()
            .filter(|e| e.wants(kind))
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
        };
        self.events.insert(id.clone(), event);
        self.event_order.push(id.clone());
        self.new_events.push(id.clone());
        self.touch(ObjectKind::Event, &id);
    }

    /// Events, newest first; `starting_after` pages, `type` filters.
    pub fn list_events(&self, p: &Params) -> ApiResult {
        let limit = p.int("limit")?.unwrap_or(10).clamp(1, 100) as usize;
        let mut ids: Vec<&String> = self.event_order.iter().rev().collect();
        if let Some(after) = p.non_empty("starting_after") {
            let pos = ids
                .iter()
                .position(|id| *id == after)
                .ok_or_else(|| ApiError::not_found("event", after).param("starting_after"))?;
            ids = ids.split_off(pos + 1);
        }
        let kind = p.non_empty("type");
        let matching: Vec<Value> = ids
            .into_iter()
            .filter_map(|id| self.events.get(id))
            .filter(|e| {
                kind.is_none_or(|k| {
                    e.kind == k || (k.ends_with(".*") && e.kind.starts_with(&k[..k.len() - 1]))
                })
            })
            .take(limit + 1)
            .map(Event::to_json)
            .collect();
        let has_more = matching.len() > limit;
        let data: Vec<Value> = matching.into_iter().take(limit).collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/events"}))
    }
}
