//! Waiting for objects to become ready, through a watch, with a timeout. A timeout or a
//! failure says what was not ready, with its conditions, its pods and its recent events.

use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::runtime::wait::await_condition;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::kube_error;
use crate::provider::ProviderError;

/// An object to wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitFor {
    /// `apps/v1`, `batch/v1`, ...
    pub api_version: String,
    /// `Deployment`, `StatefulSet`, `Job`, `DaemonSet`, `CustomResourceDefinition`, or any kind (exists).
    pub kind: String,
    /// Namespace, for namespaced kinds.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl WaitFor {
    fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Where an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready.
    Ready,
    /// Not yet, and why.
    NotYet(String),
    /// Failed for good (a Job that failed), and why.
    Failed(String),
}

fn int(v: &Value, path: &[&str]) -> i64 {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(x) => cur = x,
            None => return 0,
        }
    }
    cur.as_i64().unwrap_or(0)
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn is_true(c: Option<&Value>) -> bool {
    c.is_some_and(|c| c["status"] == "True")
}

/// Summarises an object's conditions: `Available=False (MinimumReplicasUnavailable: ...)`.
pub fn conditions(obj: &Value) -> String {
    let Some(list) = obj.pointer("/status/conditions").and_then(Value::as_array) else {
        return "no conditions".into();
    };
    list.iter()
        .map(|c| {
            let reason = c["reason"].as_str().unwrap_or("");
            let msg = c["message"].as_str().unwrap_or("");
            format!(
                "{}={}{}",
                c["type"].as_str().unwrap_or("?"),
                c["status"].as_str().unwrap_or("?"),
                if reason.is_empty() && msg.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason}: {msg})")
                }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `obj` (of `kind`) is ready.
pub fn readiness(kind: &str, obj: &Value) -> Readiness {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    match kind {
        "Deployment" => {
            let available = int(obj, &["status", "availableReplicas"]);
            let updated = int(obj, &["status", "updatedReplicas"]);
            if observed >= generation && available >= replicas && updated >= replicas {
                Readiness::Ready
            } else {
                Readiness::NotYet(format!(
                    "{available}/{replicas} available, {updated} updated"
                ))
            }
        }
        "StatefulSet" => {
            let ready = int(obj, &["status", "readyReplicas"]);
            let updated = int(obj, &["status", "updatedReplicas"]);
            if observed >= generation && ready >= replicas && updated >= replicas {
                Readiness::Ready
            } else {
                Readiness::NotYet(format!("{ready}/{replicas} ready"))
            }
        }
        "DaemonSet" => {
            let want = int(obj, &["status", "desiredNumberScheduled"]);
            let ready = int(obj, &["status", "numberReady"]);
            if observed >= generation && want > 0 && ready >= want {
                Readiness::Ready
            } else {
                Readiness::NotYet(format!("{ready}/{want} ready"))
            }
        }
        "Job" => {
            if is_true(condition(obj, "Complete")) {
                Readiness::Ready
            } else if let Some(c) = condition(obj, "Failed").filter(|c| c["status"] == "True") {
                Readiness::Failed(format!(
                    "{}: {}",
                    c["reason"].as_str().unwrap_or("Failed"),
                    c["message"].as_str().unwrap_or("")
                ))
            } else {
                Readiness::NotYet(format!(
                    "{} active, {} failed",
                    int(obj, &["status", "active"]),
                    int(obj, &["status", "failed"])
                ))
            }
        }
        "CustomResourceDefinition" => {
            if is_true(condition(obj, "Established")) {
                Readiness::Ready
            } else {
                Readiness::NotYet("not established".into())
            }
        }
        _ => Readiness::Ready,
    }
}

/// Waits until `w` is ready, up to `timeout`.
pub async fn wait_ready(
    client: &kube::Client,
    ar: &ApiResource,
    w: &WaitFor,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let api: Api<DynamicObject> = match &w.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    };
    let kind = w.kind.clone();
    let cond = move |o: Option<&DynamicObject>| match o {
        Some(o) => {
            let v = serde_json::to_value(o).unwrap_or(Value::Null);
            !matches!(readiness(&kind, &v), Readiness::NotYet(_))
        }
        None => false,
    };
    // A watch broken by the network is started again until the time is up.
    let deadline = std::time::Instant::now() + timeout;
    let outcome = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, await_condition(api.clone(), &w.name, cond.clone())).await
        {
            Ok(Err(_)) if std::time::Instant::now() + Duration::from_millis(500) < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            other => break other,
        }
    };
    let obj = match outcome {
        Ok(Ok(Some(o))) => serde_json::to_value(&o).unwrap_or(Value::Null),
        Ok(Ok(None)) => {
            return Err(ProviderError::Failed {
                what: w.label(),
                reason: "it was deleted while forge waited for it".into(),
                hint: None,
            });
        }
        Ok(Err(e)) => {
            return Err(ProviderError::Client {
                operation: format!("watch {}", w.label()),
                source: Box::new(e),
            });
        }
        Err(_) => {
            let live = api
                .get_opt(&w.name)
                .await
                .map_err(|e| kube_error(&format!("get {}", w.label()), e))?;
            let detail = match live {
                Some(o) => {
                    diagnose(client, w, &serde_json::to_value(&o).unwrap_or(Value::Null)).await
                }
                None => "it does not exist".into(),
            };
            return Err(ProviderError::Timeout {
                what: format!("{} to be ready: {detail}", w.label()),
                after: timeout,
            });
        }
    };
    match readiness(&w.kind, &obj) {
        Readiness::Failed(why) => Err(ProviderError::Failed {
            what: w.label(),
            reason: format!("{why}; {}", diagnose(client, w, &obj).await),
            hint: None,
        }),
        _ => Ok(()),
    }
}

