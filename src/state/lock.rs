//! The run lock: an OS advisory lock (flock) on `.forge/state.lock`, held for a whole
//! plan, apply or destroy. The kernel drops it when the holder exits, even on SIGKILL,
//! so a lock never outlives its holder. The file also says who holds it, for the error
//! the next run prints.
//!
//! Remote backends lock differently (a lock object, a Lease: see [`super::backend`]) but
//! fail with the same [`LockError`], so the CLI maps every "locked" to exit code 4.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who holds the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// The command line, e.g. `forge apply`.
    pub command: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

impl LockHolder {
    /// This process, running `command`, from now.
    pub fn me(command: &str) -> Self {
        Self {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: Utc::now(),
        }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, since {})",
            self.command,
            self.pid,
            self.host,
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// How long a lock went without a heartbeat, against its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staleness {
    /// Since the holder last renewed it.
    pub silent_for: Duration,
    /// How long a renewal is valid.
    pub lease: Duration,
}

/// Taking the lock failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it (or held it and went silent: `stale`).
    #[error("the state is locked by {}{}{}",
        holder.as_ref().map(|h| h.to_string()).unwrap_or_else(|| "another forge run".into()),
        id.as_ref().map(|i| format!(", lock ID {i}")).unwrap_or_default(),
        match (stale, id) {
            (Some(s), Some(i)) => format!("; the lock is stale: no heartbeat for {}s (lease {}s), so that run looks dead; if it is, run `forge force-unlock {i}` (or wait with --lock-timeout, which takes a stale lock)", s.silent_for.as_secs(), s.lease.as_secs()),
            _ => String::new(),
        })]
    Held {
        /// Who, if the lock says.
        holder: Option<Box<LockHolder>>,
        /// The lock's ID, for `forge force-unlock` (remote locks only).
        id: Option<String>,
        /// Where the lock is (a file, an object, a Lease).
        location: String,
        /// Set when the holder stopped renewing it for longer than its lease.
        stale: Option<Staleness>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock `{path}`")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The backend could not be asked, or cannot lock safely.
    #[error(transparent)]
    Backend(#[from] super::backend::BackendError),
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
    released: bool,
}

impl StateLock {
    /// Takes the lock, waiting up to `timeout` for another run to finish.
    pub fn acquire(path: &Path, command: &str, timeout: Duration) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= timeout {
                        return Err(LockError::Held {
                            holder: read_holder(&mut file).map(Box::new),
                            id: None,
                            location: path.display().to_string(),
                            stale: None,
                        });
                    }
                    std::thread::sleep(
                        Duration::from_millis(100).min(
                            timeout
                                .saturating_sub(start.elapsed())
                                .max(Duration::from_millis(1)),
                        ),
                    );
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let holder = LockHolder::me(command);
        let body = serde_json::to_vec(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&body))
            .and_then(|_| file.sync_all())
            .map_err(io)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            released: false,
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl StateLock {
    /// Releases it: clears the holder first so a reader never sees a stale name, then
    /// unlocks (the kernel would when the file closes). Idempotent.
    pub fn release(&mut self) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        self.release();
    }
}

/// Who holds the lock file at `path` now, if it names anyone (it is emptied on release).
pub fn holder_of(path: &Path) -> Option<LockHolder> {
    let mut file = File::open(path).ok()?;
    read_holder(&mut file)
}

fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut s = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut s).ok()?;
    serde_json::from_str(&s).ok()
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_naming_the_holder_then_succeeds_after_release() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.lock");
        let first = StateLock::acquire(&path, "forge apply", Duration::ZERO).expect("first lock");
        let err =
            StateLock::acquire(&path, "forge plan", Duration::from_millis(200)).expect_err("held");
        match &err {
            LockError::Held {
                holder: Some(h), ..
            } => {
                assert_eq!(h.pid, std::process::id());
                assert_eq!(h.command, "forge apply");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("forge apply"));
        drop(first);
        StateLock::acquire(&path, "forge plan", Duration::ZERO).expect("free again");
    }
}
