//! Exit codes: the one place errors become numbers. Documented in the README.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; with `--detailed-exitcode`, no changes |
//! | 1 | error (bad forge.yaml, failed refresh, refused plan, ...) |
//! | 2 | `plan --detailed-exitcode`: changes present |
//! | 3 | apply or destroy finished part of the work and failed the rest |
//! | 4 | the state is locked by another run |
//! | 130 | interrupted (Ctrl-C) after saving state |

use super::Error;
use crate::engine;
use crate::state::{LockError, StoreError};

/// Success.
pub const OK: i32 = 0;
/// Error.
pub const ERROR: i32 = 1;
/// Plan has changes (`--detailed-exitcode`).
pub const CHANGES: i32 = 2;
/// Apply finished part of the work.
pub const INCOMPLETE: i32 = 3;
/// State locked.
pub const LOCKED: i32 = 4;
/// Interrupted.
pub const INTERRUPTED: i32 = 130;

/// The exit code for an error.
pub fn code(e: &Error) -> i32 {
    match e {
        Error::Engine(engine::Error::State(StoreError::Lock(LockError::Held { .. })))
        | Error::State(StoreError::Lock(LockError::Held { .. })) => LOCKED,
        Error::Engine(engine::Error::Incomplete {
            interrupted: true, ..
        }) => INTERRUPTED,
        Error::Engine(engine::Error::Incomplete { .. }) => INCOMPLETE,
        _ => ERROR,
    }
}
