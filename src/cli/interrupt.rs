//! [`Interrupt`]: how Ctrl-C reaches a command. `main` watches the signal; a command
//! that can stop gracefully arms the interrupt when its changes start, and from then on
//! the first Ctrl-C cancels the run's token (nothing new starts, changes in flight
//! finish, state is saved) while a second one quits at once. Before it is armed, and
//! for every other command, Ctrl-C quits at once as usual.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use tokio_util::sync::CancellationToken;

/// Shared between `main`'s signal watcher and the running command.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    cancel: CancellationToken,
    armed: Arc<AtomicBool>,
    received: Arc<AtomicU8>,
}

/// What `main` should do about a Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSignal {
    /// Quit now (not armed, or the second Ctrl-C).
    Quit,
    /// The run was asked to stop gracefully; say so.
    Stopping,
}

impl Interrupt {
    /// A fresh, unarmed interrupt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arms graceful stopping; returns the token the run must watch.
    pub fn arm(&self) -> CancellationToken {
        self.armed.store(true, Ordering::SeqCst);
        self.cancel.clone()
    }

    /// Records a Ctrl-C and says what to do about it.
    pub fn signal(&self) -> OnSignal {
        let n = self.received.fetch_add(1, Ordering::SeqCst) + 1;
        if !self.armed.load(Ordering::SeqCst) || n > 1 {
            return OnSignal::Quit;
        }
        self.cancel.cancel();
        OnSignal::Stopping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unarmed_quits_armed_stops_then_quits() {
        let i = Interrupt::new();
        assert_eq!(i.signal(), OnSignal::Quit);
        let i = Interrupt::new();
        let token = i.arm();
        assert_eq!(i.signal(), OnSignal::Stopping);
        assert!(token.is_cancelled());
        assert_eq!(i.signal(), OnSignal::Quit);
    }
}
