//! [`SyncError`]: why one object could not be copied, or a side could not be listed.

use crate::provider::{Cause, ProviderError};

/// Why a listing or an object's copy failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// An S3 call failed (after its retries).
    #[error(transparent)]
    Call(#[from] ProviderError),
    /// The object's body ended before its size.
    #[error("GetObject {key}: the object ended at byte {at} of {size}")]
    Truncated {
        /// Relative key.
        key: String,
        /// Where it ended.
        at: u64,
        /// Its listed size.
        size: u64,
    },
    /// The object is not the one listed any more (another size, or another ETag
    /// between two reads of one copy); the next sync copies it as it is then.
    #[error("GetObject {key}: the object changed during the sync ({why})")]
    Changed {
        /// Relative key.
        key: String,
        /// What changed.
        why: String,
    },
    /// The store answered in a way this copy cannot use.
    #[error("GetObject {key}: {why}")]
    Unsupported {
        /// Relative key.
        key: String,
        /// What the answer lacked, and what to do.
        why: String,
    },
    /// The object's body kept breaking while streamed.
    #[error("GetObject {key}: the download broke {times} times")]
    Stream {
        /// Relative key.
        key: String,
        /// How often it broke.
        times: u32,
        /// The last break.
        #[source]
        source: Cause,
    },
}
