//! Building kube clients from a kubeconfig file and context, and waiting for an API server.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;

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
        Unreachable::Error(ProviderError::Api {
            operation: format!("read kubeconfig {}", path.display()),
            message: crate::render::error_chain(&e),
            status: None,
        })
    })?;
    let options = KubeConfigOptions {
        context: cluster.context.clone(),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| {
            Unreachable::Error(ProviderError::Api {
                operation: format!(
                    "load context {} from {}",
                    cluster.context.as_deref().unwrap_or("(current)"),
                    path.display()
                ),
                message: crate::render::error_chain(&e),
                status: None,
            })
        })?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(60));
    kube::Client::try_from(config).map_err(|e| Unreachable::Error(kube_error("create a client", e)))
}

/// A kube error as a provider error.
pub fn kube_error(operation: &str, e: kube::Error) -> ProviderError {
    let status = match &e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    };
    let message = match &e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.reason),
        other => crate::render::error_chain(other),
    };
    ProviderError::Api {
        operation: operation.to_string(),
        message,
        status,
    }
}

/// Whether a kube error means the server could not be reached at all.
pub fn is_connection_error(e: &kube::Error) -> bool {
    !matches!(e, kube::Error::Api(_))
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
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let last;
        match client(&cluster).await {
            Ok(c) => {
                match tokio::time::timeout(Duration::from_secs(10), c.apiserver_version()).await {
                    Ok(Ok(_)) => return Ok(()),
                    Ok(Err(e)) => last = crate::render::error_chain(&e),
                    Err(_) => last = "no answer within 10s".into(),
                }
            }
            Err(Unreachable::NotYet(why)) => last = why,
            Err(Unreachable::Error(e)) => last = crate::render::error_chain(&e),
        }
        if start.elapsed() + delay > timeout {
            return Err(ProviderError::Timeout {
                what: format!("the API server in {} ({last})", kubeconfig.display()),
                after: start.elapsed(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
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

/// Runs `f` until it succeeds, fails for good, or five tries are spent (backing off
/// 250 ms, 500 ms, 1 s, 2 s).
pub async fn retry<T, F, Fut>(mut f: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut delay = Duration::from_millis(250);
    let mut tries = 1;
    loop {
        match f().await {
            Err(e) if tries < 5 && is_transient(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                tries += 1;
            }
            other => return other,
        }
    }
}
