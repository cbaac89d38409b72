//! The CLI's one error type; [`crate::exit::code`] maps it to an exit code.

use std::path::PathBuf;

use crate::addr::ResourceAddr;
use crate::config;
use crate::graph::SelectError;
use crate::plan::PlanError;
use crate::provider::ProviderError;
use crate::state::StoreError;

/// Everything a command can fail with.
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
    /// A saved plan no longer matches config or state.
    #[error("the saved plan `{path}` is stale: {reason}")]
    #[diagnostic(code(forge::stale_plan), help("run `forge plan --out {}` again", path.display()))]
    StalePlan {
        /// The plan file.
        path: PathBuf,
        /// What moved.
        reason: String,
    },
    /// A saved plan could not be read.
    #[error("cannot read the saved plan `{path}`: {reason}")]
    #[diagnostic(code(forge::plan_file))]
    PlanFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Apply needs confirmation and there is no terminal to ask on.
    #[error("apply needs confirmation, and there is no terminal to ask on")]
    #[diagnostic(
        code(forge::approval),
        help(
            "run with --auto-approve, or apply a saved plan: `forge plan --out tfplan && forge apply tfplan`"
        )
    )]
    NeedsApproval,
    /// The user did not answer `yes`.
    #[error("apply cancelled")]
    #[diagnostic(code(forge::cancelled))]
    Cancelled,
    /// Some changes failed or were skipped.
    #[error("{failed} change{} failed, {skipped} skipped{}; what succeeded is saved in state, so the next apply continues from here", if *.failed == 1 { "" } else { "s" }, if *.interrupted { ", run interrupted" } else { "" })]
    #[diagnostic(code(forge::apply_incomplete))]
    Incomplete {
        /// Failed changes.
        failed: usize,
        /// Skipped changes.
        skipped: usize,
        /// Interrupted by the user.
        interrupted: bool,
    },
    /// State could not be saved during apply.
    #[error(transparent)]
    #[diagnostic(code(forge::state))]
    Save(#[from] crate::apply::SaveError),
    /// `forge state show/rm` of an address not in state, or `forge output NAME` unknown.
    #[error("{0}")]
    #[diagnostic(code(forge::not_found))]
    NotFound(String),
    /// Writing a file failed.
    #[error("cannot write `{path}`")]
    #[diagnostic(code(forge::io))]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command-line argument is not usable.
    #[error("{0}")]
    #[diagnostic(code(forge::usage))]
    Usage(String),
    /// A store could not be reached or listed.
    #[error("{0}")]
    #[diagnostic(code(forge::store))]
    Store(String),
    /// An Iceberg rewrite failed.
    #[error(transparent)]
    #[diagnostic(code(forge::iceberg))]
    Rewrite(#[from] crate::iceberg::RewriteError),
    /// `forge schema --check` found a difference.
    #[error("`{0}` is out of date")]
    #[diagnostic(
        code(forge::schema_drift),
        help("run `forge schema` and commit the result")
    )]
    SchemaDrift(PathBuf),
}

/// One resource's failure, for lists of them.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{addr}: {message}")]
pub struct ResourceError {
    /// The resource.
    pub addr: ResourceAddr,
    /// The error chain on one line.
    pub message: String,
    /// A hint.
    #[help]
    pub hint: Option<String>,
}

impl ResourceError {
    /// From a provider error.
    pub fn new(addr: ResourceAddr, e: &ProviderError) -> Self {
        Self {
            addr,
            message: crate::render::error_chain(e),
            hint: e.hint(),
        }
    }
}
