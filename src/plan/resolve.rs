//! Filling `${kind.name.attr}` placeholders in specs from the state of dependencies.

use serde_json::Value;

use crate::state::State;
use crate::template::{self, Placeholder};

/// Replaces every `${kind.name.attr}` whose value is in `state`; unresolved ones stay.
/// A string that is exactly one placeholder of a list or mapping attribute takes that
/// value as is; scalars are written into the string.
pub fn resolve_spec(spec: &Value, state: &State) -> Value {
    match spec {
        Value::String(s) if s.contains("${") => {
            let found = template::scan(s);
            if let [one] = found.as_slice()
                && one.range == (0..s.len())
                && let Placeholder::Ref { addr, attr } = &one.placeholder
            {
                match state.attribute(addr, attr) {
                    Some(v @ (Value::Array(_) | Value::Object(_))) => return v,
                    Some(Value::String(s)) => return Value::String(s),
                    Some(other) => return Value::String(other.to_string()),
                    None => return spec.clone(),
                }
            }
            Value::String(template::substitute(s, false, |p| match p {
                Placeholder::Ref { addr, attr } => state.attribute(addr, attr).map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                }),
                _ => None,
            }))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve_spec(v, state)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), resolve_spec(v, state)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `${kind.name.attr}` placeholders still in a spec.
pub fn unresolved_refs(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn go(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                for f in template::scan(s) {
                    if let Placeholder::Ref { addr, attr } = f.placeholder {
                        out.push(format!("{addr}.{attr}"));
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| go(i, out)),
            Value::Object(m) => m.values().for_each(|i| go(i, out)),
            _ => {}
        }
    }
    go(spec, &mut out);
    out
}

/// Turns `$${` escapes into `${` once nothing is left to resolve.
pub fn unescape(spec: &Value) -> Value {
    match spec {
        Value::String(s) if s.contains("$${") => {
            Value::String(template::substitute(s, true, |_| None))
        }
        Value::Array(items) => Value::Array(items.iter().map(unescape).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), unescape(v))).collect())
        }
        other => other.clone(),
    }
}
