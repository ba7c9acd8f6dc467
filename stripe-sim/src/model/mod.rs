//! The objects the simulator keeps, and their JSON as Stripe renders it: every property of
//! Stripe's schema (openapi-subset.json), `null` where Stripe would send null.

pub(crate) use serde::{Deserialize, Serialize};
pub(crate) use serde_json::{json, Map, Value};
pub(crate) use std::collections::BTreeMap;

pub const API_VERSION: &str = "2026-07-29.dahlia";

mod charge;
mod checkout_session;
mod confirmation_token;
mod dispute;
mod error;
mod event;
mod payment_intent;
mod payment_method;
mod refund;
mod webhook_endpoint;

pub use charge::*;
pub use checkout_session::*;
pub use confirmation_token::*;
pub use dispute::*;
pub use error::*;
pub use event::*;
pub use payment_intent::*;
pub use payment_method::*;
pub use refund::*;
pub use webhook_endpoint::*;

pub(crate) fn opt<T: Serialize>(v: &Option<T>) -> Value {
    v.as_ref().map(|x| json!(x)).unwrap_or(Value::Null)
}

pub(crate) fn keep(value: Value, fields: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}
