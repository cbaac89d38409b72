//! [`Error`]: how a run of the engine fails, each variant a miette diagnostic the CLI
//! renders as it is (exit codes are the CLI's business, in `cli::exit`).

use std::path::PathBuf;

use crate::addr::ResourceAddr;
use crate::config;
use crate::graph::SelectError;
use crate::plan::PlanError;
use crate::provider::ProviderError;
use crate::state::StoreError;

/// Everything a run of the engine can fail with.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// forge.yaml could not be read or is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] config::Error),
    /// A problem found after loading (a dependency cycle).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(#[from] Box<config::Problems>),
    /// `--target`/`--exclude` matched nothing.
    #[error(transparent)]
    #[diagnostic(
        code(forge::select),
        help("run `forge state list` or `forge graph` to see the addresses")
    )]
    Select(#[from] SelectError),
    /// A `--replace` address is not declared.
    #[error("`{0}` (--replace) is not a resource in forge.yaml")]
    #[diagnostic(code(forge::select))]
    UnknownReplace(String),
    /// The state could not be locked, read or written.
    #[error(transparent)]
    #[diagnostic(code(forge::state))]
    State(#[from] StoreError),
    /// Reading the real world failed.
    #[error("could not read {} resource{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    #[diagnostic(code(forge::refresh))]
    Refresh(#[related] Vec<ResourceError>),
    /// A provider could not plan.
    #[error(transparent)]
    #[diagnostic(code(forge::plan))]
    Plan(#[from] Box<PlanError>),
    /// forge.yaml declares nothing, and the plan would delete everything forge manages.
    #[error(
        "`{}` declares no resources, so this apply would delete all {deletes} that forge manages",
        file.display()
    )]
    #[diagnostic(
        code(forge::emptied_config),
        help(
            "if that is what you want, run `forge destroy`; otherwise check that you are pointing forge at the right file (`-f`)"
        )
    )]
    EmptiedConfig {
        /// The forge.yaml that declares nothing.
        file: PathBuf,
        /// How many deletions the plan holds.
        deletes: usize,
    },
    /// Some changes failed or were skipped.
    #[error("{failed} change{} failed, {skipped} skipped{}; what succeeded is saved in state, so the next apply continues from here", if *.failed == 1 { "" } else { "s" }, if *.interrupted { ", run interrupted" } else { "" })]
    #[diagnostic(code(forge::apply_incomplete))]
    Incomplete {
        /// Failed changes.
        failed: usize,
        /// Skipped or not started changes.
        skipped: usize,
        /// The user interrupted the run (Ctrl-C).
        interrupted: bool,
    },
    /// State could not be saved during apply.
    #[error(transparent)]
    #[diagnostic(code(forge::state))]
    Save(#[from] crate::apply::SaveError),
}

/// Why a saved plan can no longer be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaleReason {
    /// forge.yaml, or a variable it reads, is not what the plan was made from.
    #[error("forge.yaml (or a variable it reads) changed since the plan was made")]
    Config,
    /// The state was replaced by another one.
    #[error("the state belongs to another lineage")]
    Lineage,
    /// The state was written since.
    #[error("the state changed since the plan was made (serial {then} then, {now} now)")]
    Serial {
        /// The serial the plan was made against.
        then: u64,
        /// The serial now.
        now: u64,
    },
}

/// One resource's failure, for lists of them. The cause is kept whole; it is flattened
/// into one line only when displayed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{addr}: {}", crate::render::error_chain(.error))]
pub struct ResourceError {
    /// The resource.
    pub addr: ResourceAddr,
    /// What went wrong.
    pub error: ProviderError,
    /// What to do about it.
    #[help]
    pub hint: Option<String>,
}

impl ResourceError {
    /// From a provider error, keeping its hint.
    pub fn new(addr: ResourceAddr, error: ProviderError) -> Self {
        let hint = error.hint();
        Self { addr, error, hint }
    }
}
