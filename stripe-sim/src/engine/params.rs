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

/// Orders two list entries by `(created, creation order, id)`, newest first, as Stripe's list
/// endpoints return them.
pub(super) fn newest_first(a: (i64, u64, &String), b: (i64, u64, &String)) -> std::cmp::Ordering {
    b.cmp(&a)
}
