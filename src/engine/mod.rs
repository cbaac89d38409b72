//! The [`Engine`]: forge as a library. It owns one run of the pipeline — the loaded
//! forge.yaml, the locked state, the resource graph and the providers — and offers the
//! three things a run does: [`Engine::plan`] (refresh, then plan), [`Engine::check_saved`]
//! (is a saved plan still valid?) and [`Engine::apply`] (carry a plan out, emitting
//! [`ApplyEvent`]s for whoever renders progress).
//!
//! The CLI is one caller (parse → engine → render); the engine tests are another, with
//! the fake kind. Nothing here prints or exits: every failure is an [`Error`] for the
//! caller to render, and [`crate::cli`] alone maps errors to exit codes.

mod error;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use error::{Error, ResourceError, StaleReason};

use crate::addr::ResourceAddr;
use crate::apply::{Applier, ApplyEvent, ApplyReport};
use crate::config::Env;
use crate::expand::{self, Declared};
use crate::graph::{ResourceGraph, Selection};
use crate::plan::{Observations, Plan, PlanOptions, Planner, refresh};
use crate::provider::{Action, Ctx, Registry};
use crate::secret::Secrets;
use crate::state::{State, StateStore};

/// How to open a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The work directory: relative paths in forge.yaml resolve here; state lives in its `.forge/`.
    pub work_dir: PathBuf,
    /// Who holds the lock, as the lock file records it (the command line).
    pub holder: String,
    /// How long to wait for another run's lock; zero fails at once.
    pub lock_timeout: Duration,
}

/// What a plan covers: the command line's `--target`, `--exclude`, `--replace`,
/// `--refresh` and `--destroy`, and how many reads run at once.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// Only these (and what they depend on); empty: everything.
    pub targets: Vec<String>,
    /// Leave these out (and what depends on them).
    pub excludes: Vec<String>,
    /// Replace these even if unchanged.
    pub replace: Vec<String>,
    /// Plan to delete everything selected.
    pub destroy: bool,
    /// Read the real world first (`false`: trust state).
    pub refresh: bool,
    /// Reads in flight at once.
    pub parallelism: usize,
}

impl Default for PlanRequest {
    fn default() -> Self {
        Self {
            targets: vec![],
            excludes: vec![],
            replace: vec![],
            destroy: false,
            refresh: true,
            parallelism: 10,
        }
    }
}

/// Whether a provider context may create what it finds missing (generated secrets):
/// planning never does, applying does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read only: generated secrets not yet in state are reported as not generated.
    Plan,
    /// Generated secrets are created on first use and saved with state.
    Apply,
}

/// One locked run: config, state, graph and providers.
pub struct Engine {
    declared: Declared,
    store: StateStore,
    graph: ResourceGraph,
    registry: Registry,
}

impl Engine {
    /// Loads forge.yaml, takes the state lock (waiting up to `lock_timeout`), reads the
    /// state and builds the graph (rejecting cycles).
    pub fn open(
        file: &Path,
        opts: &Options,
        env: &dyn Env,
        registry: Registry,
    ) -> Result<Self, Error> {
        let declared = expand::load(file, &opts.work_dir, env)?;
        let store = StateStore::open_config(&declared.config, &opts.holder, opts.lock_timeout)?;
        Self::new(declared, store, registry)
    }

    /// A run of what a loaded forge.yaml declares against an already locked state.
    pub fn new(declared: Declared, store: StateStore, registry: Registry) -> Result<Self, Error> {
        let graph = ResourceGraph::build(&declared, store.state())?;
        Ok(Self {
            declared,
            store,
            graph,
            registry,
        })
    }

    /// What the loaded forge.yaml declares.
    pub fn declared(&self) -> &Declared {
        &self.declared
    }

    /// The resource graph (config plus what state still holds).
    pub fn graph(&self) -> &ResourceGraph {
        &self.graph
    }

    /// What the state backend warned about when the run opened (a store that ignores
    /// conditional writes, allowed by forge.yaml).
    pub fn state_warnings(&self) -> Vec<String> {
        self.store.warnings()
    }

    /// The state as read when the run opened.
    pub fn state(&self) -> &State {
        self.store.state()
    }

    /// A provider context: secrets from state, the work dir, the per-operation
    /// `timeout`, and `cancel` as the stop signal.
    pub fn context(&self, mode: Mode, timeout: Duration, cancel: CancellationToken) -> Ctx {
        let saved = self.store.state().secrets.clone();
        let secrets = match mode {
            Mode::Plan => Secrets::read_only(saved),
            Mode::Apply => Secrets::new(saved),
        };
        let mut ctx = Ctx::new(self.declared.work_dir().to_path_buf(), secrets);
        ctx.timeout = timeout;
        ctx.cancel = cancel;
        ctx
    }

