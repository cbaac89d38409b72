//! The S3 run lock: the object `<key>.lock`, holding a [`LockRecord`] (ID, pid, host,
//! command, start, heartbeat, lease).
//!
//! - Taken with `PutObject If-None-Match: *`: of two runs, the store lets one create it.
//! - Right after, forge checks that the store honours conditional writes at all: a
//!   second `If-None-Match: *` and an `If-Match` with a wrong ETag must both get `412`.
//!   A store that ignores them (some S3-compatible stores do) cannot keep two runs
//!   apart, so forge refuses to run on it unless `allow_unsafe_locking` is set.
//! - Renewed every third of its lease by a heartbeat (`If-Match` its own ETag); a
//!   heartbeat that finds the lock gone or replaced marks the run's lock lost, and the
//!   run stops writing state.
//! - A lock whose heartbeat is older than its lease is stale: its holder looks dead.
//!   It is reported with its holder, and taken only by `forge force-unlock ID` or by a
//!   run that was told to wait (`--lock-timeout`), with `If-Match` its ETag so that only
//!   one taker wins.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::runtime::Runtime;
use super::s3::{CALL_LIMIT, Cond, Inner, Put};
use super::{BackendError, LockRecord, RunLock};
use crate::state::lock::{LockError, LockHolder};

/// A held S3 lock, renewed until released or dropped.
#[derive(Debug)]
pub struct S3Lock {
    inner: Arc<Inner>,
    rt: Arc<Runtime>,
    id: String,
    etag: Arc<Mutex<String>>,
    lost: Arc<Mutex<Option<String>>>,
    stop: CancellationToken,
    released: bool,
}

fn lock_key(inner: &Inner) -> String {
    format!("{}.lock", inner.key)
}

/// The lock record and its ETag, if there is a lock.
pub async fn read_record(inner: &Inner) -> Result<Option<(LockRecord, String)>, BackendError> {
    let key = lock_key(inner);
    let Some((bytes, etag)) = inner.get(&key).await? else {
        return Ok(None);
    };
    let record = serde_json::from_slice(&bytes).map_err(|e| BackendError::Refused {
        location: inner.at(&key),
        message: format!(
            "the lock object is not a forge lock ({e}); if no forge run holds it, delete it"
        ),
    })?;
    Ok(Some((record, etag)))
}

/// Removes the lock if it is held under `id`.
pub async fn force_unlock(inner: &Inner, id: &str) -> Result<LockRecord, BackendError> {
    let key = lock_key(inner);
    let Some((record, _)) = read_record(inner).await? else {
        return Err(BackendError::Refused {
            location: inner.at(&key),
            message: "the state is not locked".into(),
        });
    };
    if record.id != id {
        return Err(BackendError::Refused {
            location: inner.at(&key),
            message: format!(
                "the lock is held under ID {}, not {id}, by {}; nothing was unlocked",
                record.id, record.holder
            ),
        });
    }
    inner.delete(&key).await?;
    Ok(record)
}

impl S3Lock {
    /// Takes the lock (see the module docs), waiting up to `timeout`.
    pub fn acquire(
        inner: Arc<Inner>,
        rt: Arc<Runtime>,
        holder: LockHolder,
        timeout: Duration,
    ) -> Result<Self, LockError> {
        let record = LockRecord::new(&holder, inner.lease);
        let id = record.id.clone();
        let i = inner.clone();
        let etag = rt.block(timeout + CALL_LIMIT, async move {
            Ok(take(&i, record, timeout).await)
        })??;
        let lock = Self {
            inner,
            rt,
            id,
            etag: Arc::new(Mutex::new(etag)),
            lost: Arc::new(Mutex::new(None)),
            stop: CancellationToken::new(),
            released: false,
        };
        lock.start_heartbeat(holder)?;
        Ok(lock)
    }

