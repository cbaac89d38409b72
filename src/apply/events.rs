//! Progress events: workers send them, one renderer prints them.

use std::time::Duration;

use crate::addr::ResourceAddr;
use crate::provider::Action;

/// Something that happened during apply.
#[derive(Debug, Clone)]
pub enum ApplyEvent {
    /// Work on a resource started.
    Started {
        /// The resource.
        addr: ResourceAddr,
        /// What is being done.
        action: Action,
    },
    /// Work on a resource finished.
    Finished {
        /// The resource.
        addr: ResourceAddr,
        /// What was done.
        action: Action,
        /// How long it took.
        elapsed: Duration,
    },
    /// Work on a resource failed.
    Failed {
        /// The resource.
        addr: ResourceAddr,
        /// What was attempted.
        action: Action,
        /// The error and its causes, one line.
        error: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// A resource was not touched because something it needs failed.
    Skipped {
        /// The resource.
        addr: ResourceAddr,
        /// What would have been done.
        action: Action,
        /// The failed dependency.
        because: ResourceAddr,
    },
}
