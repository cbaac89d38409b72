//! [`Session`]: one cluster's client and what API discovery found, cached per cluster by
//! [`KubeManifest`] so the manifests of one run share connections and look each kind
//! up once.

use std::collections::HashMap;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::Scope;

use super::super::client::{ClusterRef, Unreachable, client, kube_error, retry};
use super::KubeManifest;
use crate::provider::ProviderError;

fn gvk_of(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((g, v)) => GroupVersionKind::gvk(g, v, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

/// A client and the kinds it has looked up: `(apiVersion, kind)` → (resource, namespaced).
#[derive(Clone)]
pub(super) struct Session {
    pub(super) client: kube::Client,
    resources: HashMap<(String, String), (ApiResource, bool)>,
}

impl Session {
    pub(super) async fn api(
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

    pub(super) fn resource(&self, api_version: &str, kind: &str) -> Option<ApiResource> {
        self.resources
            .get(&(api_version.to_string(), kind.to_string()))
            .map(|(ar, _)| ar.clone())
    }
}

impl KubeManifest {
    /// A session for `cluster`: the cached one, or a new one (not cached until it has
    /// been used successfully, so an unreachable cluster is retried next time).
    pub(super) async fn session(&self, cluster: &ClusterRef) -> Result<Session, Unreachable> {
        if let Some(s) = self.sessions.lock().await.get(cluster) {
            return Ok(s.clone());
        }
        Ok(Session {
            client: client(cluster).await?,
            resources: HashMap::new(),
        })
    }

    pub(super) async fn keep(&self, cluster: &ClusterRef, s: Session) {
        self.sessions.lock().await.insert(cluster.clone(), s);
    }
}
