//! Projections: what state records of a Kubernetes object. For each object, the fields
//! forge sets (flattened to paths), as the live object has them; a field forge sets that
//! the cluster changed shows with its live value, defaults the cluster adds are not
//! recorded, and Secret values become only `(matches)` or `(differs)` — compared by
//! digest, never stored.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::super::flatten::{flatten, get, matches};
use super::{ADDRESS_ANNOTATION, MANAGED_BY};
use crate::secret::{SecretError, SecretSpec, Secrets};

pub(super) const MATCHES: &str = "(matches)";
pub(super) const DIFFERS: &str = "(differs)";

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
pub fn object_key(obj: &Value) -> String {
    let kind = obj["kind"].as_str().unwrap_or("?");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    match obj.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// Applies forge's label and annotation to an object.
pub(super) fn stamp(obj: &Value, address: &str) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
        }
        let ann = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = ann.as_object_mut() {
            a.insert(ADDRESS_ANNOTATION.into(), json!(address));
        }
    }
    o
}

fn is_secret_ref(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && (m.contains_key("env") || m.contains_key("file") || m.contains_key("generate")))
}

/// The value forge would write for a `stringData` entry.
pub(super) fn secret_value(v: &Value, secrets: &Secrets) -> Result<String, SecretError> {
    if is_secret_ref(v) {
        match serde_json::from_value::<SecretSpec>(v.clone()) {
            Ok(spec) => secrets.resolve(&spec),
            Err(_) => Ok(v.to_string()),
        }
    } else {
        Ok(v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()))
    }
}

fn digest(s: &[u8]) -> String {
    hex::encode(Sha256::digest(s))
}

/// What state looks like when the live object has exactly the desired fields.
pub(super) fn desired_projection(obj: &Value) -> BTreeMap<String, Value> {
    let mut o = obj.clone();
    let string_data = o.as_object_mut().and_then(|m| m.remove("stringData"));
    let mut out: BTreeMap<String, Value> = flatten(&o)
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "kind" | "metadata.name" | "metadata.namespace"))
        .collect();
    if let Some(Value::Object(sd)) = string_data {
        for k in sd.keys() {
            out.insert(format!("data.{k}"), json!(MATCHES));
        }
    }
    out
}

/// What state looks like for a live object, measured against the desired one.
pub(super) fn live_projection(
    desired: &Value,
    live: &Value,
    secrets: &Secrets,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (path, want) in desired_projection(desired) {
        if let Some(key) = path
            .strip_prefix("data.")
            .filter(|_| desired.get("stringData").is_some() && want == json!(MATCHES))
        {
            let have = live
                .pointer(&format!("/data/{key}"))
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
            let wanted = desired
                .pointer(&format!("/stringData/{key}"))
                .and_then(|v| secret_value(v, secrets).ok());
            let same =
                matches!((have, wanted), (Some(h), Some(w)) if digest(&h) == digest(w.as_bytes()));
            out.insert(path, json!(if same { MATCHES } else { DIFFERS }));
            continue;
        }
        let got = get(live, &path);
        if matches(&want, got) {
            out.insert(path, want);
        } else {
            out.insert(path, got.cloned().unwrap_or(Value::Null));
        }
    }
    out
}

/// Kinds applied first (and deleted last).
pub(super) fn order(obj: &Value) -> u8 {
    match obj["kind"].as_str().unwrap_or("") {
        "CustomResourceDefinition" => 0,
        "Namespace" => 1,
        "ServiceAccount"
        | "Secret"
        | "ConfigMap"
        | "PersistentVolumeClaim"
        | "Role"
        | "ClusterRole"
        | "RoleBinding"
        | "ClusterRoleBinding" => 2,
        "Service" => 3,
        "Job" => 5,
        _ => 4,
    }
}

pub(super) fn parts(obj: &Value) -> (String, String, Option<String>, String) {
    (
        obj["apiVersion"].as_str().unwrap_or("v1").to_string(),
        obj["kind"].as_str().unwrap_or("").to_string(),
        obj.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string),
        obj.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    )
}

/// Splits a state key back into `(kind, namespace, name)`.
pub(super) fn split_key(key: &str) -> (String, Option<String>, String) {
    let p: Vec<&str> = key.splitn(3, '/').collect();
    match p.as_slice() {
        [kind, ns, name] => (kind.to_string(), Some(ns.to_string()), name.to_string()),
        [kind, name] => (kind.to_string(), None, name.to_string()),
        _ => (key.to_string(), None, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo"}, "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    #[test]
    fn live_defaults_are_not_drift_but_changed_fields_are() {
        let desired = stamp(&deployment("nginx:1"), "kube_manifest.x");
        let mut live = desired.clone();
        live["spec"]["strategy"] = json!({"type": "RollingUpdate"});
        live["status"] = json!({"replicas": 1});
        let s = Secrets::default();
        assert_eq!(
            live_projection(&desired, &live, &s),
            desired_projection(&desired)
        );
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        let p = live_projection(&desired, &live, &s);
        assert_eq!(
            p["spec.template.spec.containers[0].image"],
            json!("nginx:2")
        );
    }

    #[test]
    fn secret_values_are_compared_by_digest_never_stored() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "demo"}, "stringData": {"password": {"env": "FORGE_TEST_NOT_SET_PW"}, "user": "admin"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "demo"}, "data": {"password": base64::engine::general_purpose::STANDARD.encode("hunter2"), "user": base64::engine::general_purpose::STANDARD.encode("admin")}});
        let p = live_projection(&desired, &live, &Secrets::default());
        assert_eq!(p["data.user"], json!(MATCHES));
        assert_eq!(
            p["data.password"],
            json!(DIFFERS),
            "an unreadable secret never matches"
        );
        assert!(!serde_json::to_string(&p).expect("json").contains("hunter2"));
    }
}
