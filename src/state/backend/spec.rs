//! [`BackendSpec`]: forge.yaml's `backend:` section resolved against the work dir
//! (paths absolute, secrets as references, defaults filled in), and how to open it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{BackendError, StateBackend};
use crate::config::Config;
use crate::config::model::{self, SecretRef};
use crate::providers::aws::client::StoreSpec;
use crate::providers::kube::client::ClusterRef;
use crate::secret::SecretSpec;

/// The lease when forge.yaml gives none.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Where the state lives, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendSpec {
    /// A file, locked with an OS lock on `lock`.
    Local {
        /// The state file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// An S3 object.
    S3 {
        /// The store and its credentials.
        store: StoreSpec,
        /// The bucket.
        bucket: String,
        /// The state's key.
        key: String,
        /// How long a lock lives without a heartbeat.
        lease: Duration,
        /// Run on a store that ignores conditional writes.
        allow_unsafe_locking: bool,
    },
    /// A Kubernetes Secret.
    Kubernetes {
        /// Kubeconfig and context.
        cluster: ClusterRef,
        /// The namespace.
        namespace: String,
        /// Suffix of the Secret and Lease names.
        name: String,
        /// How long the Lease lives without renewal.
        lease: Duration,
    },
}

/// Encryption at rest: where the passphrase comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionSpec {
    /// The passphrase, by reference.
    pub passphrase: SecretSpec,
    /// How forge.yaml names it (`env FORGE_STATE_PASSPHRASE`), kept in the state's
    /// readable header so a reader knows which passphrase it needs.
    pub label: String,
}

impl BackendSpec {
    /// The state of a work dir, as before backends: `.forge/state.json`, locked on `.forge/state.lock`.
    pub fn default_local(work_dir: &Path) -> Self {
        let dir = work_dir.join(".forge");
        Self::Local {
            path: dir.join("state.json"),
            lock: dir.join("state.lock"),
        }
    }

    /// The backend and encryption forge.yaml asks for (its problems, if any, are
    /// reported with the config's).
    pub fn from_config(config: &Config) -> (Self, Option<EncryptionSpec>) {
        let section = config.file.backend.clone().unwrap_or_default();
        let work_dir = &config.work_dir;
        let encryption = section.encryption.as_ref().map(|e| EncryptionSpec {
            passphrase: secret(&e.passphrase, work_dir),
            label: label(&e.passphrase),
        });
        let spec = if let Some(s3) = &section.s3 {
            let s3 = &s3.value;
            Self::S3 {
                store: StoreSpec {
                    endpoint: s3.endpoint.clone(),
                    region: s3.region.clone(),
                    profile: s3.profile.clone(),
                    path_style: s3.path_style,
                    access_key: s3.access_key.as_ref().map(|r| secret(r, work_dir)),
                    secret_key: s3.secret_key.as_ref().map(|r| secret(r, work_dir)),
                },
                bucket: s3.bucket.clone(),
                key: s3.key.clone(),
                lease: lease(s3.lease_seconds),
                allow_unsafe_locking: s3.allow_unsafe_locking,
            }
        } else if let Some(k) = &section.kubernetes {
            let k = &k.value;
            Self::Kubernetes {
                cluster: ClusterRef {
                    kubeconfig: k.kubeconfig.as_ref().map(|p| work_dir.join(p)),
                    context: k.context.clone(),
                },
                namespace: k.namespace.clone().unwrap_or_else(|| "default".into()),
                name: dns_label(k.name.as_deref().unwrap_or(&config.names.project)),
                lease: lease(k.lease_seconds),
            }
        } else if let Some(model::LocalBackend { path: Some(p) }) =
            section.local.as_ref().map(|l| &l.value)
        {
            let path = work_dir.join(p);
            let mut lock = path.clone().into_os_string();
            lock.push(".lock");
            Self::Local {
                path,
                lock: PathBuf::from(lock),
            }
        } else {
            Self::default_local(work_dir)
        };
        (spec, encryption)
    }

    /// Connects to it (remote backends start their runtime and build their client; no
    /// request is made yet).
    pub fn open(&self) -> Result<Arc<dyn StateBackend>, BackendError> {
        Ok(match self {
            Self::Local { path, lock } => Arc::new(super::local::LocalBackend::new(path, lock)),
            Self::S3 { .. } => Arc::new(super::s3::S3Backend::open(self)?),
            Self::Kubernetes { .. } => Arc::new(super::kube::KubeBackend::open(self)?),
        })
    }
}

fn lease(seconds: Option<u32>) -> Duration {
    seconds.map_or(DEFAULT_LEASE, |s| Duration::from_secs(u64::from(s.max(3))))
}

fn secret(r: &SecretRef, work_dir: &Path) -> SecretSpec {
    match r {
        SecretRef::Env(n) => SecretSpec::Env(n.clone()),
        SecretRef::File(p) => SecretSpec::File(work_dir.join(p)),
        // Refused by the config check; an unset variable if it ever got here.
        SecretRef::Generate(_) => SecretSpec::Env(String::new()),
    }
}

/// How forge.yaml names a secret, e.g. `env FORGE_STATE_PASSPHRASE`.
pub fn label(r: &SecretRef) -> String {
    match r {
        SecretRef::Env(n) => format!("env {n}"),
        SecretRef::File(p) => format!("file {p}"),
        SecretRef::Generate(_) => "a generated secret".into(),
    }
}

/// `name` as a DNS label part: lowercase letters, digits and `-`.
fn dns_label(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "forge".into()
    } else {
        s.chars().take(40).collect()
    }
}
