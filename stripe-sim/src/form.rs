//! Stripe's form encoding: `metadata[order_id]=42`, `expand[0]=latest_charge`, `expand[]=x`.
//!
//! Request bodies come from anyone who can reach the simulator (the key is checked first, but
//! the publishable key is public), so the parser is bounded: at most [`MAX_DEPTH`] brackets per
//! name and [`MAX_PARAMS`] parameters per request; the API layer also caps bodies at
//! [`MAX_BODY_BYTES`].

use serde_json::{Map, Value};

/// The most brackets one parameter name may have: `a[b][c][d][e][f]` (Stripe's own requests
/// nest three or four deep, e.g. `payment_method_data[billing_details][address][line1]`).
pub const MAX_DEPTH: usize = 5;
/// The most parameters one request may have.
pub const MAX_PARAMS: usize = 1000;
/// The largest request body the API reads, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses a form-encoded body (or query string) into nested JSON: objects for `a[b]`, arrays
/// for `a[0]` / `a[]`. Every leaf is a string, as on the wire. Names nested deeper than
/// [`MAX_DEPTH`] and requests with more than [`MAX_PARAMS`] parameters are refused.
pub fn parse(input: &[u8]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (count, (key, value)) in form_urlencoded::parse(input).enumerate() {
        if count == MAX_PARAMS {
            return Err(format!(
                "Too many parameters: a request may have at most {MAX_PARAMS}."
            ));
        }
        let path = split_key(&key)?;
        insert(&mut root, &path, value.into_owned(), &key)?;
    }
    Ok(root)
}

/// A parameter name for an error message: long names are cut.
fn shown(key: &str) -> String {
    const MAX: usize = 100;
    if key.len() <= MAX {
        return key.to_string();
    }
    let mut end = MAX;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &key[..end])
}

/// `a[b][0]` → `["a", "b", "0"]`; `a[]` → `["a", ""]`.
fn split_key(key: &str) -> Result<Vec<String>, String> {
    let invalid = || format!("Invalid parameter name: {}", shown(key));
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(invalid());
    }
    let mut parts = vec![head.to_string()];
    while !rest.is_empty() {
        if !rest.starts_with('[') {
            return Err(invalid());
        }
        if parts.len() > MAX_DEPTH {
            return Err(format!(
                "Invalid parameter name: {} is nested too deeply (at most {MAX_DEPTH} levels of brackets).",
                shown(key)
            ));
        }
        let close = rest.find(']').ok_or_else(invalid)?;
        parts.push(rest[1..close].to_string());
        rest = &rest[close + 1..];
    }
    Ok(parts)
}

fn insert(node: &mut Value, path: &[String], value: String, key: &str) -> Result<(), String> {
    let conflict = || format!("Invalid parameter: {key} conflicts with another parameter");
    let (first, rest) = path.split_first().ok_or_else(conflict)?;
    let array_index = if first.is_empty() {
        Some(usize::MAX)
    } else {
        first.parse::<usize>().ok()
    };
    match (node, array_index) {
        (Value::Array(items), Some(i)) => {
            let index = if i == usize::MAX || i >= items.len() {
                items.len()
            } else {
                i
            };
            if index == items.len() {
                items.push(if rest.is_empty() {
                    Value::Null
                } else {
                    empty_like(&rest[0])
                });
            }
            if rest.is_empty() {
                items[index] = Value::String(value);
                Ok(())
            } else {
                insert(&mut items[index], rest, value, key)
            }
        }
        (Value::Object(map), _) => {
            if rest.is_empty() {
                map.insert(first.clone(), Value::String(value));
                return Ok(());
            }
            let child = map
                .entry(first.clone())
                .or_insert_with(|| empty_like(&rest[0]));
            if child.is_string() {
                // `metadata=` (clear) followed by `metadata[k]=v`: the nested form wins.
                *child = empty_like(&rest[0]);
            }
            insert(child, rest, value, key)
        }
        _ => Err(conflict()),
    }
}

fn empty_like(next: &str) -> Value {
    if next.is_empty() || next.parse::<usize>().is_ok() {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    }
}

/// Encodes nested JSON back into Stripe's form style (indexed arrays), sorted: the canonical
/// form idempotency compares.
pub fn canonical(value: &Value) -> String {
    let mut pairs = Vec::new();
    flatten(value, String::new(), &mut pairs);
    pairs.sort();
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(&k, &v);
    }
    out.finish()
}

fn flatten(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                flatten(v, key, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{prefix}[{i}]"), out);
            }
        }
        Value::String(s) => out.push((prefix, s.clone())),
        Value::Null => out.push((prefix, String::new())),
        other => out.push((prefix, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_become_nested_objects_and_arrays() {
        let v = parse(b"amount=2000&currency=usd&metadata[order_id]=ord_1&automatic_payment_methods[enabled]=true&expand[0]=latest_charge&expand[1]=payment_method&tags[]=a&tags[]=b&shipping[address][line1]=1+Main+St").unwrap();
        assert_eq!(
            v,
            json!({
                "amount": "2000", "currency": "usd",
                "metadata": {"order_id": "ord_1"},
                "automatic_payment_methods": {"enabled": "true"},
                "expand": ["latest_charge", "payment_method"],
                "tags": ["a", "b"],
                "shipping": {"address": {"line1": "1 Main St"}}
            })
        );
    }

    #[test]
    fn bad_names_are_errors() {
        assert!(parse(b"[x]=1").is_err());
        assert!(parse(b"a[b=1").is_err());
        assert!(parse(b"a=1&a[b]=2").is_ok());
    }

    #[test]
    fn nesting_is_limited() {
        let nested = |depth: usize| format!("metadata{}=1", "[a]".repeat(depth));
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        let err = parse(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(err.contains("nested too deeply"), "{err}");
        // What used to overflow the stack: one bracket pair per level, ~600 KB.
        let err = parse(nested(200_000).as_bytes()).unwrap_err();
        assert!(err.len() < 300, "the message quotes a cut name: {err}");
    }

    #[test]
    fn the_number_of_parameters_is_limited() {
        let body = |n: usize| {
            (0..n)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(parse(body(MAX_PARAMS).as_bytes()).is_ok());
        assert!(parse(body(MAX_PARAMS + 1).as_bytes())
            .unwrap_err()
            .contains("Too many parameters"));
    }

    #[test]
    fn canonical_form_ignores_order() {
        let a = parse(b"b=2&a=1&metadata[y]=2&metadata[x]=1").unwrap();
        let b = parse(b"metadata[x]=1&a=1&metadata[y]=2&b=2").unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_ne!(canonical(&a), canonical(&parse(b"a=1&b=3").unwrap()));
    }
}