/// Conditions, pod states and recent events of an object that is not ready.
pub async fn diagnose(client: &kube::Client, w: &WaitFor, obj: &Value) -> String {
    let mut parts = vec![match readiness(&w.kind, obj) {
        Readiness::NotYet(s) | Readiness::Failed(s) => s,
        Readiness::Ready => "ready".into(),
    }];
    parts.push(format!("conditions: {}", conditions(obj)));
    if let Some(ns) = &w.namespace {
        let selector = match w.kind.as_str() {
            "Job" => Some(format!("job-name={}", w.name)),
            _ => obj
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                }),
        };
        if let Some(sel) = selector.filter(|s| !s.is_empty()) {
            let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), ns);
            if let Ok(list) = pods.list(&ListParams::default().labels(&sel)).await {
                let states: Vec<String> = list.items.iter().map(pod_summary).collect();
                if !states.is_empty() {
                    parts.push(format!("pods: {}", states.join("; ")));
                }
            }
        }
        let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), ns);
        if let Ok(list) = events
            .list(&ListParams::default().fields(&format!("involvedObject.name={}", w.name)))
            .await
        {
            let mut msgs: Vec<String> = list
                .items
                .iter()
                .filter_map(|e| {
                    e.message
                        .clone()
                        .map(|m| format!("{}: {m}", e.reason.clone().unwrap_or_default()))
                })
                .collect();
            msgs.dedup();
            let last: Vec<String> = msgs.into_iter().rev().take(5).collect();
            if !last.is_empty() {
                parts.push(format!("events: {}", last.join(" | ")));
            }
        }
    }
    parts.join("; ")
}

fn pod_summary(p: &k8s_openapi::api::core::v1::Pod) -> String {
    let v = serde_json::to_value(p).unwrap_or(Value::Null);
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let phase = v
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    let mut out = format!("{name} {phase}");
    if let Some(statuses) = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
    {
        for c in statuses {
            if let Some(w) = c.pointer("/state/waiting/reason").and_then(Value::as_str) {
                out.push_str(&format!(
                    " ({} waiting: {w})",
                    c["name"].as_str().unwrap_or("?")
                ));
            }
            if let Some(code) = c
                .pointer("/state/terminated/exitCode")
                .and_then(Value::as_i64)
            {
                out.push_str(&format!(
                    " ({} exited {code})",
                    c["name"].as_str().unwrap_or("?")
                ));
            }
            if c["ready"] == false && c.pointer("/state/running").is_some() {
                out.push_str(&format!(
                    " ({} not ready)",
                    c["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_readiness_needs_the_new_generation_available() {
        let d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "availableReplicas": 2, "updatedReplicas": 2}});
        assert!(
            matches!(readiness("Deployment", &d), Readiness::NotYet(_)),
            "old generation"
        );
        let d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": {"observedGeneration": 2, "availableReplicas": 2, "updatedReplicas": 2}});
        assert_eq!(readiness("Deployment", &d), Readiness::Ready);
    }

    #[test]
    fn failed_jobs_fail_at_once() {
        let j = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            readiness("Job", &j),
            Readiness::Failed(
                "BackoffLimitExceeded: Job has reached the specified backoff limit".into()
            )
        );
        assert_eq!(
            conditions(&j),
            "Failed=True (BackoffLimitExceeded: Job has reached the specified backoff limit)"
        );
    }
}
