//! Flattening objects into `path → leaf value` maps, so a desired object can be compared
//! with the live one field by field (the live object has defaults and status the
//! desired one does not name; only what forge sets is compared).

use std::collections::BTreeMap;

use serde_json::Value;

/// The leaves of `v`, by path: `spec.template.spec.containers[0].image`.
pub fn flatten(v: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk("", v, &mut out);
    out
}

fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                // Keys with dots (labels like `app.kubernetes.io/name`) are quoted.
                let p = if k.contains(['.', '[', ']', '"']) {
                    format!("{prefix}[{}]", serde_json::to_string(k).unwrap_or_default())
                } else if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&p, x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                walk(&format!("{prefix}[{i}]"), x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// The value at a flattened path in `v`, if any.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in split(path) {
        cur = match part {
            Part::Key(k) => cur.get(k.as_str())?,
            Part::Index(i) => cur.get(i)?,
        };
    }
    Some(cur)
}

enum Part {
    Key(String),
    Index(usize),
}

fn split(path: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let b = path.as_bytes();
    let mut i = 0;
    let mut key = String::new();
    while i < b.len() {
        match b[i] {
            b'.' => {
                if !key.is_empty() {
                    parts.push(Part::Key(std::mem::take(&mut key)));
                }
                i += 1;
            }
            b'[' => {
                if !key.is_empty() {
                    parts.push(Part::Key(std::mem::take(&mut key)));
                }
                let end = path[i..].find(']').map(|e| i + e).unwrap_or(b.len());
                let inner = &path[i + 1..end.min(b.len())];
                if inner.starts_with('"') {
                    // A quoted key may hold `]`: find the closing quote first.
                    let close = path[i + 2..].find("\"]").map(|e| i + 2 + e).unwrap_or(end);
                    parts.push(Part::Key(
                        serde_json::from_str(&path[i + 1..=close]).unwrap_or_default(),
                    ));
                    i = close + 2;
                    continue;
                }
                if let Ok(n) = inner.parse() {
                    parts.push(Part::Index(n));
                }
                i = end + 1;
            }
            _ => {
                let ch = path[i..].chars().next().unwrap_or(' ');
                key.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !key.is_empty() {
        parts.push(Part::Key(key));
    }
    parts
}

/// Whether a live value matches a desired one: equal, or the same number written
/// differently (`1` vs `1.0`), or the same quantity string.
pub fn matches(desired: &Value, live: Option<&Value>) -> bool {
    match (desired, live) {
        (d, Some(l)) if d == l => true,
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Some(Value::String(b))) | (Value::String(b), Some(Value::Number(a))) => {
            a.to_string() == *b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_and_finds_leaves() {
        let v = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}, "metadata": {"labels": {}}});
        let f = flatten(&v);
        assert_eq!(f["spec.template.spec.containers[0].image"], json!("x:1"));
        assert_eq!(f["metadata.labels"], json!({}));
        assert_eq!(
            get(&v, "spec.template.spec.containers[0].image"),
            Some(&json!("x:1"))
        );
        assert_eq!(get(&v, "spec.template.spec.containers[1].image"), None);
        assert!(matches(&json!(1), Some(&json!(1.0))));
        let labelled = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}}});
        let f = flatten(&labelled);
        let path = f.keys().next().expect("one leaf").clone();
        assert_eq!(path, "metadata.labels[\"app.kubernetes.io/name\"]");
        assert_eq!(get(&labelled, &path), Some(&json!("web")));
        assert!(!matches(&json!("a"), None));
    }
}
