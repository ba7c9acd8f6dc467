//! The simulator's form parser (`stripe_sim::form`), which reads every request body: no panic,
//! no stack overflow, and its limits hold on whatever it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use stripe_sim::form::{canonical, parse, MAX_DEPTH, MAX_PARAMS};

/// Depth of nested objects and arrays (a leaf is 0).
fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(leaves).sum(),
        Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = parse(data) {
        // The root object, the name, then at most MAX_DEPTH brackets.
        assert!(depth(&value) <= MAX_DEPTH + 1, "too deep: {}", depth(&value));
        assert!(leaves(&value) <= MAX_PARAMS);
        let encoded = canonical(&value);
        // The canonical form is what idempotency compares: it must itself be parseable
        // without panicking (it may be refused: `a[b]` then `a[0]` is a conflict).
        let _ = parse(encoded.as_bytes());
    }
});
