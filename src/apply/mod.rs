//! Carrying out a [`Plan`]: the [`Applier`] walks the changes in the order of their
//! [`ActionGraph`] (deletes against the dependencies), in parallel where it can, and saves state around every side
//! effect: the intent before (`creating`, `updating`, `deleting`), the result after. A
//! run killed half-way leaves entries that the next plan recognises and completes.

mod events;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};

pub use events::ApplyEvent;

use crate::addr::ResourceAddr;
use crate::config::OutputDecl;
use crate::graph::action::ActionGraph;
use crate::graph::walk::{Outcome, walk};
use crate::plan::{Plan, ResourceChange, resolve::unescape, resolve_spec, unresolved_refs};
use crate::provider::{Action, Ctx, ProviderError, Registry};
use crate::secret::SecretSpec;
use crate::state::{OutputValue, ResourceState, State, StateStore, Status, StoreError};
use crate::template::{self, Placeholder};

/// Saving state failed: apply stopped scheduling new work.
#[derive(Debug, thiserror::Error)]
#[error("failed to save state; apply stopped")]
pub struct SaveError(#[source] pub StoreError);

/// How an apply ended.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Succeeded, with their action and duration.
    pub done: Vec<(ResourceAddr, Action, Duration)>,
    /// Failed, with their error.
    pub failed: Vec<(ResourceAddr, Action, ProviderError)>,
    /// Skipped because a dependency failed: (skipped, failed dependency).
    pub skipped: Vec<(ResourceAddr, ResourceAddr)>,
    /// Not started because the run was interrupted.
    pub not_run: Vec<ResourceAddr>,
    /// The run was interrupted (Ctrl-C).
    pub interrupted: bool,
    /// State could not be saved.
    pub save_error: Option<SaveError>,
}

impl ApplyReport {
    /// Resources added, changed and destroyed (a replace is one added and one destroyed;
    /// an import counts as a change).
    pub fn totals(&self) -> (usize, usize, usize) {
        let (mut add, mut change, mut remove) = (0, 0, 0);
        for (_, action, _) in &self.done {
            match action {
                Action::Create => add += 1,
                Action::Update | Action::Import => change += 1,
                Action::Replace => {
                    add += 1;
                    remove += 1
                }
                Action::Delete => remove += 1,
                _ => {}
            }
        }
        (add, change, remove)
    }

    /// Whether everything planned was done.
    pub fn complete(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.not_run.is_empty()
            && self.save_error.is_none()
    }
}

/// Applies plans.
#[derive(Clone)]
pub struct Applier {
    /// The providers.
    pub registry: Registry,
    /// Shared context (secrets, timeouts, stop signal).
    pub ctx: Ctx,
    /// At most this many changes at once.
    pub parallelism: usize,
    /// Where progress goes (one renderer task reads it).
    pub events: Option<mpsc::UnboundedSender<ApplyEvent>>,
}

struct Shared {
    applier: Applier,
    /// What the plan found cannot be applied.
    blocked: Vec<crate::plan::Blocker>,
    store: Mutex<StateStore>,
    save_failed: std::sync::Mutex<Option<SaveError>>,
}

impl Shared {
    fn emit(&self, e: ApplyEvent) {
        if let Some(tx) = &self.applier.events {
            let _ = tx.send(e);
        }
    }

    async fn update_state(&self, f: impl FnOnce(&mut State)) -> Result<(), ProviderError> {
        let mut store = self.store.lock().await;
        f(store.state_mut());
        let secrets = self.applier.ctx.secrets.snapshot();
        store.state_mut().secrets.extend(secrets);
        if let Err(e) = store.save() {
            self.applier.ctx.cancel.cancel();
            *self.save_failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(SaveError(e));
            return Err(ProviderError::StateNotSaved);
        }
        Ok(())
    }
}

