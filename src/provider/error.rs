//! [`ProviderError`]: what can go wrong across the provider boundary.
//!
//! The contract every provider keeps: an error says what forge was doing (the
//! operation), keeps the server's own status, code and message where there is one,
//! keeps a client-side cause as its `#[source]`, and carries a remedy ([`hint`]) where
//! forge knows one. Messages are lowercase sentences, never `{:?}` of an SDK type;
//! the renderer alone flattens the chain into one line.
//!
//! [`hint`]: ProviderError::hint

use std::time::Duration;

use crate::secret::SecretError;

/// A cause kept whole: any error of a client library.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error from a provider call.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A spec or state did not have the shape the provider expects (a bug, or a state
    /// file written by another version).
    #[error("cannot decode the {what} of a `{kind}`")]
    Decode {
        /// Resource kind.
        kind: String,
        /// `spec` or `state`.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A program forge needs is not installed.
    #[error("`{tool}` is not installed or not on PATH")]
    ToolMissing {
        /// The program.
        tool: String,
        /// How to install it.
        hint: String,
    },
    /// A program forge ran failed.
    #[error("`{program} {args}` failed ({status}): {stderr}")]
    Command {
        /// The program.
        program: String,
        /// Its arguments, joined.
        args: String,
        /// Exit status.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// The server answered with an error.
    #[error("{operation} failed: {message}{}", status_suffix(*.status, .code.as_deref()))]
    Api {
        /// What forge was doing, e.g. `CreateBucket polardb`.
        operation: String,
        /// HTTP status, if the call got that far.
        status: Option<u16>,
        /// The server's error code or type, e.g. `BucketAlreadyExists`.
        code: Option<String>,
        /// The server's own message (or what its status means when it sent none).
        message: String,
        /// What to do about it, where forge knows.
        hint: Option<String>,
    },
    /// The server could not be reached: refused, unknown host, TLS, or no answer in time.
    #[error("{operation} failed: {endpoint} is not reachable: {reason}")]
    Unreachable {
        /// What forge was doing.
        operation: String,
        /// The server, as forge.yaml names it.
        endpoint: String,
        /// Why, in words (connection refused, unknown host, ...).
        reason: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// No usable credentials for the call.
    #[error("{operation} failed: {reason}")]
    Credentials {
        /// What forge was doing.
        operation: String,
        /// What is missing or expired.
        reason: String,
        /// What to do about it.
        hint: String,
    },
    /// A client-side step failed (reading a kubeconfig, building a request).
    #[error("{operation} failed")]
    Client {
        /// What forge was doing.
        operation: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// What the resource lives on is not there yet (its cluster is not created, its
    /// store's keys are not generated).
    #[error("{what} is not ready: {reason}")]
    NotReady {
        /// The thing that is not ready.
        what: String,
        /// Why.
        reason: String,
    },
    /// forge will not do it: the change would lose data, or conflicts with what exists.
    #[error("{message}")]
    Conflict {
        /// What would happen.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// What was applied failed for good (e.g. a Job that exhausted its retries).
    #[error("{what} failed: {reason}")]
    Failed {
        /// The thing that failed.
        what: String,
        /// Its own account of why.
        reason: String,
        /// What to do about it, where forge knows (e.g. the remedy of the first of many
        /// failed copies).
        hint: Option<String>,
    },
    /// Something took longer than allowed.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long forge waited.
        after: Duration,
    },
    /// A secret could not be read.
    #[error("cannot read a secret")]
    Secret(#[from] SecretError),
    /// The kind is modelled but this version of forge cannot apply it yet.
    #[error("forge cannot create, change or delete `{kind}` resources yet")]
    NotImplemented {
        /// The kind.
        kind: String,
    },
    /// The spec still holds values known only after other resources are applied.
    #[error("values are still unknown: {}", .refs.join(", "))]
    Unresolved {
        /// The `${kind.name.attr}` references left.
        refs: Vec<String>,
    },
    /// The plan found it cannot be applied (a missing tool, no credentials): refused
    /// before any call.
    #[error("not applied: {reason}")]
    Blocked {
        /// Why.
        reason: String,
        /// What to do.
        hint: Option<String>,
    },
    /// State could not be saved, so the change was not started.
    #[error("state could not be saved")]
    StateNotSaved,
    /// Stopped by the user.
    #[error("interrupted")]
    Interrupted,
}

fn status_suffix(status: Option<u16>, code: Option<&str>) -> String {
    match (status, code) {
        (Some(s), Some(c)) => format!(" (HTTP {s}, {c})"),
        (Some(s), None) => format!(" (HTTP {s})"),
        (None, Some(c)) => format!(" ({c})"),
        (None, None) => String::new(),
    }
}

impl ProviderError {
    /// A short remedy for the user, if forge knows one.
    pub fn hint(&self) -> Option<String> {
        match self {
            ProviderError::ToolMissing { hint, .. } | ProviderError::Credentials { hint, .. } => {
                Some(hint.clone())
            }
            ProviderError::Api { hint, .. }
            | ProviderError::Failed { hint, .. }
            | ProviderError::Unreachable { hint, .. }
            | ProviderError::Conflict { hint, .. }
            | ProviderError::Blocked { hint, .. } => hint.clone(),
            ProviderError::NotImplemented { .. } => Some(
                "remove this section from forge.yaml, or exclude it with `--exclude ADDR`".into(),
            ),
            _ => None,
        }
    }

    /// The HTTP status the server answered with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            ProviderError::Api { status, .. } => *status,
            _ => None,
        }
    }

    /// The service's error code (e.g. `NoSuchEntity`), if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ProviderError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether the server could not be reached at all (nothing in it can be seen).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ProviderError::Unreachable { .. })
    }
}
