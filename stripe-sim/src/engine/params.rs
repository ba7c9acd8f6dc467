//! Request parameters as the API layer parsed them (Stripe's form encoding, see `form`), and
//! the checks Stripe makes on them.

use crate::model::ApiError;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Params<'a>(pub &'a Value);

impl Params<'_> {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.str(key).filter(|s| !s.is_empty())
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid(format!("Invalid integer: {s}"))
                    .code("parameter_invalid_integer")
                    .param(key)
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(s) => Err(ApiError::invalid(format!("Invalid boolean: {s}")).param(key)),
        }
    }

    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s.to_string())),
            Some(s) => Err(ApiError::invalid(format!(
                "Invalid {key}: must be one of {}",
                allowed.join(", ")
            ))
            .param(key)
            .with(
                "message",
                format!(
                    "Invalid {key}: must be one of {} (got {s})",
                    allowed.join(", ")
                ),
            )),
        }
    }

    pub fn expand(&self) -> Vec<String> {
        match self.0.get("expand") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Rejects parameters the endpoint does not take, like Stripe.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        if let Some(map) = self.0.as_object() {
            if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(
                    ApiError::invalid(format!("Received unknown parameter: {unknown}"))
                        .param(unknown),
                );
            }
        }
        Ok(())
    }

    /// Applies `metadata[k]=v` updates: an empty value deletes the key, `metadata=` clears all.
    pub fn metadata_into(&self, target: &mut BTreeMap<String, String>) -> Result<(), ApiError> {
        match self.0.get("metadata") {
            None => Ok(()),
            Some(Value::String(s)) if s.is_empty() => {
                target.clear();
                Ok(())
            }
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    let v = v.as_str().unwrap_or_default();
                    if k.len() > 40 {
                        return Err(ApiError::invalid(
                            "Metadata keys can have a maximum length of 40 characters.",
                        )
                        .param(&format!("metadata[{k}]")));
                    }
                    if v.len() > 500 {
                        return Err(ApiError::invalid(
                            "Metadata values can have a maximum length of 500 characters.",
                        )
                        .param(&format!("metadata[{k}]")));
                    }
                    if v.is_empty() {
                        target.remove(k);
                    } else {
                        target.insert(k.clone(), v.to_string());
                    }
                }
                if target.len() > 50 {
                    return Err(ApiError::invalid("Metadata can have a maximum of 50 keys.")
                        .param("metadata"));
                }
                Ok(())
            }
            Some(_) => Err(ApiError::invalid("Invalid hash").param("metadata")),
        }
    }
}

pub(super) fn check_email(email: &str) -> Result<(), ApiError> {
    let ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("Invalid email address: {email}"))
            .code("email_invalid")
            .param("receipt_email"))
    }
}

/// The `created` filter of a list request (https://docs.stripe.com/api/events/list#list_events-created):
/// an exact time (`created=<int>`) or bounds (`created[gte]=…`, `[gt]`, `[lte]`, `[lt]`).
#[derive(Default)]
pub struct Created {
    eq: Option<i64>,
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl Created {
    pub fn matches(&self, t: i64) -> bool {
        self.eq.is_none_or(|v| t == v)
            && self.gt.is_none_or(|v| t > v)
            && self.gte.is_none_or(|v| t >= v)
            && self.lt.is_none_or(|v| t < v)
            && self.lte.is_none_or(|v| t <= v)
    }
}

impl Params<'_> {
    /// `limit` of a list request: 1 to 100, 10 when absent (https://docs.stripe.com/api/pagination).
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(10),
            Some(n) if n < 1 => Err(ApiError::invalid(
                "This value must be greater than or equal to 1.",
            )
            .param("limit")),
            Some(n) if n > 100 => Err(ApiError::invalid(
                "This value must be less than or equal to 100.",
            )
            .param("limit")),
            Some(n) => Ok(n as usize),
        }
    }

    pub fn created(&self) -> Result<Created, ApiError> {
        match self.0.get("created") {
            None => Ok(Created::default()),
            Some(Value::String(_)) => Ok(Created {
                eq: self.int("created")?,
                ..Created::default()
            }),
            Some(Value::Object(map)) => {
                if let Some(unknown) = map
                    .keys()
                    .find(|k| !["gt", "gte", "lt", "lte"].contains(&k.as_str()))
                {
                    return Err(ApiError::invalid(format!(
                        "Received unknown parameter: created[{unknown}]"
                    ))
                    .param(&format!("created[{unknown}]")));
                }
                let nested = Params(self.0.get("created").unwrap_or(&Value::Null));
                let bound = |k: &str| nested.int(k).map_err(|e| e.param(&format!("created[{k}]")));
                Ok(Created {
                    eq: None,
                    gt: bound("gt")?,
                    gte: bound("gte")?,
                    lt: bound("lt")?,
                    lte: bound("lte")?,
                })
            }
            Some(_) => Err(ApiError::invalid("Invalid created").param("created")),
        }
    }
}

/// One page of a list (https://docs.stripe.com/api/pagination): `all` is every object,
/// newest first; `keep` applies the request's filters. `starting_after` gives the objects
/// after the cursor, `ending_before` the `limit` objects just before it (still newest first).
/// Returns the page and `has_more`.
pub(super) fn page<'a, T>(
    all: &[&'a T],
    id: impl Fn(&T) -> &str,
    keep: impl Fn(&T) -> bool,
    p: &Params,
    kind: &str,
) -> Result<(Vec<&'a T>, bool), ApiError> {
    let limit = p.limit()?;
    let position = |param: &str, cursor: &str| {
        all.iter()
            .position(|o| id(o) == cursor)
            .ok_or_else(|| ApiError::not_found(kind, cursor).param(param))
    };
    match (p.non_empty("starting_after"), p.non_empty("ending_before")) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
        )),
        (None, Some(before)) => {
            let end = position("ending_before", before)?;
            let matching: Vec<&T> = all[..end].iter().copied().filter(|o| keep(o)).collect();
            let has_more = matching.len() > limit;
            let start = matching.len().saturating_sub(limit);
            Ok((matching[start..].to_vec(), has_more))
        }
        (after, None) => {
            let start = match after {
                Some(after) => position("starting_after", after)? + 1,
                None => 0,
            };
            let mut matching = all[start..].iter().copied().filter(|o| keep(o));
            let data: Vec<&T> = matching.by_ref().take(limit).collect();
            let has_more = matching.next().is_some();
            Ok((data, has_more))
        }
    }
}

/// Orders two list entries by `(created, creation order, id)`, newest first, as Stripe's list
/// endpoints return them.
pub(super) fn newest_first(a: (i64, u64, &String), b: (i64, u64, &String)) -> std::cmp::Ordering {
    b.cmp(&a)
}