impl Applier {
    /// Applies `plan` against `store`, then computes `outputs`. Returns the store (still
    /// locked) and what happened.
    pub async fn apply(
        &self,
        plan: &Plan,
        store: StateStore,
        outputs: &[OutputDecl],
    ) -> (StateStore, ApplyReport) {
        let shared = Arc::new(Shared {
            applier: self.clone(),
            blocked: plan.blocked.clone(),
            store: Mutex::new(store),
            save_failed: Default::default(),
        });
        let mut report = ApplyReport::default();
        if !plan.forget.is_empty() {
            let forget = plan.forget.clone();
            let _ = shared
                .update_state(|s| {
                    forget
                        .iter()
                        .for_each(|a| drop(s.resources.remove(&a.to_string())))
                })
                .await;
        }
        let nodes: Vec<ResourceChange> = plan
            .changes
            .iter()
            .filter(|c| c.action.is_change())
            .cloned()
            .collect();
        let order = ActionGraph::build(&nodes);
        let nodes = Arc::new(nodes);
        let run_nodes = nodes.clone();
        let run_shared = shared.clone();
        let outcomes = walk(
            nodes.len(),
            &order.waits_for,
            self.parallelism,
            &self.ctx.cancel,
            move |i| {
                let shared = run_shared.clone();
                let change = run_nodes[i].clone();
                async move { run_node(&shared, &change).await }
            },
        )
        .await;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let c = &nodes[i];
            match outcome {
                Outcome::Done(d) => report.done.push((c.addr.clone(), c.action, d)),
                Outcome::Failed(e) => report.failed.push((c.addr.clone(), c.action, e)),
                Outcome::Skipped { because } => {
                    shared.emit(ApplyEvent::Skipped {
                        addr: c.addr.clone(),
                        action: c.action,
                        because: nodes[because].addr.clone(),
                    });
                    report
                        .skipped
                        .push((c.addr.clone(), nodes[because].addr.clone()))
                }
                Outcome::NotRun => report.not_run.push(c.addr.clone()),
            }
        }
        report.interrupted = self.ctx.cancel.is_cancelled();
        let save_error = shared
            .save_failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if save_error.is_none() {
            let outputs = outputs.to_vec();
            let _ = shared
                .update_state(move |s| s.outputs = evaluate_outputs(&outputs, s))
                .await;
        }
        report.save_error = save_error.or_else(|| {
            shared
                .save_failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
        });
        let shared = match Arc::try_unwrap(shared) {
            Ok(s) => s,
            Err(_) => unreachable!("every node task has finished, so no other reference is alive"),
        };
        (shared.store.into_inner(), report)
    }
}

/// Generates (and so records) every generated secret a spec names, before any side effect.
fn pregenerate(spec: &Value, ctx: &Ctx) -> Result<(), ProviderError> {
    match spec {
        Value::Object(m) if m.len() == 1 && m.contains_key("generate") => {
            if let Ok(s) = serde_json::from_value::<SecretSpec>(spec.clone()) {
                ctx.secrets.resolve(&s)?;
            }
            Ok(())
        }
        Value::Object(m) => m.values().try_for_each(|v| pregenerate(v, ctx)),
        Value::Array(items) => items.iter().try_for_each(|v| pregenerate(v, ctx)),
        _ => Ok(()),
    }
}

