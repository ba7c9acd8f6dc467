//! Stripe's form encoding: `metadata[order_id]=42`, `expand[0]=latest_charge`, `expand[]=x`.

use serde_json::{Map, Value};

/// Parses a form-encoded body (or query string) into nested JSON: objects for `a[b]`, arrays
/// for `a[0]` / `a[]`. Every leaf is a string, as on the wire.
pub fn parse(input: &[u8]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (key, value) in form_urlencoded::parse(input) {
        let path = split_key(&key)?;
        insert(&mut root, &path, value.into_owned(), &key)?;
    }
    Ok(root)
}

/// `a[b][0]` → `["a", "b", "0"]`; `a[]` → `["a", ""]`.
fn split_key(key: &str) -> Result<Vec<String>, String> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return Err(format!("Invalid parameter name: {key}"));
    }
    let mut parts = vec![head.to_string()];
    while !rest.is_empty() {
        if !rest.starts_with('[') {
            return Err(format!("Invalid parameter name: {key}"));
        }
        let close = rest
            .find(']')
            .ok_or_else(|| format!("Invalid parameter name: {key}"))?;
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
    fn canonical_form_ignores_order() {
        let a = parse(b"b=2&a=1&metadata[y]=2&metadata[x]=1").unwrap();
        let b = parse(b"metadata[x]=1&a=1&metadata[y]=2&b=2").unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_ne!(canonical(&a), canonical(&parse(b"a=1&b=3").unwrap()));
    }
}
