//! The Kubernetes run lock: the `coordination.k8s.io/v1` Lease `forge-lock-<name>`,
//! the way Kubernetes' own leader election uses one. `holderIdentity` is the lock ID,
//! the `forge.dev/holder` annotation names the holder (pid, host, command, start);
//! `renewTime` is renewed every third of `leaseDurationSeconds` while the run lasts.
//!
//! Every change is a replace with the `resourceVersion` read, so of two runs one wins.
//! A Lease not renewed within its duration has expired: its holder is dead, and the
//! next run takes it over by itself (no force-unlock needed, unlike the S3 lock whose
//! heartbeat forge cannot tell apart from a slow holder without a server clock).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams, Preconditions};
use tokio_util::sync::CancellationToken;

use super::kube::Inner;
use super::runtime::Runtime;
use super::s3::CALL_LIMIT;
use super::{BackendError, LockRecord, RunLock};
use crate::state::lock::{LockError, LockHolder};

const HOLDER: &str = "forge.dev/holder";

/// A held Lease, renewed until released or dropped.
#[derive(Debug)]
pub struct LeaseLock {
    inner: Arc<Inner>,
    rt: Arc<Runtime>,
    id: String,
    version: Arc<Mutex<String>>,
    lost: Arc<Mutex<Option<String>>>,
    stop: CancellationToken,
    released: bool,
}

fn leases(inner: &Inner) -> Api<Lease> {
    Api::namespaced(inner.client.clone(), &inner.namespace)
}

fn lease_name(inner: &Inner) -> String {
    format!("forge-lock-{}", inner.name)
}

fn at(inner: &Inner) -> String {
    format!("kubernetes lease {}/{}", inner.namespace, lease_name(inner))
}

fn micro(t: DateTime<Utc>) -> MicroTime {
    MicroTime(Timestamp::from_microsecond(t.timestamp_micros()).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn chrono(t: &MicroTime) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.0.as_microsecond()).unwrap_or_default()
}

fn err(inner: &Inner, op: &'static str, e: kube::Error) -> BackendError {
    BackendError::request(
        op,
        &at(inner),
        crate::providers::kube::client::kube_error(op, e),
    )
}

/// The holder a Lease names, if it is held (an empty `holderIdentity` is free).
fn record_of(lease: &Lease) -> Option<LockRecord> {
    let spec = lease.spec.as_ref()?;
    let id = spec.holder_identity.clone().filter(|h| !h.is_empty())?;
    let holder: LockHolder = lease
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(HOLDER))
        .and_then(|h| serde_json::from_str(h).ok())?;
    Some(LockRecord {
        id,
        holder,
        heartbeat: spec.renew_time.as_ref().map(chrono).unwrap_or_default(),
        lease_seconds: spec.lease_duration_seconds.unwrap_or(0).max(0) as u64,
    })
}

fn lease_of(inner: &Inner, record: &LockRecord, transitions: i32) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(lease_name(inner)),
            labels: Some(
                [(
                    "app.kubernetes.io/managed-by".to_string(),
                    "forge".to_string(),
                )]
                .into(),
            ),
            annotations: Some(
                [(
                    HOLDER.to_string(),
                    serde_json::to_string(&record.holder).unwrap_or_default(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(record.id.clone()),
            lease_duration_seconds: Some(record.lease_seconds.min(i32::MAX as u64) as i32),
            acquire_time: Some(micro(record.holder.since)),
            renew_time: Some(micro(record.heartbeat)),
            lease_transitions: Some(transitions),
            ..Default::default()
        }),
    }
}

/// Who holds the Lease, if anyone.
pub async fn read_record(inner: &Inner) -> Result<Option<LockRecord>, BackendError> {
    let lease = leases(inner)
        .get_opt(&lease_name(inner))
        .await
        .map_err(|e| err(inner, "read", e))?;
    Ok(lease.as_ref().and_then(record_of))
}

/// Deletes the Lease if it is held under `id`.
pub async fn force_unlock(inner: &Inner, id: &str) -> Result<LockRecord, BackendError> {
    let api = leases(inner);
    let lease = api
        .get_opt(&lease_name(inner))
        .await
        .map_err(|e| err(inner, "read", e))?;
    let Some((record, version)) = lease
        .as_ref()
        .and_then(|l| Some((record_of(l)?, l.metadata.resource_version.clone()?)))
    else {
        return Err(BackendError::Refused {
            location: at(inner),
            message: "the state is not locked".into(),
        });
    };
    if record.id != id {
        return Err(BackendError::Refused {
            location: at(inner),
            message: format!(
                "the lock is held under ID {}, not {id}, by {}; nothing was unlocked",
                record.id, record.holder
            ),
        });
    }
    delete(inner, &version).await?;
    Ok(record)
}

async fn delete(inner: &Inner, version: &str) -> Result<(), BackendError> {
    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            resource_version: Some(version.to_string()),
            uid: None,
        }),
        ..Default::default()
    };
    match leases(inner).delete(&lease_name(inner), &dp).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(err(inner, "delete", e)),
    }
}