async fn run_node(shared: &Shared, change: &ResourceChange) -> Result<Duration, ProviderError> {
    let start = Instant::now();
    let ctx = &shared.applier.ctx;
    let addr = change.addr.clone();
    let key = addr.to_string();
    let provider =
        shared
            .applier
            .registry
            .get(addr.kind())
            .ok_or_else(|| ProviderError::NotImplemented {
                kind: addr.kind().to_string(),
            })?;
    // A backstop above the providers' own waits (which use `ctx.timeout` and explain
    // what was not ready), for calls that hang without a wait of their own.
    let timeout = ctx.timeout + Duration::from_secs(30);
    let timed = |what: String| ProviderError::Timeout {
        what,
        after: timeout,
    };
    // What the plan found cannot be done is refused before any call.
    if let Some(b) = shared.blocked.iter().find(|b| b.blocks(&addr)) {
        let e = ProviderError::Blocked {
            reason: b.message.clone(),
            hint: b.hint.clone(),
        };
        shared.emit(ApplyEvent::Failed {
            addr,
            action: change.action,
            error: crate::render::error_chain(&e),
            hint: e.hint(),
        });
        return Err(e);
    }
    shared.emit(ApplyEvent::Started {
        addr: addr.clone(),
        action: change.action,
    });
    let result: Result<(), ProviderError> = async {
        let prior = shared
            .store
            .lock()
            .await
            .state()
            .resources
            .get(&key)
            .cloned();
        if change.action == Action::Delete {
            let spec = prior
                .as_ref()
                .map(|p| p.spec.clone())
                .or_else(|| change.spec.clone())
                .unwrap_or(Value::Null);
            let attrs = change
                .before
                .clone()
                .or_else(|| prior.as_ref().and_then(|p| p.attributes.clone()))
                .unwrap_or(Value::Null);
            shared
                .update_state(|s| set_status(s, &key, Status::Deleting))
                .await?;
            tokio::time::timeout(timeout, provider.delete(ctx, addr.name(), &spec, &attrs))
                .await
                .map_err(|_| timed(format!("deleting {addr}")))??;
            return shared
                .update_state(|s| drop(s.resources.remove(&key)))
                .await;
        }
        let spec = {
            let store = shared.store.lock().await;
            unescape(&resolve_spec(
                change.spec.as_ref().unwrap_or(&Value::Null),
                store.state(),
            ))
        };
        let missing = unresolved_refs(&spec);
        if !missing.is_empty() {
            return Err(ProviderError::Unresolved { refs: missing });
        }
        pregenerate(&spec, ctx)?;
        let mut current = change.before.clone();
        if change.action == Action::Replace && !provider.replaces_in_place() {
            let old_spec = prior
                .as_ref()
                .map(|p| p.spec.clone())
                .unwrap_or_else(|| spec.clone());
            let attrs = current.clone().unwrap_or(Value::Null);
            shared
                .update_state(|s| set_status(s, &key, Status::Deleting))
                .await?;
            tokio::time::timeout(
                timeout,
                provider.delete(ctx, addr.name(), &old_spec, &attrs),
            )
            .await
            .map_err(|_| timed(format!("deleting {addr}")))??;
            current = None;
        }
        let (status, action) = match change.action {
            Action::Update => (Status::Updating, Action::Update),
            Action::Import => (Status::Updating, Action::Import),
            // The kind replaces it itself (see `Resource::replaces_in_place`).
            Action::Replace if current.is_some() => (Status::Updating, Action::Replace),
            _ => (Status::Creating, Action::Create),
        };
        let depends_on: Vec<String> = change.depends_on.iter().map(|a| a.to_string()).collect();
        let intent = ResourceState {
            kind: addr.kind().to_string(),
            status,
            spec: spec.clone(),
            attributes: prior
                .as_ref()
                .and_then(|p| p.attributes.clone())
                .filter(|_| change.action != Action::Replace || current.is_some()),
            depends_on: depends_on.clone(),
            updated_at: Utc::now(),
        };
        shared
            .update_state(|s| drop(s.resources.insert(key.clone(), intent)))
            .await?;
        let state = tokio::time::timeout(
            timeout,
            provider.apply(ctx, addr.name(), &spec, current.as_ref(), action),
        )
        .await
        .map_err(|_| timed(format!("applying {addr}")))??;
        shared
            .update_state(|s| {
                s.resources.insert(
                    key.clone(),
                    ResourceState {
                        kind: addr.kind().to_string(),
                        status: Status::Ready,
                        spec,
                        attributes: Some(state),
                        depends_on,
                        updated_at: Utc::now(),
                    },
                );
            })
            .await
    }
    .await;
    match result {
        Ok(()) => {
            let elapsed = start.elapsed();
            shared.emit(ApplyEvent::Finished {
                addr,
                action: change.action,
                elapsed,
            });
            Ok(elapsed)
        }
        Err(e) => {
            let _ = shared
                .update_state(|s| set_status(s, &key, Status::Failed))
                .await;
            shared.emit(ApplyEvent::Failed {
                addr,
                action: change.action,
                error: crate::render::error_chain(&e),
                hint: e.hint(),
            });
            Err(e)
        }
    }
}

fn set_status(state: &mut State, key: &str, status: Status) {
    if let Some(r) = state.resources.get_mut(key) {
        r.status = status;
        r.updated_at = Utc::now();
    }
}

/// Evaluates outputs from state; outputs whose references are not known yet are left out.
pub fn evaluate_outputs(outputs: &[OutputDecl], state: &State) -> BTreeMap<String, OutputValue> {
    let mut out = BTreeMap::new();
    for o in outputs {
        let mut complete = true;
        let value = template::substitute(&o.value, true, |p| match p {
            Placeholder::Ref { addr, attr } => {
                let v = state.attribute(addr, attr).map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
                complete &= v.is_some();
                v
            }
            _ => None,
        });
        if complete {
            out.insert(
                o.name.clone(),
                OutputValue {
                    value,
                    sensitive: o.sensitive,
                },
            );
        }
    }
    out
}
