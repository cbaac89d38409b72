//! Reading the real world before planning.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::resolve::{resolve_spec, unresolved_refs};
use super::{Blocker, Warning};
use crate::addr::ResourceAddr;
use crate::expand::Declared;
use crate::graph::walk::{Outcome, walk};
use crate::graph::{ResourceGraph, Selection};
use crate::provider::{Ctx, Observed, ProviderError, Registry};
use crate::state::State;

/// What `read` found for each resource.
#[derive(Debug, Default)]
pub struct Observations {
    /// By address. Missing: not read (no provider, or not selected).
    pub observed: BTreeMap<ResourceAddr, Observed<Value>>,
    /// Warnings for the plan.
    pub warnings: Vec<Warning>,
    /// Resources that cannot be applied, grouped by reason.
    pub blocked: Vec<Blocker>,
}

impl Observations {
    /// Observations taken from state only (`--refresh=false`).
    pub fn from_state(graph: &ResourceGraph, state: &State) -> Self {
        let mut observed = BTreeMap::new();
        for addr in graph.order() {
            let o = match state
                .resources
                .get(&addr.to_string())
                .and_then(|r| r.attributes.clone())
            {
                Some(a) => Observed::Present(a),
                None => Observed::Absent,
            };
            observed.insert(addr.clone(), o);
        }
        Self {
            observed,
            warnings: vec![],
            blocked: vec![],
        }
    }
}

/// Reads every selected resource, `parallelism` at a time, each read bounded by
/// `ctx.timeout`. A missing tool is a warning; any other read error fails the refresh.
pub async fn refresh(
    declared: &Declared,
    graph: &ResourceGraph,
    state: &State,
    registry: &Registry,
    ctx: &Ctx,
    selection: &Selection,
    parallelism: usize,
) -> Result<Observations, Vec<(ResourceAddr, ProviderError)>> {
    struct Job {
        addr: ResourceAddr,
        spec: Value,
        prior: Option<Value>,
    }
    let mut jobs = Vec::new();
    let mut obs = Observations::default();
    for addr in graph.order().iter().filter(|a| selection.includes(a)) {
        let prior = state.resources.get(&addr.to_string());
        let spec = match declared.resource(addr) {
            Some(decl) => {
                let resolved = resolve_spec(&decl.spec, state);
                if unresolved_refs(&resolved).is_empty() {
                    resolved
                } else if let Some(p) = prior {
                    // Depends on values not known yet: look at it as it was last applied.
                    p.spec.clone()
                } else {
                    obs.observed.insert(addr.clone(), Observed::Absent);
                    continue;
                }
            }
            None => match prior {
                Some(p) => p.spec.clone(),
                None => continue,
            },
        };
        jobs.push(Arc::new(Job {
            addr: addr.clone(),
            spec,
            prior: prior.and_then(|p| p.attributes.clone()),
        }));
    }
    let reads = jobs.clone();
    let registry = registry.clone();
    let ctx2 = ctx.clone();
    let outcomes = walk(
        jobs.len(),
        &vec![vec![]; jobs.len()],
        parallelism,
        &ctx.cancel,
        move |i| {
            let job = reads[i].clone();
            let registry = registry.clone();
            let ctx = ctx2.clone();
            async move {
                let Some(provider) = registry.get(job.addr.kind()) else {
                    return Ok(Observed::Unavailable(format!(
                        "no provider for kind `{}`",
                        job.addr.kind()
                    )));
                };
                match tokio::time::timeout(
                    ctx.timeout,
                    provider.read(&ctx, job.addr.name(), &job.spec, job.prior.as_ref()),
                )
                .await
                {
                    Ok(r) => r,
                    Err(_) => Err(ProviderError::Timeout {
                        what: format!("reading {}", job.addr),
                        after: ctx.timeout,
                    }),
                }
            }
        },
    )
    .await;
    let mut errors = Vec::new();
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            Outcome::Done(o) => {
                obs.observed.insert(job.addr.clone(), o);
            }
            // Nothing can be done to these until the user acts: say so once per reason.
            Outcome::Failed(ProviderError::ToolMissing { tool, hint }) => {
                let message = format!("`{tool}` is not installed");
                block(&mut obs.blocked, &message, Some(hint), &job.addr);
                obs.observed
                    .insert(job.addr.clone(), Observed::Unavailable(message));
            }
            Outcome::Failed(ProviderError::Unreachable {
                endpoint,
                reason,
                hint,
                ..
            }) => {
                let message = format!("{endpoint} is not reachable: {reason}");
                // A server that this plan creates first (the stack's RustFS) is not up
                // yet, as expected: planned as absent. Any other is a problem, said once.
                let awaited = graph
                    .dependencies(&job.addr)
                    .iter()
                    .any(|d| !state.resources.contains_key(&d.to_string()));
                if !awaited {
                    block(&mut obs.blocked, &message, hint, &job.addr);
                }
                obs.observed
                    .insert(job.addr.clone(), Observed::Unavailable(message));
            }
            Outcome::Failed(e @ ProviderError::NotImplemented { .. }) => {
                let message = "this version of forge cannot apply these kinds yet";
                block(&mut obs.blocked, message, e.hint(), &job.addr);
                obs.observed
                    .insert(job.addr.clone(), Observed::Unavailable(message.into()));
            }
            Outcome::Failed(ProviderError::Credentials { reason, hint, .. }) => {
                block(&mut obs.blocked, &reason, Some(hint), &job.addr);
                obs.observed
                    .insert(job.addr.clone(), Observed::Unavailable(reason));
            }
            Outcome::Failed(e) => errors.push((job.addr.clone(), e)),
            Outcome::Skipped { .. } | Outcome::NotRun => {
                errors.push((job.addr.clone(), ProviderError::Interrupted))
            }
        }
    }
    if errors.is_empty() {
        Ok(obs)
    } else {
        Err(errors)
    }
}

/// Adds `addr` to the blocker for `message`, making one if it is the first.
fn block(blocked: &mut Vec<Blocker>, message: &str, hint: Option<String>, addr: &ResourceAddr) {
    match blocked.iter_mut().find(|b| b.message == message) {
        Some(b) => b.addrs.push(addr.clone()),
        None => blocked.push(Blocker {
            message: message.to_string(),
            hint,
            addrs: vec![addr.clone()],
        }),
    }
}
