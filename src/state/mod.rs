//! The state: what forge created, as JSON, by default in `<work-dir>/.forge/state.json`,
//! elsewhere where forge.yaml's `backend:` says ([`backend`]: an S3 object, a
//! Kubernetes Secret), optionally encrypted at rest ([`crypt`]).
//!
//! Every write is whole and conditional on the version the run read; the previous
//! version is kept. A run holds the backend's lock from start to end (locally an OS
//! file lock, [`lock`]), so two runs never interleave.

pub mod backend;
pub mod conformance;
pub mod crypt;
pub mod lock;
mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use lock::{LockError, LockHolder, StateLock};
pub use store::{
    Passphrase, Sealing, StateStore, StoreError, Timings, decode, encode, encrypted_header,
    write_atomic,
};

/// Version of the state file format.
pub const FORMAT_VERSION: u32 = 1;

/// Where a resource is in its life, as far as forge knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created or updated successfully.
    Ready,
    /// A create was started and not confirmed: it may or may not exist.
    Creating,
    /// An update was started and not confirmed.
    Updating,
    /// A delete was started and not confirmed.
    Deleting,
    /// An apply failed after starting; the next plan replaces or re-reads it.
    Failed,
}

/// One resource in state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Its kind.
    pub kind: String,
    /// Where it is in its life.
    pub status: Status,
    /// The spec last applied (or being applied), with placeholders resolved.
    pub spec: Value,
    /// What the provider reported after the last successful apply or read.
    #[serde(default)]
    pub attributes: Option<Value>,
    /// Addresses it depends on (used to order deletes once it leaves forge.yaml).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// When this entry last changed.
    pub updated_at: DateTime<Utc>,
}

/// An output value saved after apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputValue {
    /// The value.
    pub value: String,
    /// Hidden unless asked for.
    pub sensitive: bool,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// File format version.
    pub version: u32,
    /// Incremented on every write.
    pub serial: u64,
    /// Set when the state is first created; a saved plan for another lineage is refused.
    pub lineage: String,
    /// forge version that last wrote it.
    pub forge_version: String,
    /// Resources by address.
    pub resources: BTreeMap<String, ResourceState>,
    /// Generated secrets by key.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Outputs by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputValue>,
}

impl State {
    /// An empty state with a new lineage.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut bytes);
        Self {
            version: FORMAT_VERSION,
            serial: 0,
            lineage: hex::encode(bytes),
            forge_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: BTreeMap::new(),
            secrets: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Looks up an attribute (`attr` may be a dotted path) of a resource in state.
    pub fn attribute(&self, addr: &str, attr: &str) -> Option<Value> {
        let r = self.resources.get(addr)?;
        if r.status != Status::Ready {
            return None;
        }
        let mut v = r.attributes.as_ref()?;
        for part in attr.split('.') {
            v = v.get(part)?;
        }
        Some(v.clone())
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}
