//! [`Planner`]: config + state + observations → [`Plan`]. Pure.

use std::collections::BTreeSet;

use serde_json::Value;

use super::diff::diff;
use super::refresh::Observations;
use super::resolve::{resolve_spec, unresolved_refs};
use super::{Drift, PLAN_FORMAT, Plan, ResourceChange, Warning};
use crate::addr::ResourceAddr;
use crate::expand::Declared;
use crate::graph::{Origin, ResourceGraph, Selection};
use crate::provider::{Action, Observed, Planned, ProviderError, Registry};
use crate::state::{State, Status};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plan to destroy everything selected.
    pub destroy: bool,
    /// Addresses to replace even if unchanged (`--replace`).
    pub replace: BTreeSet<ResourceAddr>,
}

/// Plans. Holds nothing but references; every call is pure.
pub struct Planner<'a> {
    /// What forge.yaml declares.
    pub declared: &'a Declared,
    /// Its graph.
    pub graph: &'a ResourceGraph,
    /// The state.
    pub state: &'a State,
    /// The providers (only `plan`, which is pure, is called).
    pub registry: &'a Registry,
}

/// A provider could not plan a resource (its spec did not decode).
#[derive(Debug, thiserror::Error)]
#[error("cannot plan `{addr}`")]
pub struct PlanError {
    /// The resource.
    pub addr: ResourceAddr,
    /// Why.
    #[source]
    pub source: Box<ProviderError>,
}

