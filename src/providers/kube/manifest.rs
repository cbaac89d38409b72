//! `kube_manifest`: a set of Kubernetes objects that forge owns together.
//!
//! Applied with server-side apply (field manager `forge`, forced), labelled
//! `app.kubernetes.io/managed-by: forge` and annotated with the forge address. State keeps,
//! per object, the fields forge sets as the live cluster has them, so a hand edit shows
//! as drift and a changed forge.yaml as exactly the fields that change. Secret values are
//! never stored: only whether the live value matches. Objects that leave the set are
//! pruned. A Job whose template changed is deleted and created again (Job templates
//! are immutable).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams,
    PropagationPolicy,
};
use kube::discovery::Scope;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::{ClusterRef, Unreachable, client, kube_error, retry};
use super::flatten::{flatten, get, matches};
use super::wait::{WaitFor, wait_ready};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
use crate::secret::{SecretError, SecretSpec, Secrets};

/// The field manager forge applies with.
pub const FIELD_MANAGER: &str = "forge";
/// The label marking objects as forge's.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "forge");
/// The annotation naming the forge address that owns an object.
pub const ADDRESS_ANNOTATION: &str = "forge.dev/address";

const MATCHES: &str = "(matches)";
const DIFFERS: &str = "(differs)";

/// What forge.yaml asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestSpec {
    /// The cluster.
    pub cluster: ClusterRef,
    /// The objects. In Secrets, `stringData` values may be secret references.
    pub objects: Vec<Value>,
    /// What to wait for after applying.
    #[serde(default)]
    pub wait: Vec<WaitFor>,
    /// How long to wait (default: the run's timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// If this object exists and is not forge's, the cluster already provides what the
    /// manifest installs (e.g. k3s' own helm-controller): nothing is applied or deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless_present: Option<WaitFor>,
}

/// The state key recording that the cluster provides the manifest itself.
pub const PROVIDED: &str = "(provided by the cluster)";

/// Per object (`Kind/namespace/name`), the fields forge sets, as they are live.
pub type ManifestState = BTreeMap<String, BTreeMap<String, Value>>;

/// The `kube_manifest` kind. Clients and API discovery are cached per cluster, so the
/// manifests of one run share connections and look each kind up once.
#[derive(Clone, Default)]
pub struct KubeManifest {
    sessions: std::sync::Arc<tokio::sync::Mutex<HashMap<ClusterRef, Session>>>,
}

impl std::fmt::Debug for KubeManifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubeManifest")
    }
}

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

