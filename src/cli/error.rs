//! The CLI's one error type: the engine's errors and the command line's own;
//! [`super::exit::code`] maps it to an exit code.

use std::path::PathBuf;

use crate::engine;
use crate::state::StoreError;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The engine failed (config, state, refresh, plan or apply).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Engine(#[from] engine::Error),
    /// A saved plan no longer matches config or state.
    #[error("the saved plan `{path}` is stale: {reason}")]
    #[diagnostic(code(forge::stale_plan), help("run `forge plan --out {}` again", path.display()))]
    StalePlan {
        /// The plan file.
        path: PathBuf,
        /// What moved.
        reason: engine::StaleReason,
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
    /// The state could not be read or written outside a run (`forge state`, `forge output`).
    #[error(transparent)]
    #[diagnostic(code(forge::state))]
    State(#[from] StoreError),
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
    /// The command exists, but this forge was built without the cargo feature it needs.
    #[error("this forge was built without `forge {command}`")]
    #[diagnostic(code(forge::not_built), help("{hint}"))]
    NotBuilt {
        /// The command.
        command: &'static str,
        /// How to build a forge that has it.
        hint: &'static str,
    },
    /// A query failed.
    #[cfg(feature = "query")]
    #[error(transparent)]
    #[diagnostic(code(forge::query))]
    Query(Box<crate::query::QueryError>),
    /// A call to a server failed.
    #[error(transparent)]
    #[diagnostic(code(forge::provider))]
    Provider(Box<crate::provider::ProviderError>),
    /// A store could not be reached or listed.
    #[error("the sync could not start")]
    #[diagnostic(code(forge::store))]
    Sync(#[from] crate::providers::aws::sync::SyncError),
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

impl From<crate::config::Error> for Error {
    fn from(e: crate::config::Error) -> Self {
        Error::Engine(e.into())
    }
}

impl From<Box<crate::config::Problems>> for Error {
    fn from(e: Box<crate::config::Problems>) -> Self {
        Error::Engine(e.into())
    }
}
