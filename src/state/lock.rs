//! The run lock: an OS advisory lock (flock) on `.forge/state.lock`, held for a whole
//! plan, apply or destroy. The kernel drops it when the holder exits, even on SIGKILL,
//! so a lock never outlives its holder. The file also says who holds it, for the error
//! the next run prints.

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

/// Taking the lock failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("the state is locked by {}", holder.as_ref().map(|h| h.to_string()).unwrap_or_else(|| "another forge run".into()))]
    Held {
        /// Who, if the lock file says.
        holder: Option<LockHolder>,
        /// The lock file.
        path: PathBuf,
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
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
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
                            holder: read_holder(&mut file),
                            path: path.to_path_buf(),
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
        let holder = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: Utc::now(),
        };
        let body = serde_json::to_vec(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&body))
            .and_then(|_| file.sync_all())
            .map_err(io)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Clear the holder first so a reader never sees a stale name; the kernel
        // releases the lock itself when the file closes.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
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
