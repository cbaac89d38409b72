//! Attribute-level differences between two JSON values, for `~` lines and drift.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::template::{self, Placeholder};

/// One changed attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrChange {
    /// Dotted path, e.g. `tags.Name`.
    pub path: String,
    /// Old value (absent: added).
    pub before: Option<Value>,
    /// New value (absent: removed).
    pub after: Option<Value>,
}

/// Whether a value is (or holds) something known only after apply.
pub fn is_unknown(v: &Value) -> bool {
    match v {
        Value::String(s) => template::scan(s)
            .iter()
            .any(|f| !matches!(f.placeholder, Placeholder::Env { .. })),
        _ => false,
    }
}

/// The attributes of `after` that differ from `before`. Keys only in `before` count as
/// removed only when `after` is an object that names no such key and `before` had it.
/// Objects are compared key by key (one level of nesting shown as `a.b`); lists and
/// scalars as wholes.
pub fn diff(before: &Value, after: &Value) -> Vec<AttrChange> {
    let mut out = Vec::new();
    walk("", before, after, 0, &mut out);
    out
}

fn walk(prefix: &str, before: &Value, after: &Value, depth: usize, out: &mut Vec<AttrChange>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) if depth < 2 => {
            for (k, av) in a {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match b.get(k) {
                    Some(bv) => walk(&path, bv, av, depth + 1, out),
                    None if av.is_null() => {}
                    None => out.push(AttrChange {
                        path,
                        before: None,
                        after: Some(av.clone()),
                    }),
                }
            }
            for (k, bv) in b {
                if !a.contains_key(k) && depth > 0 && !bv.is_null() {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.push(AttrChange {
                        path,
                        before: Some(bv.clone()),
                        after: None,
                    });
                }
            }
        }
        (b, a) if b != a => out.push(AttrChange {
            path: prefix.to_string(),
            before: Some(b.clone()),
            after: Some(a.clone()),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_keys_missing_from_after_are_not_removals() {
        let before = json!({"bucket": "b", "arn": "arn:x", "tags": {"a": "1", "b": "2"}});
        let after = json!({"bucket": "b", "tags": {"a": "1", "c": "3"}});
        let d = diff(&before, &after);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["tags.c", "tags.b"]);
        assert_eq!(d[1].after, None);
    }

    #[test]
    fn unknown_values() {
        assert!(is_unknown(&json!("${iam_role.r.arn}")));
        assert!(!is_unknown(&json!("plain")));
    }
}
