//! What every command needs: the config, the locked state, the graph, the providers,
//! and the plan built from them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Cli, Error, RunArgs};
use crate::addr::ResourceAddr;
use crate::config::{self, Config, ProcessEnv};
use crate::graph::{ResourceGraph, Selection};
use crate::plan::{Observations, Plan, PlanOptions, Planner, refresh};
use crate::provider::{Ctx, Registry};
use crate::render::Style;
use crate::secret::Secrets;
use crate::state::StateStore;

/// Global options.
pub struct Global {
    /// forge.yaml.
    pub file: PathBuf,
    /// The work dir.
    pub work_dir: PathBuf,
    /// Output style.
    pub style: Style,
}

impl Global {
    pub fn new(cli: &Cli) -> Self {
        let work_dir = cli
            .work_dir
            .clone()
            .unwrap_or_else(|| match cli.file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            });
        let mut style = Style::detect();
        if cli.no_color {
            style.color = false;
        }
        Self {
            file: cli.file.clone(),
            work_dir,
            style,
        }
    }

    pub fn config(&self) -> Result<Config, Error> {
        Ok(config::load(&self.file, &self.work_dir, &ProcessEnv)?)
    }

    /// The command line as the lock file records it.
    pub fn command_line() -> String {
        let args: Vec<String> = std::env::args().collect();
        let mut out = vec!["forge".to_string()];
        out.extend(args.into_iter().skip(1));
        out.join(" ")
    }
}

/// A locked run.
pub struct Session {
    pub config: Config,
    pub store: StateStore,
    pub graph: ResourceGraph,
    pub registry: Registry,
}

impl Session {
    pub fn open(global: &Global, lock_timeout: std::time::Duration) -> Result<Self, Error> {
        let config = global.config()?;
        let store = StateStore::open(&global.work_dir, &Global::command_line(), lock_timeout)?;
        let graph = ResourceGraph::build(&config, store.state())?;
        Ok(Self {
            config,
            store,
            graph,
            registry: crate::providers::registry(),
        })
    }

    /// A provider context; `apply` contexts may generate secrets, plan contexts may not.
    pub fn ctx(&self, work_dir: &Path, run: &RunArgs, for_apply: bool) -> Ctx {
        let saved = self.store.state().secrets.clone();
        let secrets = if for_apply {
            Secrets::new(saved)
        } else {
            Secrets::read_only(saved)
        };
        let mut ctx = Ctx::new(work_dir.to_path_buf(), secrets);
        ctx.timeout = run.timeout;
        ctx
    }

    /// Refreshes and plans.
    pub async fn plan(
        &self,
        ctx: &Ctx,
        run: &RunArgs,
        replace: &[String],
        destroy: bool,
    ) -> Result<Plan, Error> {
        let selection = Selection::resolve(&self.graph, &run.targets, &run.excludes, destroy)?;
        let mut replace_set = BTreeSet::new();
        for r in replace {
            let addr: ResourceAddr = r.parse().map_err(|_| Error::UnknownReplace(r.clone()))?;
            if self.config.resource(&addr).is_none() {
                return Err(Error::UnknownReplace(r.clone()));
            }
            replace_set.insert(addr);
        }
        let obs = if run.refresh {
            refresh(
                &self.config,
                &self.graph,
                self.store.state(),
                &self.registry,
                ctx,
                &selection,
                run.parallelism as usize,
            )
            .await
            .map_err(|errs| {
                Error::Refresh(
                    errs.iter()
                        .map(|(a, e)| super::error::ResourceError::new(a.clone(), e))
                        .collect(),
                )
            })?
        } else {
            Observations::from_state(&self.graph, self.store.state())
        };
        let planner = Planner {
            config: &self.config,
            graph: &self.graph,
            state: self.store.state(),
            registry: &self.registry,
        };
        let opts = PlanOptions {
            destroy,
            replace: replace_set,
        };
        planner
            .plan(&obs, &selection, &opts)
            .map_err(|e| Error::Plan(Box::new(e)))
    }
}
