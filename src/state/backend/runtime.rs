//! [`Runtime`]: the small tokio runtime a remote backend runs on (one worker thread).
//! Its requests and heartbeats never wait for the caller's runtime, so a heartbeat
//! keeps beating while an apply is busy, a lock is released from `Drop`, and a
//! synchronous caller (or a test on a current-thread runtime) can wait for a request.

use std::future::Future;
use std::time::Duration;

use super::BackendError;

/// A runtime owned by one backend; shut down (without waiting) when dropped.
#[derive(Debug)]
pub struct Runtime {
    rt: Option<tokio::runtime::Runtime>,
    location: String,
}

impl Runtime {
    /// A runtime with one worker thread named after `name`.
    pub fn new(name: &str, location: &str) -> Result<Self, BackendError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("forge-{name}"))
            .enable_all()
            .build()
            .map_err(|e| BackendError::request("start a runtime for", location, e))?;
        Ok(Self {
            rt: Some(rt),
            location: location.to_string(),
        })
    }

    /// Runs `f` on this runtime and waits for it, from any thread, in or out of
    /// another runtime. Gives up after `limit` (the request timeouts are shorter).
    pub fn block<T, F>(&self, limit: Duration, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle()?.spawn(async move {
            let _ = tx.send(f.await);
        });
        match rx.recv_timeout(limit) {
            Ok(r) => r,
            Err(_) => Err(BackendError::Refused {
                location: self.location.clone(),
                message: format!("no answer within {}s", limit.as_secs()),
            }),
        }
    }

    /// The handle to spawn background tasks (heartbeats) on.
    pub fn handle(&self) -> Result<tokio::runtime::Handle, BackendError> {
        self.rt
            .as_ref()
            .map(|rt| rt.handle().clone())
            .ok_or_else(|| BackendError::Refused {
                location: self.location.clone(),
                message: "the backend is shut down".into(),
            })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
