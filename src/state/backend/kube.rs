//! [`KubeBackend`]: the state in a Kubernetes Secret, `forge-state-<name>`, in a
//! namespace of a kubeconfig context; locked with the Lease `forge-lock-<name>`
//! ([`super::kube_lease`]).
//!
//! A Secret holds at most 1 MiB, so a larger state is cut in chunks: the first in the
//! Secret itself, the rest in Secrets `forge-state-<name>-<generation>-<i>` that the
//! main Secret names in its `forge.dev/parts` annotation. A write creates the new
//! generation's chunks first, then replaces the main Secret with the
//! `resourceVersion` it read (a concurrent writer gets `409 Conflict` and changes
//! nothing), then deletes the old chunks: a reader always sees one whole generation.
//! The version a run replaces is kept the same way in `forge-state-<name>-backup`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, PostParams};

use super::runtime::Runtime;
use super::s3::CALL_LIMIT;
use super::{BackendError, BackendSpec, Expect, LockRecord, RunLock, StateBackend, Stored};
use crate::providers::kube::client::{Unreachable, client, kube_error};
use crate::state::lock::{LockError, LockHolder};

/// Bytes of state per Secret: half the 1 MiB limit, leaving room for the rest of the object.
pub const CHUNK: usize = 512 * 1024;
const PARTS: &str = "forge.dev/parts";
const PART_OF: &str = "forge.dev/part-of";

/// A state Secret and its Lease.
#[derive(Debug)]
pub struct KubeBackend {
    inner: Arc<Inner>,
    rt: Arc<Runtime>,
}

/// What the lock and the state share.
pub(super) struct Inner {
    pub client: kube::Client,
    pub namespace: String,
    pub name: String,
    pub lease: Duration,
    pub location: String,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.location)
    }
}

impl KubeBackend {
    /// Builds the client for `spec` (a [`BackendSpec::Kubernetes`]) on a runtime of its own.
    pub fn open(spec: &BackendSpec) -> Result<Self, BackendError> {
        let BackendSpec::Kubernetes {
            cluster,
            namespace,
            name,
            lease,
        } = spec
        else {
            return Err(BackendError::Refused {
                location: "kubernetes".into(),
                message: "not a Kubernetes backend".into(),
            });
        };
        let location = format!("kubernetes secret {namespace}/forge-state-{name}");
        let rt = Runtime::new("kube-state", &location)?;
        let (cluster, loc) = (cluster.clone(), location.clone());
        let client = rt.block(CALL_LIMIT, async move {
            client(&cluster).await.map_err(|e| match e {
                Unreachable::NotYet(why) => BackendError::Refused {
                    location: loc.clone(),
                    message: why,
                },
                Unreachable::Error(p) => BackendError::request("connect to", &loc, p),
            })
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                namespace: namespace.clone(),
                name: name.clone(),
                lease: *lease,
                location,
            }),
            rt: Arc::new(rt),
        })
    }

    fn call<T, F, Fut>(&self, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: std::future::Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        self.rt.block(CALL_LIMIT, f(self.inner.clone()))
    }
}

impl Inner {
    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn main_name(&self) -> String {
        format!("forge-state-{}", self.name)
    }

    fn backup_name(&self) -> String {
        format!("forge-state-{}-backup", self.name)
    }

    fn err(&self, op: &'static str, e: kube::Error) -> BackendError {
        BackendError::request(op, &self.location, kube_error(op, e))
    }

    /// The blob stored under `base` (all its chunks), with the main Secret's `resourceVersion`.
    async fn read_blob(&self, base: &str) -> Result<Option<Stored>, BackendError> {
        let api = self.secrets();
        let Some(main) = api.get_opt(base).await.map_err(|e| self.err("read", e))? else {
            return Ok(None);
        };
        let version = main.metadata.resource_version.clone().unwrap_or_default();
        let mut bytes = chunk_of(&main, "state");
        if let Some((generation, n)) = parts(&main) {
            for i in 1..n {
                let part = api
                    .get(&format!("{base}-{generation}-{i}"))
                    .await
                    .map_err(|e| self.err("read a chunk of", e))?;
                bytes.extend(chunk_of(&part, "chunk"));
            }
        }
        Ok(Some(Stored { bytes, version }))
    }