    fn start_heartbeat(&self, holder: LockHolder) -> Result<(), BackendError> {
        let (inner, etag, lost, stop) = (
            self.inner.clone(),
            self.etag.clone(),
            self.lost.clone(),
            self.stop.clone(),
        );
        let id = self.id.clone();
        let every = inner.lease / 3;
        self.rt.handle()?.spawn(async move {
            let mut last_ok = Instant::now();
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                let current = etag.lock().map(|e| e.clone()).unwrap_or_default();
                let record = LockRecord {
                    id: id.clone(),
                    holder: holder.clone(),
                    heartbeat: Utc::now(),
                    lease_seconds: inner.lease.as_secs(),
                };
                let body = serde_json::to_vec(&record).unwrap_or_default();
                match inner
                    .put(&lock_key(&inner), body, Cond::Matches(current))
                    .await
                {
                    Ok(Put::Written(new)) => {
                        last_ok = Instant::now();
                        if let Ok(mut e) = etag.lock() {
                            *e = new;
                        }
                    }
                    Ok(Put::Precondition) => {
                        set(
                            &lost,
                            "the lock object was removed or replaced (forge force-unlock?)",
                        );
                        return;
                    }
                    Err(_) if last_ok.elapsed() > inner.lease => {
                        set(&lost, "its heartbeat failed for longer than the lease");
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

/// Creates the lock object, or waits for it, or takes a stale one; then checks that
/// the store honours conditional writes. Returns the lock's ETag.
async fn take(inner: &Inner, record: LockRecord, timeout: Duration) -> Result<String, LockError> {
    let key = lock_key(inner);
    let body = serde_json::to_vec(&record).unwrap_or_default();
    let start = Instant::now();
    loop {
        // Look first: on a store that ignores `If-None-Match`, a create would overwrite.
        let existing = read_record(inner).await?;
        let put = match &existing {
            None => inner.put(&key, body.clone(), Cond::Absent).await?,
            Some((other, etag)) => match other.staleness(Utc::now()) {
                Some(_) if !timeout.is_zero() => {
                    inner
                        .put(&key, body.clone(), Cond::Matches(etag.clone()))
                        .await?
                }
                _ if start.elapsed() >= timeout => return Err(other.held(&inner.at(&key))),
                _ => {
                    let left = timeout.saturating_sub(start.elapsed());
                    tokio::time::sleep(left.min(Duration::from_millis(500))).await;
                    continue;
                }
            },
        };
        match put {
            Put::Written(etag) => {
                verify_conditional_writes(inner, &key, &body, &etag).await?;
                return Ok(etag);
            }
            // Another run created or took it first: look again.
            Put::Precondition => continue,
        }
    }
}

/// Checks, on the lock object this run just created, that the store refuses a second
/// create and a write with a wrong ETag. Both rewrite the same bytes, so a store that
/// ignores the conditions changes nothing by accepting them.
async fn verify_conditional_writes(
    inner: &Inner,
    key: &str,
    body: &[u8],
    etag: &str,
) -> Result<(), LockError> {
    let mut ignored = Vec::new();
    if let Put::Written(_) = inner.put(key, body.to_vec(), Cond::Absent).await? {
        ignored.push("If-None-Match");
    }
    let wrong = format!("\"{}\"", "0".repeat(32));
    if wrong != etag
        && let Put::Written(_) = inner.put(key, body.to_vec(), Cond::Matches(wrong)).await?
    {
        ignored.push("If-Match");
    }
    if ignored.is_empty() {
        return Ok(());
    }
    let what = ignored.join(" and ");
    if inner.allow_unsafe_locking {
        if let Ok(mut w) = inner.warnings.lock() {
            w.push(format!(
                "the store at {} ignores {what} on PutObject: its lock cannot keep two runs that start at the same moment apart, and a concurrent write is not detected (allow_unsafe_locking is set)",
                inner.location
            ));
        }
        return Ok(());
    }
    let _ = inner.delete(key).await;
    Err(LockError::Backend(BackendError::Refused {
        location: inner.location.clone(),
        message: format!(
            "the store ignores {what} on PutObject, so forge cannot lock the state there or detect a concurrent write; forge refuses to run on it. Use a store that honours conditional writes (AWS S3, MinIO, moto, s3s), or, if only one run can ever happen at a time, set `backend.s3.allow_unsafe_locking: true`"
        ),
    }))
}

impl RunLock for S3Lock {
    fn id(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn check(&self) -> Result<(), BackendError> {
        match self.lost.lock().ok().and_then(|l| l.clone()) {
            Some(reason) => Err(BackendError::LockLost {
                location: self.inner.at(&lock_key(&self.inner)),
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
            // Delete only our own lock: look, then delete (a force-unlocked run finds
            // another ID there and leaves it).
            match read_record(&inner).await? {
                Some((r, _)) if r.id == id => inner.delete(&lock_key(&inner)).await,
                _ => Ok(()),
            }
        })
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
