//! `kube_context`: an existing cluster forge uses but never creates or deletes (a data
//! source, shown as `<=` in plans). Reading it proves the context exists and answers.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{ClusterRef, Unreachable, client, kube_error};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// Which context.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContextSpec {
    /// Context name.
    pub context: String,
    /// kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`).
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
}

/// What was found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContextState {
    /// Context name.
    pub context: String,
    /// The API server's version.
    pub server_version: String,
}

/// The `kube_context` kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct KubeContext;

impl Kind for KubeContext {
    const KIND: &'static str = "kube_context";
    type Spec = ContextSpec;
}

#[async_trait]
impl Resource for KubeContext {
    type State = ContextState;

    async fn read(
        &self,
        _: &Ctx,
        _: &str,
        spec: &ContextSpec,
        _: Option<&ContextState>,
    ) -> Result<Observed<ContextState>, ProviderError> {
        let cluster = ClusterRef {
            kubeconfig: spec.kubeconfig.clone(),
            context: Some(spec.context.clone()),
        };
        let c = client(&cluster).await.map_err(|u| match u {
            Unreachable::NotYet(why) => ProviderError::NotReady {
                what: format!("context `{}`", spec.context),
                reason: why,
            },
            Unreachable::Error(e) => e,
        })?;
        let v = c.apiserver_version().await.map_err(|e| {
            kube_error(
                &format!("reach the API server of context `{}`", spec.context),
                e,
            )
        })?;
        Ok(Observed::Present(ContextState {
            context: spec.context.clone(),
            server_version: v.git_version,
        }))
    }

    fn plan(&self, spec: &ContextSpec, current: Option<&ContextState>) -> Planned {
        let after = match current {
            Some(c) => json!(c),
            None => json!({"context": spec.context}),
        };
        Planned {
            action: Action::Read,
            after,
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        _: &Ctx,
        _: &str,
        spec: &ContextSpec,
        current: Option<&ContextState>,
        _: Action,
    ) -> Result<ContextState, ProviderError> {
        current.cloned().ok_or_else(|| ProviderError::NotReady {
            what: format!("context `{}`", spec.context),
            reason: "it could not be read".into(),
        })
    }

    async fn delete(
        &self,
        _: &Ctx,
        _: &str,
        _: &ContextSpec,
        _: &ContextState,
    ) -> Result<(), ProviderError> {
        // forge never deletes a cluster it did not create.
        Ok(())
    }
}
