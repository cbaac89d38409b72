//! [`LocalBackend`]: the state as a file on this machine (by default
//! `.forge/state.json` in the work dir), written atomically with mode 0600, the
//! previous version kept as `<file>.backup`, locked with the OS lock of
//! [`StateLock`] (which the kernel drops when its holder dies, so there is never a
//! stale lock to force). A version is the SHA-256 of the file: a write checks it under
//! the lock, so even a process that ignored the lock would be detected.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{BackendError, Expect, LockRecord, RunLock, StateBackend, Stored};
use crate::state::lock::{LockError, LockHolder, StateLock, holder_of};
use crate::state::store::write_atomic;

/// A state file and its lock file.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    path: PathBuf,
    lock: PathBuf,
}

impl LocalBackend {
    /// The state at `path`, locked on `lock`.
    pub fn new(path: &Path, lock: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            lock: lock.to_path_buf(),
        }
    }

    /// A work dir's state as before backends: `.forge/state.json`, locked on `.forge/state.lock`.
    pub fn default_for(work_dir: &Path) -> Self {
        let dir = work_dir.join(".forge");
        Self::new(&dir.join("state.json"), &dir.join("state.lock"))
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> Result<PathBuf, BackendError> {
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        fs::create_dir_all(&dir).map_err(|e| self.io("create the directory of", e))?;
        if dir.file_name().is_some_and(|n| n == ".forge") {
            let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o700));
        }
        Ok(dir)
    }

    fn backup_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".backup");
        PathBuf::from(p)
    }

    fn io(&self, op: &'static str, e: std::io::Error) -> BackendError {
        BackendError::request(op, &self.location(), e)
    }

    fn read_file(&self, path: &Path) -> Result<Option<Vec<u8>>, BackendError> {
        match fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BackendError::request(
                "read",
                &path.display().to_string(),
                e,
            )),
        }
    }
}

/// The version of local bytes: their SHA-256.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl StateBackend for LocalBackend {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn lock(&self, holder: &LockHolder, timeout: Duration) -> Result<Box<dyn RunLock>, LockError> {
        self.dir()?;
        Ok(Box::new(OsLock(StateLock::acquire(
            &self.lock,
            &holder.command,
            timeout,
        )?)))
    }

    fn read(&self) -> Result<Option<Stored>, BackendError> {
        Ok(self.read_file(&self.path)?.map(|bytes| Stored {
            version: digest(&bytes),
            bytes,
        }))
    }

    fn write(&self, bytes: &[u8], expect: Expect<'_>) -> Result<String, BackendError> {
        let dir = self.dir()?;
        let current = self.read()?;
        let ok = match (expect, &current) {
            (Expect::Any, _) | (Expect::Absent, None) => true,
            (Expect::Version(v), Some(c)) => c.version == v,
            _ => false,
        };
        if !ok {
            return Err(BackendError::Conflict {
                location: self.location(),
            });
        }
        write_atomic(&dir, &self.path, bytes)
            .map_err(|e| BackendError::request("write", &self.location(), e))?;
        Ok(digest(bytes))
    }

    fn keep_previous(&self, previous: &Stored) -> Result<(), BackendError> {
        let dir = self.dir()?;
        write_atomic(&dir, &self.backup_path(), &previous.bytes)
            .map_err(|e| BackendError::request("write", &self.location(), e))
    }

    fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        self.read_file(&self.backup_path())
    }

    fn lock_record(&self) -> Result<Option<LockRecord>, BackendError> {
        Ok(holder_of(&self.lock).map(|holder| LockRecord {
            id: String::new(),
            heartbeat: holder.since,
            holder,
            lease_seconds: 0,
        }))
    }

    fn force_unlock(&self, _id: &str) -> Result<LockRecord, BackendError> {
        Err(BackendError::Refused {
            location: self.lock.display().to_string(),
            message: "a local lock is an OS lock, released by the kernel when its holder exits (even on SIGKILL): there is nothing to force; if a run holds it, it is alive".into(),
        })
    }
}

/// The OS lock as a [`RunLock`].
#[derive(Debug)]
struct OsLock(StateLock);

impl RunLock for OsLock {
    fn id(&self) -> Option<&str> {
        None
    }

    fn check(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn release(&mut self) -> Result<(), BackendError> {
        self.0.release();
        Ok(())
    }
}