fn gvk_of(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((g, v)) => GroupVersionKind::gvk(g, v, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

/// Applies forge's label and annotation to an object.
fn stamp(obj: &Value, address: &str) -> Value {
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
fn secret_value(v: &Value, secrets: &Secrets) -> Result<String, SecretError> {
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
fn desired_projection(obj: &Value) -> BTreeMap<String, Value> {
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
fn live_projection(desired: &Value, live: &Value, secrets: &Secrets) -> BTreeMap<String, Value> {
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
fn order(obj: &Value) -> u8 {
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

#[derive(Clone)]
struct Session {
    client: kube::Client,
    resources: HashMap<(String, String), (ApiResource, bool)>,
}

impl Session {
    async fn api(
        &mut self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Api<DynamicObject>, ProviderError> {
        let key = (api_version.to_string(), kind.to_string());
        if !self.resources.contains_key(&key) {
            let gvk = gvk_of(api_version, kind);
            let (ar, caps) = retry(|| kube::discovery::pinned_kind(&self.client, &gvk))
                .await
                .map_err(|e| kube_error(&format!("discover {kind} in {api_version}"), e))?;
            self.resources
                .insert(key.clone(), (ar, caps.scope == Scope::Namespaced));
        }
        let (ar, namespaced) = &self.resources[&key];
        Ok(match (namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, ar),
            (true, None) => Api::default_namespaced_with(self.client.clone(), ar),
            (false, _) => Api::all_with(self.client.clone(), ar),
        })
    }

    fn resource(&self, api_version: &str, kind: &str) -> Option<ApiResource> {
        self.resources
            .get(&(api_version.to_string(), kind.to_string()))
            .map(|(ar, _)| ar.clone())
    }
}

fn parts(obj: &Value) -> (String, String, Option<String>, String) {
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
fn split_key(key: &str) -> (String, Option<String>, String) {
    let p: Vec<&str> = key.splitn(3, '/').collect();
    match p.as_slice() {
        [kind, ns, name] => (kind.to_string(), Some(ns.to_string()), name.to_string()),
        [kind, name] => (kind.to_string(), None, name.to_string()),
        _ => (key.to_string(), None, String::new()),
    }
}

impl KubeManifest {
    /// A session for `cluster`: the cached one, or a new one (not cached until it has
    /// been used successfully, so an unreachable cluster is retried next time).
    async fn session(&self, cluster: &ClusterRef) -> Result<Session, Unreachable> {
        if let Some(s) = self.sessions.lock().await.get(cluster) {
            return Ok(s.clone());
        }
        Ok(Session {
            client: client(cluster).await?,
            resources: HashMap::new(),
        })
    }

    async fn keep(&self, cluster: &ClusterRef, s: Session) {
        self.sessions.lock().await.insert(cluster.clone(), s);
    }

    async fn observe(
        &self,
        s: &mut Session,
        address: &str,
        spec: &ManifestSpec,
        prior: Option<&ManifestState>,
        secrets: &Secrets,
    ) -> Result<ManifestState, ProviderError> {
        let mut state = ManifestState::new();
        if let Some(sentinel) = &spec.unless_present {
            let api = s
                .api(
                    &sentinel.api_version,
                    &sentinel.kind,
                    sentinel.namespace.as_deref(),
                )
                .await?;
            if let Some(live) = retry(|| api.get_opt(&sentinel.name))
                .await
                .map_err(|e| kube_error(&format!("get {} {}", sentinel.kind, sentinel.name), e))?
            {
                let ours = live
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(MANAGED_BY.0))
                    .is_some_and(|v| v == MANAGED_BY.1);
                if !ours {
                    state.insert(
                        PROVIDED.into(),
                        BTreeMap::from([(
                            "object".to_string(),
                            json!(format!("{} {}", sentinel.kind, sentinel.name)),
                        )]),
                    );
                    return Ok(state);
                }
            }
        }
        for obj in &spec.objects {
            let desired = stamp(obj, address);
            let (av, kind, ns, name) = parts(&desired);
            let api = s.api(&av, &kind, ns.as_deref()).await?;
            if let Some(live) = retry(|| api.get_opt(&name))
                .await
                .map_err(|e| kube_error(&format!("get {}", object_key(&desired)), e))?
            {
                let live = serde_json::to_value(&live).unwrap_or(Value::Null);
                state.insert(
                    object_key(&desired),
                    live_projection(&desired, &live, secrets),
                );
            }
        }
        // Objects forge applied before that are no longer wanted: still there?
        let wanted: Vec<String> = spec.objects.iter().map(object_key).collect();
        for (key, fields) in prior.into_iter().flatten() {
            if wanted.contains(key) {
                continue;
            }
            let (kind, ns, name) = split_key(key);
            let av = fields
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("v1")
                .to_string();
            let api = s.api(&av, &kind, ns.as_deref()).await?;
            if retry(|| api.get_opt(&name))
                .await
                .map_err(|e| kube_error(&format!("get {key}"), e))?
                .is_some()
            {
                state.insert(
                    key.clone(),
                    BTreeMap::from([("apiVersion".to_string(), json!(av))]),
                );
            }
        }
        Ok(state)
    }

    async fn delete_object(
        s: &mut Session,
        av: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        wait: Duration,
    ) -> Result<(), ProviderError> {
        let api = s.api(av, kind, ns).await?;
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..Default::default()
        };
        match retry(|| api.delete(name, &dp)).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
            Err(e) => return Err(kube_error(&format!("delete {kind} {name}"), e)),
        }
        let start = std::time::Instant::now();
        while start.elapsed() < wait {
            if retry(|| api.get_opt(name))
                .await
                .map_err(|e| kube_error(&format!("get {kind} {name}"), e))?
                .is_none()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(ProviderError::Timeout {
            what: format!("{kind} {name} to be deleted"),
            after: wait,
        })
    }
}

fn unreachable_to_error(u: Unreachable) -> ProviderError {
    match u {
        Unreachable::NotYet(why) => {
            ProviderError::Refused(format!("the cluster is not reachable: {why}"))
        }
        Unreachable::Error(e) => e,
    }
}

impl Kind for KubeManifest {
    const KIND: &'static str = "kube_manifest";
    type Spec = ManifestSpec;
}

#[async_trait]
impl Resource for KubeManifest {
    type State = ManifestState;

    async fn read(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &ManifestSpec,
        prior: Option<&ManifestState>,
    ) -> Result<Observed<ManifestState>, ProviderError> {
        let mut s = match self.session(&spec.cluster).await {
            Ok(s) => s,
            Err(Unreachable::NotYet(why)) => return Ok(Observed::Unavailable(why)),
            Err(Unreachable::Error(e)) => return Err(e),
        };
        let address = format!("{}.{name}", Self::KIND);
        let observed = self
            .observe(&mut s, &address, spec, prior, &ctx.secrets)
            .await;
        if observed.is_ok() {
            self.keep(&spec.cluster, s).await;
        }
        match observed {
            Ok(state) if state.is_empty() => Ok(Observed::Absent),
            Ok(state) => Ok(Observed::Present(state)),
            // The cluster is being created or is down: nothing in it can be seen yet.
            Err(ProviderError::Api {
                status: None,
                message,
                ..
            }) if prior.is_none() => Ok(Observed::Unavailable(message)),
            Err(e) => Err(e),
        }
    }

    fn plan(&self, spec: &ManifestSpec, current: Option<&ManifestState>) -> Planned {
        // `address` is not known here; the stamp only adds fixed fields, so any address
        // gives the same shape of projection except the annotation's value.
        let mut after: serde_json::Map<String, Value> = spec
            .objects
            .iter()
            .map(|o| {
                (
                    object_key(o),
                    json!(
                        desired_projection(&stamp(o, ""))
                            .into_iter()
                            .filter(|(k, _)| !k.contains(ADDRESS_ANNOTATION))
                            .collect::<BTreeMap<_, _>>()
                    ),
                )
            })
            .collect();
        if let Some(provided) = current.and_then(|c| c.get(PROVIDED)) {
            // Nothing to manage: read only, like an existing cluster.
            return Planned {
                action: Action::Read,
                after: json!({PROVIDED: provided}),
                reasons: vec![],
            };
        }
        let Some(cur) = current else {
            // A new manifest shows one line per object; field-level detail is for changes.
            let summary: serde_json::Map<String, Value> = spec
                .objects
                .iter()
                .map(|o| (object_key(o), o["apiVersion"].clone()))
                .collect();
            return Planned {
                action: Action::Create,
                after: Value::Object(summary),
                reasons: vec![],
            };
        };
        for key in cur.keys() {
            if !after.contains_key(key) {
                after.insert(key.clone(), Value::Null);
            }
        }
        let current_view: serde_json::Map<String, Value> = cur
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    json!(
                        v.iter()
                            .filter(|(p, _)| !p.contains(ADDRESS_ANNOTATION))
                            .collect::<BTreeMap<_, _>>()
                    ),
                )
            })
            .collect();
        let action = if Value::Object(current_view) == Value::Object(after.clone()) {
            Action::NoOp
        } else {
            Action::Update
        };
        Planned {
            action,
            after: Value::Object(after),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &ManifestSpec,
        current: Option<&ManifestState>,
        _: Action,
    ) -> Result<ManifestState, ProviderError> {
        if let Some(cur) = current.filter(|c| c.contains_key(PROVIDED)) {
            return Ok(cur.clone());
        }
        let mut s = self
            .session(&spec.cluster)
            .await
            .map_err(unreachable_to_error)?;
        let address = format!("{}.{name}", Self::KIND);
        let timeout = spec
            .timeout_seconds
            .map(Duration::from_secs)
            .unwrap_or(ctx.timeout);
        let deadline = std::time::Instant::now() + timeout;
        let mut objects: Vec<Value> = spec.objects.iter().map(|o| stamp(o, &address)).collect();
        objects.sort_by_key(order);
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        for desired in &objects {
            let mut obj = desired.clone();
            if let Some(Value::Object(sd)) = obj.get_mut("stringData") {
                for v in sd.values_mut() {
                    *v = Value::String(secret_value(v, &ctx.secrets)?);
                }
            }
            let (av, kind, ns, oname) = parts(&obj);
            let api = s.api(&av, &kind, ns.as_deref()).await?;
            let patch = Patch::Apply(&obj);
            match retry(|| api.patch(&oname, &pp, &patch)).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 422 && kind == "Job" => {
                    // A Job's template cannot change: run it again as a new Job.
                    Self::delete_object(&mut s, &av, &kind, ns.as_deref(), &oname, timeout).await?;
                    let api = s.api(&av, &kind, ns.as_deref()).await?;
                    retry(|| api.patch(&oname, &pp, &patch))
                        .await
                        .map_err(|e| kube_error(&format!("apply {}", object_key(&obj)), e))?;
                }
                Err(e) => return Err(kube_error(&format!("apply {}", object_key(&obj)), e)),
            }
        }
        let wanted: Vec<String> = objects.iter().map(object_key).collect();
        for (key, fields) in current.into_iter().flatten() {
            if !wanted.contains(key) {
                let (kind, ns, oname) = split_key(key);
                let av = fields
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("v1")
                    .to_string();
                Self::delete_object(&mut s, &av, &kind, ns.as_deref(), &oname, timeout).await?;
            }
        }
        for w in &spec.wait {
            s.api(&w.api_version, &w.kind, w.namespace.as_deref())
                .await?;
            let ar = s
                .resource(&w.api_version, &w.kind)
                .ok_or_else(|| ProviderError::Refused(format!("unknown kind {}", w.kind)))?;
            let left = deadline
                .saturating_duration_since(std::time::Instant::now())
                .max(Duration::from_secs(1));
            wait_ready(&s.client, &ar, w, left).await?;
        }
        self.observe(&mut s, &address, spec, None, &ctx.secrets)
            .await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ManifestSpec,
        state: &ManifestState,
    ) -> Result<(), ProviderError> {
        if state.contains_key(PROVIDED) {
            return Ok(());
        }
        let mut s = match self.session(&spec.cluster).await {
            Ok(s) => s,
            // The cluster is gone (deleted first, or never made): so is everything in it.
            Err(Unreachable::NotYet(_)) => return Ok(()),
            Err(Unreachable::Error(e)) => return Err(e),
        };
        let mut objects: Vec<(u8, String, String, Option<String>, String)> = Vec::new();
        for o in &spec.objects {
            let (av, kind, ns, name) = parts(o);
            objects.push((order(o), av, kind, ns, name));
        }
        for (key, fields) in state {
            if spec.objects.iter().any(|o| &object_key(o) == key) {
                continue;
            }
            let (kind, ns, name) = split_key(key);
            let av = fields
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("v1")
                .to_string();
            objects.push((order(&json!({"kind": kind})), av, kind, ns, name));
        }
        objects.sort_by_key(|o| std::cmp::Reverse(o.0));
        for (_, av, kind, ns, name) in objects {
            Self::delete_object(&mut s, &av, &kind, ns.as_deref(), &name, ctx.timeout).await?;
        }
        Ok(())
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

    #[test]
    fn plan_shows_changed_and_pruned_objects() {
        let spec = ManifestSpec {
            cluster: ClusterRef::default(),
            objects: vec![deployment("nginx:2")],
            wait: vec![],
            timeout_seconds: None,
            unless_present: None,
        };
        let r = KubeManifest::default();
        assert_eq!(r.plan(&spec, None).action, Action::Create);
        let mut in_sync = ManifestState::new();
        in_sync.insert(
            object_key(&spec.objects[0]),
            desired_projection(&stamp(&spec.objects[0], "kube_manifest.x")),
        );
        assert_eq!(r.plan(&spec, Some(&in_sync)).action, Action::NoOp);
        let mut extra = in_sync.clone();
        extra.insert(
            "ConfigMap/demo/old".into(),
            BTreeMap::from([("apiVersion".to_string(), json!("v1"))]),
        );
        let p = r.plan(&spec, Some(&extra));
        assert_eq!(p.action, Action::Update);
        assert_eq!(p.after["ConfigMap/demo/old"], Value::Null);
        let provided = ManifestState::from([(
            PROVIDED.to_string(),
            BTreeMap::from([(
                "object".to_string(),
                json!("CustomResourceDefinition helmcharts.helm.cattle.io"),
            )]),
        )]);
        assert_eq!(
            r.plan(&spec, Some(&provided)).action,
            Action::Read,
            "what the cluster provides is only read"
        );
    }
}