    /// Refreshes the selected resources (unless `req.refresh` is false) and plans them.
    pub async fn plan(&self, ctx: &Ctx, req: &PlanRequest) -> Result<Plan, Error> {
        let selection = Selection::resolve(&self.graph, &req.targets, &req.excludes, req.destroy)?;
        let mut replace = BTreeSet::new();
        for r in &req.replace {
            let addr: ResourceAddr = r.parse().map_err(|_| Error::UnknownReplace(r.clone()))?;
            if self.declared.resource(&addr).is_none() {
                return Err(Error::UnknownReplace(r.clone()));
            }
            replace.insert(addr);
        }
        let obs = if req.refresh {
            refresh(
                &self.declared,
                &self.graph,
                self.store.state(),
                &self.registry,
                ctx,
                &selection,
                req.parallelism,
            )
            .await
            .map_err(refresh_error)?
        } else {
            Observations::from_state(&self.graph, self.store.state())
        };
        let planner = Planner {
            declared: &self.declared,
            graph: &self.graph,
            state: self.store.state(),
            registry: &self.registry,
        };
        let opts = PlanOptions {
            destroy: req.destroy,
            replace,
        };
        planner
            .plan(&obs, &selection, &opts)
            .map_err(|e| Error::Plan(Box::new(e)))
    }

    /// Whether a plan saved earlier may still be applied: made from this forge.yaml
    /// (same digest) against this state (same lineage and serial).
    pub fn check_saved(&self, plan: &Plan) -> Result<(), StaleReason> {
        if self.declared.digest != plan.config_digest {
            return Err(StaleReason::Config);
        }
        let state = self.store.state();
        if state.lineage != plan.state_lineage && plan.state_serial > 0 {
            return Err(StaleReason::Lineage);
        }
        if state.serial != plan.state_serial {
            return Err(StaleReason::Serial {
                then: plan.state_serial,
                now: state.serial,
            });
        }
        Ok(())
    }

    /// Refuses a plan that would delete everything forge manages because forge.yaml
    /// declares nothing (an emptied or truncated file), unless it is a destroy plan.
    pub fn check_not_emptied(&self, plan: &Plan) -> Result<(), Error> {
        let deletes = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count();
        if !plan.destroy && self.declared.resources.is_empty() && deletes > 0 {
            return Err(Error::EmptiedConfig {
                file: self.declared.config.path.clone(),
                deletes,
            });
        }
        Ok(())
    }

    /// Carries out `plan` with at most `parallelism` changes at once, saving state
    /// around every side effect and sending progress to `events`. Returns the state as
    /// it is afterwards (still locked until dropped) and what happened.
    pub async fn apply(
        self,
        plan: &Plan,
        ctx: Ctx,
        parallelism: usize,
        events: Option<mpsc::UnboundedSender<ApplyEvent>>,
    ) -> Result<Applied, Error> {
        self.check_not_emptied(plan)?;
        let applier = Applier {
            registry: self.registry.clone(),
            ctx,
            parallelism,
            events,
        };
        let (store, report) = applier
            .apply(plan, self.store, &self.declared.outputs)
            .await;
        Ok(Applied { store, report })
    }
}

/// The reads that failed, as one error.
fn refresh_error(errs: Vec<(ResourceAddr, crate::provider::ProviderError)>) -> Error {
    Error::Refresh(
        errs.into_iter()
            .map(|(addr, e)| ResourceError::new(addr, e))
            .collect(),
    )
}

/// What stops whole providers, read without taking the lock (for `forge doctor`): a
/// missing tool, no credentials, a server that does not answer. The same reads as a
/// plan's refresh; nothing is written.
pub async fn preflight(
    declared: &Declared,
    state: &State,
    registry: &Registry,
    ctx: &Ctx,
) -> Result<Vec<crate::plan::Blocker>, Error> {
    let graph = ResourceGraph::build(declared, state)?;
    let obs = refresh(
        declared,
        &graph,
        state,
        registry,
        ctx,
        &Selection::all(),
        10,
    )
    .await
    .map_err(refresh_error)?;
    Ok(obs.blocked)
}

/// What [`Engine::apply`] leaves: the locked state and the report.
pub struct Applied {
    /// The state after the run (the lock is released when this is dropped).
    pub store: StateStore,
    /// What succeeded, failed, was skipped or not run.
    pub report: ApplyReport,
}

impl Applied {
    /// `Ok` when everything planned was done; otherwise the error the run ends with
    /// (state could not be saved, or some changes failed, were skipped or interrupted).
    pub fn outcome(self) -> Result<StateStore, Error> {
        let Applied { store, report } = self;
        if let Some(e) = report.save_error {
            return Err(Error::Save(e));
        }
        if !report.complete() {
            return Err(Error::Incomplete {
                failed: report.failed.len(),
                skipped: report.skipped.len() + report.not_run.len(),
                interrupted: report.interrupted,
            });
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests;
