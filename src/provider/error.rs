//! [`ProviderError`]: what can go wrong across the provider boundary.

use std::time::Duration;

use crate::secret::SecretError;

/// An error from a provider call. Messages are lowercase; causes are in `source`.
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
    /// A remote API refused or failed a call.
    #[error("{operation} failed: {message}")]
    Api {
        /// What forge was doing, e.g. `CreateBucket polardb`.
        operation: String,
        /// What the server said.
        message: String,
        /// HTTP status, if any.
        status: Option<u16>,
    },
    /// The change would lose data or conflicts with what exists.
    #[error("{0}")]
    Refused(String),
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
    /// Stopped by the user.
    #[error("interrupted")]
    Interrupted,
}

impl ProviderError {
    /// A short hint for the user, if there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            ProviderError::ToolMissing { hint, .. } => Some(hint.clone()),
            ProviderError::NotImplemented { .. } => Some(
                "remove this section from forge.yaml, or exclude it with `--exclude ADDR`".into(),
            ),
            _ => None,
        }
    }
}