    /// Writes `bytes` under `base`, conditional on `expect`; returns the new `resourceVersion`.
    async fn write_blob(
        &self,
        base: &str,
        bytes: &[u8],
        expect: Expect<'_>,
    ) -> Result<String, BackendError> {
        let api = self.secrets();
        let chunks: Vec<&[u8]> = if bytes.is_empty() {
            vec![bytes]
        } else {
            bytes.chunks(CHUNK).collect()
        };
        let generation = {
            let mut b = [0u8; 4];
            rand::Rng::fill(&mut rand::rng(), &mut b);
            hex::encode(b)
        };
        for (i, chunk) in chunks.iter().enumerate().skip(1) {
            let part = secret(
                &format!("{base}-{generation}-{i}"),
                "chunk",
                chunk,
                [(PART_OF.to_string(), base.to_string())].into(),
                BTreeMap::new(),
            );
            api.create(&PostParams::default(), &part)
                .await
                .map_err(|e| self.err("write a chunk of", e))?;
        }
        let mut annotations = BTreeMap::new();
        if chunks.len() > 1 {
            annotations.insert(PARTS.to_string(), format!("{generation}:{}", chunks.len()));
        }
        let mut main = secret(base, "state", chunks[0], BTreeMap::new(), annotations);
        let current = match expect {
            Expect::Any => api.get_opt(base).await.map_err(|e| self.err("read", e))?,
            _ => None,
        };
        let result = match (expect, &current) {
            (Expect::Absent, _) | (Expect::Any, None) => {
                api.create(&PostParams::default(), &main).await
            }
            (Expect::Version(v), _) => {
                main.metadata.resource_version = Some(v.to_string());
                api.replace(base, &PostParams::default(), &main).await
            }
            (Expect::Any, Some(c)) => {
                main.metadata.resource_version = c.metadata.resource_version.clone();
                api.replace(base, &PostParams::default(), &main).await
            }
        };
        let written = match result {
            Ok(s) => s,
            Err(e) => {
                self.delete_parts(base, Some(&generation), true).await;
                return Err(match e {
                    kube::Error::Api(s) if s.code == 409 || s.code == 404 => {
                        BackendError::Conflict {
                            location: self.location.clone(),
                        }
                    }
                    e => self.err("write", e),
                });
            }
        };
        self.delete_parts(base, Some(&generation), false).await;
        Ok(written.metadata.resource_version.unwrap_or_default())
    }

    /// Deletes the chunks of `base`: those of other generations than `keep` (or, with
    /// `only`, those of `keep` itself). Best effort: a leftover chunk is deleted next time.
    async fn delete_parts(&self, base: &str, keep: Option<&str>, only: bool) {
        let api = self.secrets();
        let Ok(list) = api
            .list(&ListParams::default().labels(&format!("{PART_OF}={base}")))
            .await
        else {
            return;
        };
        for s in list.items {
            let name = s.metadata.name.unwrap_or_default();
            let of_keep = keep.is_some_and(|g| name.starts_with(&format!("{base}-{g}-")));
            if of_keep == only {
                let _ = api.delete(&name, &DeleteParams::default()).await;
            }
        }
    }
}

fn secret(
    name: &str,
    key: &str,
    bytes: &[u8],
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Secret {
    let mut labels = labels;
    labels.insert("app.kubernetes.io/managed-by".into(), "forge".into());
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            annotations: Some(annotations).filter(|a| !a.is_empty()),
            ..Default::default()
        },
        type_: Some("forge.dev/state".into()),
        data: Some([(key.to_string(), ByteString(bytes.to_vec()))].into()),
        ..Default::default()
    }
}

fn chunk_of(s: &Secret, key: &str) -> Vec<u8> {
    s.data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.clone())
        .unwrap_or_default()
}

fn parts(s: &Secret) -> Option<(String, usize)> {
    let v = s.metadata.annotations.as_ref()?.get(PARTS)?;
    let (g, n) = v.split_once(':')?;
    Some((g.to_string(), n.parse().ok()?))
}

impl StateBackend for KubeBackend {
    fn location(&self) -> String {
        self.inner.location.clone()
    }

    fn lock(&self, holder: &LockHolder, timeout: Duration) -> Result<Box<dyn RunLock>, LockError> {
        let lock = super::kube_lease::LeaseLock::acquire(
            self.inner.clone(),
            self.rt.clone(),
            holder.clone(),
            timeout,
        )?;
        Ok(Box::new(lock))
    }

    fn read(&self) -> Result<Option<Stored>, BackendError> {
        self.call(|i| async move { i.read_blob(&i.main_name()).await })
    }

    fn write(&self, bytes: &[u8], expect: Expect<'_>) -> Result<String, BackendError> {
        let bytes = bytes.to_vec();
        let expect = match expect {
            Expect::Absent => Owned::Absent,
            Expect::Version(v) => Owned::Version(v.to_string()),
            Expect::Any => Owned::Any,
        };
        self.call(|i| async move { i.write_blob(&i.main_name(), &bytes, expect.borrow()).await })
    }

    fn keep_previous(&self, previous: &Stored) -> Result<(), BackendError> {
        let bytes = previous.bytes.clone();
        self.call(|i| async move {
            i.write_blob(&i.backup_name(), &bytes, Expect::Any)
                .await
                .map(|_| ())
        })
    }

    fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        self.call(|i| async move { Ok(i.read_blob(&i.backup_name()).await?.map(|s| s.bytes)) })
    }

    fn lock_record(&self) -> Result<Option<LockRecord>, BackendError> {
        self.call(|i| async move { super::kube_lease::read_record(&i).await })
    }

    fn force_unlock(&self, id: &str) -> Result<LockRecord, BackendError> {
        let id = id.to_string();
        self.call(|i| async move { super::kube_lease::force_unlock(&i, &id).await })
    }
}

/// [`Expect`] owned, to move into a task.
enum Owned {
    Absent,
    Version(String),
    Any,
}

impl Owned {
    fn borrow(&self) -> Expect<'_> {
        match self {
            Owned::Absent => Expect::Absent,
            Owned::Version(v) => Expect::Version(v),
            Owned::Any => Expect::Any,
        }
    }
}
