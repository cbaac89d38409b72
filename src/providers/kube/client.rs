//! Building kube clients from a kubeconfig file and context, and waiting for an API server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;
use crate::providers::retry::Backoff;

/// Which cluster: a kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`) and a context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct ClusterRef {
    /// The kubeconfig file.
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// The context (default: the file's current context).
    #[serde(default)]
    pub context: Option<String>,
}

/// Why there is no client.
#[derive(Debug)]
pub enum Unreachable {
    /// The kubeconfig does not exist yet (the cluster is not created): nothing can exist in it.
    NotYet(String),
    /// A real problem.
    Error(ProviderError),
}

/// A client for `cluster`.
pub async fn client(cluster: &ClusterRef) -> Result<kube::Client, Unreachable> {
    let path = match &cluster.kubeconfig {
        Some(p) => p.clone(),
        None => match std::env::var_os("KUBECONFIG") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".kube/config"),
        },
    };
    if !path.exists() {
        return Err(Unreachable::NotYet(format!(
            "kubeconfig `{}` does not exist yet",
            path.display()
        )));
    }
    let kc = Kubeconfig::read_from(&path).map_err(|e| {
        Unreachable::Error(ProviderError::Client {
            operation: format!("read kubeconfig {}", path.display()),
            source: Box::new(e),
        })
    })?;
    let options = KubeConfigOptions {
        context: cluster.context.clone(),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| {
            Unreachable::Error(ProviderError::Client {
                operation: format!(
                    "load context {} from {}",
                    cluster.context.as_deref().unwrap_or("(current)"),
                    path.display()
                ),
                source: Box::new(e),
            })
        })?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(60));
    kube::Client::try_from(config).map_err(|e| Unreachable::Error(kube_error("create a client", e)))
}

/// A kube error as a provider error: the API server's status, reason and message; a
/// connection that failed as unreachable; anything else with its cause.
pub fn kube_error(operation: &str, e: kube::Error) -> ProviderError {
    match e {
        kube::Error::Api(s) => {
            let hint = match s.code {
                401 => Some("the kubeconfig's credentials are not accepted: refresh them, or pick another context".into()),
                403 => Some(format!("the kubeconfig's user may not do this ({operation}): ask for a role that allows it")),
                // Discovery of a group/version the server does not serve (a plain-text
                // "404 page not found"), or a resource type it does not know.
                404 if operation.starts_with("discover")
                    || s.message.contains("page not found")
                    || s.message.contains("could not find the requested resource") =>
                {
                    Some("the cluster does not serve this kind: is its CustomResourceDefinition installed?".into())
                }
                _ => None,
            };
            ProviderError::Api {
                operation: operation.to_string(),
                status: Some(s.code),
                // A reason is a CamelCase word (`Forbidden`); kube-rs puts its own
                // sentence there when the body was not a Status.
                code: Some(s.reason).filter(|r| !r.is_empty() && !r.contains(' ')),
                message: s.message,
                hint,
            }
        }
        e if is_connection_error(&e) => ProviderError::Unreachable {
            operation: operation.to_string(),
            endpoint: "the Kubernetes API server".into(),
            reason: crate::render::error_chain(&e),
            hint: Some("is the cluster running? `kubectl cluster-info` shows what the kubeconfig points at".into()),
        },
        e => ProviderError::Client {
            operation: operation.to_string(),
            source: Box::new(e),
        },
    }
}

/// Whether a kube error means the server could not be reached at all.
pub fn is_connection_error(e: &kube::Error) -> bool {
    matches!(e, kube::Error::HyperError(_) | kube::Error::Service(_))
}

/// Waits until the API server of the kubeconfig answers, up to `timeout`, backing off
/// from 250 ms to 5 s between tries.
pub async fn wait_for_api(
    kubeconfig: &Path,
    context: Option<&str>,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let cluster = ClusterRef {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: context.map(str::to_string),
    };
    let last = std::sync::Mutex::new(String::new());
    let (cluster, last_seen) = (&cluster, &last);
    let answered = Backoff::default()
        .poll(timeout, || async move {
            let why = match client(cluster).await {
                Ok(c) => match tokio::time::timeout(Duration::from_secs(10), c.apiserver_version())
                    .await
                {
                    Ok(Ok(_)) => return Some(()),
                    Ok(Err(e)) => crate::render::error_chain(&e),
                    Err(_) => "no answer within 10s".into(),
                },
                Err(Unreachable::NotYet(why)) => why,
                Err(Unreachable::Error(e)) => crate::render::error_chain(&e),
            };
            *last_seen.lock().unwrap_or_else(|e| e.into_inner()) = why;
            None
        })
        .await;
    answered.map_err(|after| ProviderError::Timeout {
        what: format!(
            "the API server in {} ({})",
            kubeconfig.display(),
            last.lock().unwrap_or_else(|e| e.into_inner())
        ),
        after,
    })
}

/// Whether a kube error is worth retrying: the connection failed or the server said it
/// is busy or broken (429, 5xx).
pub fn is_transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 429 || s.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Runs `f` with the shared [`Backoff`], retrying errors worth another try
/// ([`is_transient`]).
pub async fn retry<T, F, Fut>(f: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    Backoff::default().retry(is_transient, f).await
}
