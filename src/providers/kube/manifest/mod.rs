//! `kube_manifest`: a set of Kubernetes objects that forge owns together.
//!
//! Applied with server-side apply (field manager `forge`, forced), labelled
//! `app.kubernetes.io/managed-by: forge` and annotated with the forge address. State keeps,
//! per object, the fields forge sets as the live cluster has them ([`projection`]), so a
//! hand edit shows as drift and a changed forge.yaml as exactly the fields that change.
//! Objects that leave the set are pruned. A Job whose template changed is deleted and
//! created again (Job templates are immutable). Clients and discovery are cached per
//! cluster ([`session`]); reading and deleting live objects is in [`objects`].

mod objects;
mod projection;
mod session;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use kube::api::{Patch, PatchParams};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use projection::object_key;

use super::client::{ClusterRef, Unreachable, kube_error, retry};
use super::wait::{WaitFor, wait_ready};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
use projection::{desired_projection, order, parts, secret_value, split_key, stamp};
use session::Session;

/// The field manager forge applies with.
pub const FIELD_MANAGER: &str = "forge";
/// The label marking objects as forge's.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "forge");
/// The annotation naming the forge address that owns an object.
pub const ADDRESS_ANNOTATION: &str = "forge.dev/address";

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

fn unreachable_to_error(u: Unreachable) -> ProviderError {
    match u {
        Unreachable::NotYet(why) => ProviderError::NotReady {
            what: "the cluster".into(),
            reason: why,
        },
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
            Err(e) if e.is_unreachable() && prior.is_none() => {
                Ok(Observed::Unavailable(crate::render::error_chain(&e)))
            }
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
                .expect("`api` above looked the kind up and cached it");
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
    use projection::object_key;

    fn deployment(image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo"}, "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
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
