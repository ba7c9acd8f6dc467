//! Properties of the form parser (`stripe_sim::form`), which reads every request body before
//! anything else looks at it: it never panics, whatever the bytes; simple `key=value` sets come
//! back as they went; nesting stops at `MAX_DEPTH` brackets; and the canonical encoding that
//! idempotency compares parses back to the same parameters.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use stripe_sim::form::{canonical, parse, MAX_DEPTH, MAX_PARAMS};

fn encode(pairs: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A parameter name Stripe could send: a letter, then letters, digits and underscores.
fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,8}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(value) = parse(&input) {
            let _ = canonical(&value);
        }
    }

    #[test]
    fn never_panics_on_bracket_soup(input in "[a-c\\[\\]=&%0-9+]{0,400}") {
        if let Ok(value) = parse(input.as_bytes()) {
            let _ = canonical(&value);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_unicode(input in "\\PC{0,200}") {
        let _ = parse(input.as_bytes());
    }

    #[test]
    fn simple_pairs_round_trip(pairs in proptest::collection::btree_map(name(), "\\PC{0,40}", 0..40)) {
        let list: Vec<(String, String)> = pairs.clone().into_iter().collect();
        let parsed = parse(encode(&list).as_bytes()).unwrap();
        let expected: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        prop_assert_eq!(&parsed, &Value::Object(expected));
        // The canonical form is the sorted encoding, and it parses back to the same.
        prop_assert_eq!(canonical(&parsed), encode(&list));
        prop_assert_eq!(parse(canonical(&parsed).as_bytes()).unwrap(), parsed);
    }

    #[test]
    fn nested_objects_and_arrays_round_trip(
        objects in proptest::collection::btree_map(name(), proptest::collection::btree_map(name(), "\\PC{0,20}", 1..6), 0..5),
        arrays in proptest::collection::btree_map(name(), proptest::collection::vec("\\PC{0,20}", 1..6), 0..5),
    ) {
        let mut root = Map::new();
        for (k, inner) in &objects {
            root.insert(k.clone(), json!(inner));
        }
        for (k, items) in &arrays {
            root.insert(k.clone(), json!(items));
        }
        let value = Value::Object(root);
        prop_assert_eq!(parse(canonical(&value).as_bytes()).unwrap(), value);
    }

    #[test]
    fn nesting_stops_at_the_depth_limit(
        head in name(),
        segments in proptest::collection::vec("[a-z]{1,6}", 0..(MAX_DEPTH + 8)),
        value in "\\PC{0,20}",
    ) {
        let key = format!("{head}{}", segments.iter().map(|s| format!("[{s}]")).collect::<String>());
        let result = parse(encode(&[(key, value.clone())]).as_bytes());
        if segments.len() <= MAX_DEPTH {
            let parsed = result.unwrap();
            let mut node = &parsed[&head];
            for s in &segments {
                node = &node[s.as_str()];
            }
            prop_assert_eq!(node, &Value::String(value));
        } else {
            prop_assert!(result.unwrap_err().contains("nested too deeply"));
        }
    }

    #[test]
    fn any_depth_is_answered_without_recursion(depth in 0usize..100_000) {
        let body = format!("a{}=1", "[]".repeat(depth));
        prop_assert_eq!(parse(body.as_bytes()).is_ok(), depth <= MAX_DEPTH);
    }

    #[test]
    fn parameter_counts_are_limited(extra in 0usize..3) {
        let n = MAX_PARAMS - 1 + extra;
        let list: Vec<(String, String)> = (0..n).map(|i| (format!("k{i}"), "v".into())).collect();
        prop_assert_eq!(parse(encode(&list).as_bytes()).is_ok(), n <= MAX_PARAMS);
    }
}

#[test]
fn later_duplicates_win_like_before() {
    let v = parse(b"a=1&a=2").unwrap();
    assert_eq!(v, json!({"a": "2"}));
    let m: BTreeMap<String, String> =
        serde_json::from_value(parse(b"m[x]=1&m[y]=2").unwrap()["m"].clone()).unwrap();
    assert_eq!(m.len(), 2);
}
