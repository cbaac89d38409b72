//! Reading and deleting a manifest's objects in the cluster: [`KubeManifest::observe`]
//! projects the live objects (and those forge applied before that have left the set),
//! [`KubeManifest::delete_object`] deletes one and waits until it is gone.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::api::{DeleteParams, PropagationPolicy};
use serde_json::{Value, json};

use super::super::client::{kube_error, retry};
use super::projection::{live_projection, object_key, parts, split_key, stamp};
use super::session::Session;
use super::{KubeManifest, MANAGED_BY, ManifestSpec, ManifestState, PROVIDED};
use crate::provider::ProviderError;
use crate::providers::retry::Backoff;
use crate::secret::Secrets;

impl KubeManifest {
    pub(super) async fn observe(
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

    pub(super) async fn delete_object(
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
        let gone = Backoff::default()
            .poll(wait, || async {
                match retry(|| api.get_opt(name)).await {
                    Ok(None) => Some(Ok(())),
                    Ok(Some(_)) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .await;
        match gone {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(kube_error(&format!("get {kind} {name}"), e)),
            Err(after) => Err(ProviderError::Timeout {
                what: format!("{kind} {name} to be deleted"),
                after,
            }),
        }
    }
}
