//! Where the state lives: the [`StateBackend`] trait and its three implementations —
//! [`local`] (a file in the work dir, an OS lock), [`s3`] (an object written with
//! `If-Match`, a lock object created with `If-None-Match: *` and kept alive by a
//! heartbeat) and [`kube`] (a Secret chunked under the object size limit, written with
//! its `resourceVersion`, and a `coordination.k8s.io` Lease).
//!
//! A backend moves bytes; it knows nothing of their content. Every write is
//! conditional on the version the run read ([`Expect`]), so a concurrent writer is
//! detected ([`BackendError::Conflict`]) rather than overwritten, and the version a run
//! replaces first is kept ([`StateBackend::keep_previous`]). The [`StateStore`](super::StateStore)
//! on top parses, encrypts and counts serials. [`conformance`](super::conformance) is
//! the one contract every backend passes.
//!
//! The trait is synchronous: the remote backends run their requests and heartbeats on
//! a runtime of their own ([`runtime::Runtime`]), so a lock is released on drop and a
//! heartbeat keeps beating whatever the caller's runtime is doing. A caller on an async
//! runtime blocks its thread for the length of one request per call, as it did for the
//! fsyncs of the local file.

pub mod kube;
mod kube_lease;
pub mod local;
mod runtime;
pub mod s3;
mod s3_lock;
pub mod spec;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use spec::{BackendSpec, EncryptionSpec};

use super::lock::{LockError, LockHolder, Staleness};

/// What a backend holds: the bytes and the version a conditional write names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The state as written (JSON, or an encrypted envelope).
    pub bytes: Vec<u8>,
    /// The backend's version of it: an ETag, a `resourceVersion`, a digest.
    pub version: String,
}

/// What a write expects to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// Nothing: the state must not exist yet.
    Absent,
    /// Exactly this version.
    Version(&'a str),
    /// Whatever is there (`forge state push --force` and migrations only).
    Any,
}

/// A backend failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Someone else wrote the state since this run read it.
    #[error(
        "the state in {location} was written by someone else since this run read it; nothing was overwritten"
    )]
    Conflict {
        /// The state's place.
        location: String,
    },
    /// A request failed.
    #[error("cannot {op} {location}")]
    Request {
        /// What was being done.
        op: &'static str,
        /// Where.
        location: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The backend refuses, or cannot do this, for a reason in words.
    #[error("{location}: {message}")]
    Refused {
        /// Where.
        location: String,
        /// Why, with what to do.
        message: String,
    },
    /// The run's lock was taken away (force-unlocked, or its lease lapsed).
    #[error("this run lost its lock on {location}: {reason}; it stopped writing state")]
    LockLost {
        /// Where.
        location: String,
        /// What happened.
        reason: String,
    },
}

impl BackendError {
    /// A failed request, keeping its cause.
    pub fn request(
        op: &'static str,
        location: &str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Request {
            op,
            location: location.to_string(),
            source: source.into(),
        }
    }
}

/// What a remote lock holds: the holder, its ID and its last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    /// The ID `forge force-unlock` names.
    pub id: String,
    /// Who.
    #[serde(flatten)]
    pub holder: LockHolder,
    /// When the holder last renewed it.
    pub heartbeat: DateTime<Utc>,
    /// How long a renewal is valid, in seconds.
    pub lease_seconds: u64,
}

impl LockRecord {
    /// A record for this process running `command`, with a new random ID.
    pub fn new(holder: &LockHolder, lease: Duration) -> Self {
        let mut bytes = [0u8; 8];
        rand::Rng::fill(&mut rand::rng(), &mut bytes);
        Self {
            id: hex::encode(bytes),
            holder: holder.clone(),
            heartbeat: Utc::now(),
            lease_seconds: lease.as_secs().max(1),
        }
    }

    /// Set when the heartbeat is older than the lease: its holder looks dead.
    pub fn staleness(&self, now: DateTime<Utc>) -> Option<Staleness> {
        let silent = (now - self.heartbeat).to_std().unwrap_or(Duration::ZERO);
        let lease = Duration::from_secs(self.lease_seconds);
        (silent > lease).then_some(Staleness {
            silent_for: silent,
            lease,
        })
    }

    /// The "locked" error naming this holder.
    pub fn held(&self, location: &str) -> LockError {
        LockError::Held {
            holder: Some(Box::new(self.holder.clone())),
            id: Some(self.id.clone()),
            location: location.to_string(),
            stale: self.staleness(Utc::now()),
        }
    }
}

/// A held run lock. Dropping it releases it (remote locks: one request, waited for).
pub trait RunLock: Send + Sync + std::fmt::Debug {
    /// The ID `forge force-unlock` would name (`None` for OS locks, which need none).
    fn id(&self) -> Option<&str>;
    /// `Err` once the lock was lost (taken by force-unlock, or not renewed within its
    /// lease): a run must not write state after that.
    fn check(&self) -> Result<(), BackendError>;
    /// Releases it now, reporting failure (drop releases too, silently).
    fn release(&mut self) -> Result<(), BackendError>;
}

/// Where the state lives. See the module docs.
pub trait StateBackend: Send + Sync + std::fmt::Debug {
    /// Where, for messages: `.forge/state.json`, `s3://bucket/key`, `kubernetes secret ns/name`.
    fn location(&self) -> String;

    /// Takes the run lock for `holder`, waiting up to `timeout` for another run to end.
    /// A stale remote lock is taken only when `timeout` is not zero.
    fn lock(&self, holder: &LockHolder, timeout: Duration) -> Result<Box<dyn RunLock>, LockError>;

    /// The stored state, or `None` if there is none yet.
    fn read(&self) -> Result<Option<Stored>, BackendError>;

    /// Writes `bytes` if what is stored is what `expect` says; returns the new version.
    fn write(&self, bytes: &[u8], expect: Expect<'_>) -> Result<String, BackendError>;

    /// Keeps `previous` (what a run read, before its first write replaces it) where
    /// [`previous`](Self::previous) finds it: a `.backup`, or nothing to do where the
    /// store keeps versions itself.
    fn keep_previous(&self, previous: &Stored) -> Result<(), BackendError>;

    /// The version kept before the last run's first write, if any.
    fn previous(&self) -> Result<Option<Vec<u8>>, BackendError>;

    /// Who holds the lock now, if anyone says so.
    fn lock_record(&self) -> Result<Option<LockRecord>, BackendError>;

    /// Removes the lock held under `id` (a holder that died); refuses another ID.
    fn force_unlock(&self, id: &str) -> Result<LockRecord, BackendError>;

    /// Things the user should know (a store that ignores conditional writes, allowed).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}