/// Creates or takes over the Lease, waiting up to `timeout` while a live run holds it.
/// Returns the Lease's `resourceVersion`.
async fn take(inner: &Inner, record: &LockRecord, timeout: Duration) -> Result<String, LockError> {
    let api = leases(inner);
    let pp = PostParams::default();
    let start = Instant::now();
    loop {
        let current = api
            .get_opt(&lease_name(inner))
            .await
            .map_err(|e| err(inner, "read", e))?;
        let result = match &current {
            None => api.create(&pp, &lease_of(inner, record, 0)).await,
            Some(l) => match record_of(l) {
                // Held by a live run: wait or fail.
                Some(other) if other.staleness(Utc::now()).is_none() => {
                    if start.elapsed() >= timeout {
                        return Err(other.held(&at(inner)));
                    }
                    let left = timeout.saturating_sub(start.elapsed());
                    tokio::time::sleep(left.min(Duration::from_millis(500))).await;
                    continue;
                }
                // Free, or expired: take it over.
                _ => {
                    let transitions = l
                        .spec
                        .as_ref()
                        .and_then(|s| s.lease_transitions)
                        .unwrap_or(0);
                    let mut next = lease_of(inner, record, transitions + 1);
                    next.metadata.resource_version = l.metadata.resource_version.clone();
                    api.replace(&lease_name(inner), &pp, &next).await
                }
            },
        };
        match result {
            Ok(l) => return Ok(l.metadata.resource_version.unwrap_or_default()),
            // Another run got there first: look again.
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(err(inner, "take", e).into()),
        }
    }
}

impl LeaseLock {
    /// Takes the Lease (see the module docs), waiting up to `timeout`.
    pub fn acquire(
        inner: Arc<Inner>,
        rt: Arc<Runtime>,
        holder: LockHolder,
        timeout: Duration,
    ) -> Result<Self, LockError> {
        let record = LockRecord::new(&holder, inner.lease);
        let (i, r) = (inner.clone(), record.clone());
        let version = rt.block(timeout + CALL_LIMIT, async move {
            Ok(take(&i, &r, timeout).await)
        })??;
        let lock = Self {
            inner,
            rt,
            id: record.id.clone(),
            version: Arc::new(Mutex::new(version)),
            lost: Arc::new(Mutex::new(None)),
            stop: CancellationToken::new(),
            released: false,
        };
        lock.start_renewal(record)?;
        Ok(lock)
    }

    fn start_renewal(&self, record: LockRecord) -> Result<(), BackendError> {
        let (inner, version, lost, stop) = (
            self.inner.clone(),
            self.version.clone(),
            self.lost.clone(),
            self.stop.clone(),
        );
        let every = inner.lease / 3;
        self.rt.handle()?.spawn(async move {
            let api = leases(&inner);
            let mut last_ok = Instant::now();
            let mut record = record;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                record.heartbeat = Utc::now();
                let mut next = lease_of(&inner, &record, 0);
                let current = version.lock().map(|v| v.clone()).unwrap_or_default();
                // Keep the transitions count the Lease has.
                if let Ok(Some(l)) = api.get_opt(&lease_name(&inner)).await {
                    if record_of(&l).map(|r| r.id) != Some(record.id.clone()) {
                        set(&lost, "the Lease is held by another run now (forge force-unlock, or it expired)");
                        return;
                    }
                    if let (Some(s), Some(n)) = (next.spec.as_mut(), l.spec.as_ref()) {
                        s.lease_transitions = n.lease_transitions;
                        s.acquire_time = n.acquire_time.clone();
                    }
                }
                next.metadata.resource_version = Some(current);
                match api.replace(&lease_name(&inner), &PostParams::default(), &next).await {
                    Ok(l) => {
                        last_ok = Instant::now();
                        if let Ok(mut v) = version.lock() {
                            *v = l.metadata.resource_version.unwrap_or_default();
                        }
                    }
                    Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {
                        set(&lost, "the Lease was deleted or changed by someone else (forge force-unlock?)");
                        return;
                    }
                    Err(_) if last_ok.elapsed() > inner.lease => {
                        set(&lost, "it could not be renewed within its lease");
                        return;
                    }
                    Err(_) => {}
                }
            }
        });
        Ok(())
    }
}

fn set(lost: &Mutex<Option<String>>, why: &str) {
    if let Ok(mut l) = lost.lock() {
        *l = Some(why.to_string());
    }
}

impl RunLock for LeaseLock {
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn check(&self) -> Result<(), BackendError> {
        match self.lost.lock().ok().and_then(|l| l.clone()) {
            Some(reason) => Err(BackendError::LockLost {
                location: at(&self.inner),
                reason,
            }),
            None => Ok(()),
        }
    }

    fn release(&mut self) -> Result<(), BackendError> {
        if std::mem::replace(&mut self.released, true) {
            return Ok(());
        }
        self.stop.cancel();
        if self.check().is_err() {
            return Ok(());
        }
        let (inner, id) = (self.inner.clone(), self.id.clone());
        self.rt.block(CALL_LIMIT, async move {
            // Delete only our own Lease, at the version it has now (a renewal may just
            // have landed).
            let lease = leases(&inner)
                .get_opt(&lease_name(&inner))
                .await
                .map_err(|e| err(&inner, "read", e))?;
            match lease {
                Some(l) if record_of(&l).is_some_and(|r| r.id == id) => {
                    let version = l.metadata.resource_version.unwrap_or_default();
                    delete(&inner, &version).await
                }
                _ => Ok(()),
            }
        })
    }
}

impl Drop for LeaseLock {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
