//! The plan: for every selected resource, what apply would do and why.
//!
//! [`refresh`] reads the real world (I/O, bounded parallelism); [`Planner`] then decides
//! purely from config, state and those observations, so every planning rule is testable
//! without a server. A [`Plan`] can be saved (`forge plan --out`) and applied later
//! exactly as it is, as long as config and state have not moved.

mod diff;
mod planner;
mod refresh;
pub mod resolve;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use diff::{AttrChange, diff, is_unknown};
pub use planner::{PlanError, PlanOptions, Planner};
pub use refresh::{Observations, refresh};
pub use resolve::{resolve_spec, unresolved_refs};

use crate::addr::ResourceAddr;
use crate::provider::Action;

/// Format version of saved plan files.
pub const PLAN_FORMAT: u32 = 1;

/// A change made outside forge that matters for this plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The resource.
    pub addr: ResourceAddr,
    /// `update` (attributes changed) or `delete` (it is gone).
    pub action: Action,
    /// What changed, from state to reality.
    pub changes: Vec<AttrChange>,
}

/// What apply will do to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// The resource.
    pub addr: ResourceAddr,
    /// The action.
    pub action: Action,
    /// Its state now (observed), if it exists.
    pub before: Option<Value>,
    /// What it should look like afterwards (unknown parts are placeholders).
    pub after: Option<Value>,
    /// The spec apply hands to the provider (may still hold `${...}` placeholders that
    /// apply fills in from the state of dependencies).
    pub spec: Option<Value>,
    /// Changed attributes, for updates and replaces.
    pub changes: Vec<AttrChange>,
    /// Why (replace reasons, recovery of an interrupted run, `--replace`).
    pub reasons: Vec<String>,
    /// Attributes shown as `(sensitive)`.
    pub sensitive: Vec<String>,
    /// Addresses this resource depends on.
    pub depends_on: Vec<ResourceAddr>,
}

/// A warning shown with the plan (e.g. a tool that apply will need is missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The resource concerned, if any.
    pub addr: Option<ResourceAddr>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// Resources apply cannot touch, for one shared reason: a tool that is not installed,
/// no credentials for their cloud. Found while reading; shown once per reason in the plan;
/// apply fails them before any call (and skips what depends on them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    /// What is wrong, e.g. "no AWS credentials found".
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
    /// The resources it blocks.
    pub addrs: Vec<ResourceAddr>,
}

impl Blocker {
    /// Whether `addr` is blocked.
    pub fn blocks(&self, addr: &ResourceAddr) -> bool {
        self.addrs.contains(addr)
    }
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Saved plan format.
    pub format: u32,
    /// forge version that made it.
    pub forge_version: String,
    /// A destroy plan.
    pub destroy: bool,
    /// Digest of the config it was made from.
    pub config_digest: String,
    /// Lineage of the state it was made against.
    pub state_lineage: String,
    /// Serial of that state.
    pub state_serial: u64,
    /// Changes, dependencies first (no-ops included, so apply knows the whole picture).
    pub changes: Vec<ResourceChange>,
    /// Changes made outside forge that affect this plan.
    pub drift: Vec<Drift>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Resources apply cannot touch, grouped by reason.
    #[serde(default)]
    pub blocked: Vec<Blocker>,
    /// State entries of resources that no longer exist anywhere; apply forgets them.
    pub forget: Vec<ResourceAddr>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// To import.
    pub import: usize,
    /// To add (creates and the create half of replaces).
    pub add: usize,
    /// To change in place.
    pub change: usize,
    /// To destroy (deletes and the delete half of replaces).
    pub destroy: usize,
}

impl Plan {
    /// The counts of the summary line.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1
                }
                Action::Delete => s.destroy += 1,
                Action::Import => {
                    s.import += 1;
                    if !c.changes.is_empty() {
                        s.change += 1
                    }
                }
                Action::NoOp | Action::Read => {}
            }
        }
        s
    }

    /// Whether apply has anything to do.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
    }

    /// Changes by address.
    pub fn by_addr(&self) -> BTreeMap<&ResourceAddr, &ResourceChange> {
        self.changes.iter().map(|c| (&c.addr, c)).collect()
    }
}

impl crate::graph::action::Change for ResourceChange {
    fn addr(&self) -> &ResourceAddr {
        &self.addr
    }
    fn action(&self) -> Action {
        self.action
    }
    fn depends_on(&self) -> &[ResourceAddr] {
        &self.depends_on
    }
}