impl<'a> Planner<'a> {
    /// Builds the plan for the selected resources.
    pub fn plan(
        &self,
        obs: &Observations,
        selection: &Selection,
        opts: &PlanOptions,
    ) -> Result<Plan, PlanError> {
        let mut changes = Vec::new();
        let mut drift = Vec::new();
        let mut forget = Vec::new();
        let mut warnings: Vec<Warning> = obs.warnings.clone();
        for addr in self.graph.order() {
            if !selection.includes(addr) {
                continue;
            }
            let key = addr.to_string();
            let prior = self.state.resources.get(&key);
            let observed = obs.observed.get(addr);
            let current: Option<&Value> = match observed {
                Some(Observed::Present(v)) => Some(v),
                _ => None,
            };
            let sensitive: Vec<String> = self
                .registry
                .get(addr.kind())
                .map(|p| p.sensitive().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
            let depends_on = self.graph.dependencies(addr);
            let orphan = self.graph.origin(addr) == Some(Origin::Orphan);
            if opts.destroy || orphan {
                match (prior, current) {
                    (Some(p), Some(cur)) => changes.push(ResourceChange {
                        addr: addr.clone(),
                        action: Action::Delete,
                        before: Some(cur.clone()),
                        after: None,
                        spec: Some(p.spec.clone()),
                        changes: vec![],
                        reasons: if orphan && !opts.destroy {
                            vec!["no longer in forge.yaml".into()]
                        } else {
                            vec![]
                        },
                        sensitive,
                        depends_on,
                    }),
                    (Some(_), None) => forget.push(addr.clone()),
                    _ => {}
                }
                continue;
            }
            let Some(decl) = self.declared.resource(addr) else {
                continue;
            };
            let Some(provider) = self.registry.get(addr.kind()) else {
                warnings.push(Warning {
                    addr: Some(addr.clone()),
                    message: format!("no provider for kind `{}`", addr.kind()),
                    hint: None,
                });
                continue;
            };
            let spec = resolve_spec(&decl.spec, self.state);
            let unknown = unresolved_refs(&spec);
            let mut reasons = Vec::new();
            let planned = if unknown.is_empty() {
                provider.plan(&spec, current).map_err(|source| PlanError {
                    addr: addr.clone(),
                    source: Box::new(source),
                })?
            } else if current.is_none() {
                Planned {
                    action: Action::Create,
                    after: spec.clone(),
                    reasons: vec![],
                }
            } else {
                reasons.push(format!(
                    "depends on values known only after apply: {}",
                    unknown.join(", ")
                ));
                Planned {
                    action: Action::Update,
                    after: spec.clone(),
                    reasons: vec![],
                }
            };
            reasons.extend(planned.reasons.iter().cloned());
            if unknown.is_empty() {
                for message in provider.warnings(&spec, current) {
                    warnings.push(Warning {
                        addr: Some(addr.clone()),
                        message,
                        hint: None,
                    });
                }
            }
            let mut action = planned.action;
            if opts.replace.contains(addr) && current.is_some() {
                action = Action::Replace;
                reasons.push("replacement requested with --replace".into());
            }
            let interrupted = prior.is_some_and(|p| p.status != Status::Ready);
            match (prior, current, action) {
                (None, Some(_), Action::Update | Action::NoOp) => {
                    action = Action::Import;
                    reasons.push("exists already but forge has no record of it".into());
                }
                (Some(p), Some(_), Action::NoOp) if interrupted => {
                    action = Action::Import;
                    reasons.push(format!("an earlier apply was interrupted while {}; it is there, so forge records it", status_verb(p.status)));
                }
                // Not there (or, for kinds read as present once their source is, such
                // as a table to migrate, not finished): the change starts again from
                // what the interrupted one left.
                (Some(p), _, Action::Create | Action::Update) if interrupted => {
                    reasons.push(format!(
                        "an earlier apply was interrupted while {}",
                        status_verb(p.status)
                    ));
                }
                _ => {}
            }
            // Drift: state said one thing, the world says another, and it matters now.
            if let Some(p) = prior.filter(|p| p.status == Status::Ready)
                && action.is_change()
                && let Some(before) = &p.attributes
            {
                match current {
                    None if matches!(observed, Some(Observed::Absent)) => drift.push(Drift {
                        addr: addr.clone(),
                        action: Action::Delete,
                        changes: vec![],
                    }),
                    Some(cur) if cur != before => {
                        let changes = diff(before, cur);
                        if !changes.is_empty() {
                            drift.push(Drift {
                                addr: addr.clone(),
                                action: Action::Update,
                                changes,
                            });
                        }
                    }
                    _ => {}
                }
            }
            let changes_list = match (current, action) {
                (Some(cur), Action::Update | Action::Replace | Action::Import) => {
                    diff(cur, &planned.after)
                }
                _ => vec![],
            };
            if let (Some(Observed::Unavailable(why)), Action::Create) = (observed, action)
                && !why.is_empty()
                && prior.is_some()
            {
                warnings.push(Warning {
                    addr: Some(addr.clone()),
                    message: format!("cannot be read: {why}"),
                    hint: None,
                });
            }
            changes.push(ResourceChange {
                addr: addr.clone(),
                action,
                before: current.cloned(),
                after: Some(planned.after),
                spec: Some(spec),
                changes: changes_list,
                reasons,
                sensitive,
                depends_on,
            });
        }
        if opts.destroy {
            changes.reverse();
        }
        // Only what this plan changes is blocked (a destroy of nothing is fine).
        let blocked = obs
            .blocked
            .iter()
            .map(|b| {
                let mut b = b.clone();
                b.addrs
                    .retain(|a| changes.iter().any(|c| &c.addr == a && c.action.is_change()));
                b
            })
            .filter(|b| !b.addrs.is_empty())
            .collect();
        Ok(Plan {
            format: PLAN_FORMAT,
            forge_version: env!("CARGO_PKG_VERSION").to_string(),
            destroy: opts.destroy,
            config_digest: self.declared.digest.clone(),
            state_lineage: self.state.lineage.clone(),
            state_serial: self.state.serial,
            changes,
            drift,
            warnings,
            blocked,
            forget,
        })
    }
}

fn status_verb(s: Status) -> &'static str {
    match s {
        Status::Creating => "creating it",
        Status::Updating => "updating it",
        Status::Deleting => "deleting it",
        Status::Failed => "applying it (it failed)",
        Status::Ready => "applying it",
    }
}
