//! [`StateStore`]: loading and atomically saving the state file under the run lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::lock::{LockError, StateLock};
use super::{FORMAT_VERSION, State};

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Reading or writing failed.
    #[error("cannot {op} `{path}`")]
    Io {
        /// `read`, `write`, ...
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid state JSON.
    #[error("`{path}` is not a valid forge state file")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer forge.
    #[error("`{path}` has state format {found}; this forge reads format {FORMAT_VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
}

/// The state directory, locked for this run, and the state in it.
#[derive(Debug)]
pub struct StateStore {
    dir: PathBuf,
    state: State,
    backed_up: bool,
    _lock: StateLock,
}

impl StateStore {
    /// The state directory for a work dir.
    pub fn dir_for(work_dir: &Path) -> PathBuf {
        work_dir.join(".forge")
    }

    /// Locks and loads the state (an empty one if there is none yet).
    pub fn open(
        work_dir: &Path,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let dir = Self::dir_for(work_dir);
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            op: "create",
            path: dir.clone(),
            source,
        })?;
        let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o700));
        let lock = StateLock::acquire(&dir.join("state.lock"), command, lock_timeout)?;
        let state = read(&dir.join("state.json"))?.unwrap_or_default();
        Ok(Self {
            dir,
            state,
            backed_up: false,
            _lock: lock,
        })
    }

    /// Reads the state without locking (for `forge output`, `show`): may be mid-run.
    pub fn peek(work_dir: &Path) -> Result<Option<State>, StoreError> {
        read(&Self::dir_for(work_dir).join("state.json"))
    }

    /// The state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, to change before [`save`](Self::save).
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// Path of the state file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Writes the state: serial + 1, atomically, mode 0600. The first save of a run keeps
    /// the state as it was before the run in `state.json.backup`.
    pub fn save(&mut self) -> Result<(), StoreError> {
        self.state.serial += 1;
        self.state.forge_version = env!("CARGO_PKG_VERSION").to_string();
        let path = self.path();
        let body =
            serde_json::to_vec_pretty(&self.state).map_err(|source| StoreError::Corrupt {
                path: path.clone(),
                source,
            })?;
        if !self.backed_up && path.exists() {
            let backup = self.dir.join("state.json.backup");
            let old = fs::read(&path).map_err(|source| StoreError::Io {
                op: "read",
                path: path.clone(),
                source,
            })?;
            write_atomic(&self.dir, &backup, &old)?;
        }
        write_atomic(&self.dir, &path, &body)?;
        self.backed_up = true;
        Ok(())
    }
}

fn read(path: &Path) -> Result<Option<State>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                op: "read",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let version: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
            path: path.to_path_buf(),
            source,
        })?;
    let found = version.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if found > FORMAT_VERSION {
        return Err(StoreError::Version {
            path: path.to_path_buf(),
            found,
        });
    }
    serde_json::from_value(version)
        .map(Some)
        .map_err(|source| StoreError::Corrupt {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes `body` to `path` through a 0600 temp file in `dir`, fsyncs it, renames it over
/// `path` and fsyncs `dir`, so a crash leaves either the old or the new file, whole.
pub fn write_atomic(dir: &Path, path: &Path, body: &[u8]) -> Result<(), StoreError> {
    let io = |op, source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io("create", e))?;
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| io("chmod", e))?;
    f.write_all(body).map_err(|e| io("write", e))?;
    f.sync_all().map_err(|e| io("fsync", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("fsync directory of", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_with_0600_and_backup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = StateStore::open(dir.path(), "test", Duration::ZERO).expect("open");
        first.state_mut().secrets.insert("k".into(), "v".into());
        first.save().expect("save 1");
        drop(first);
        // The next run backs up the state as it was before it, once.
        let mut store = StateStore::open(dir.path(), "test", Duration::ZERO).expect("reopen");
        store.state_mut().secrets.insert("k".into(), "v2".into());
        store.save().expect("save 2");
        store.state_mut().secrets.insert("k".into(), "v3".into());
        store.save().expect("save 3");
        let path = store.path();
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let backup: State =
            serde_json::from_slice(&fs::read(path.with_extension("json.backup")).expect("backup"))
                .expect("json");
        assert_eq!(backup.serial, 1);
        assert_eq!(backup.secrets["k"], "v");
        assert_eq!(store.state().serial, 3);
        let leftovers: Vec<_> = fs::read_dir(path.parent().expect("dir"))
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "no temp files left behind");
        let dir_mode = fs::metadata(path.parent().expect("dir"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
    }

    #[test]
    fn lineage_survives_reload_and_newer_format_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lineage = {
            let mut s = StateStore::open(dir.path(), "test", Duration::ZERO).expect("open");
            s.save().expect("save");
            s.state().lineage.clone()
        };
        let s = StateStore::open(dir.path(), "test", Duration::ZERO).expect("reopen");
        assert_eq!(s.state().lineage, lineage);
        drop(s);
        let path = StateStore::dir_for(dir.path()).join("state.json");
        fs::write(&path, r#"{"version": 99}"#).expect("write");
        assert!(matches!(
            StateStore::open(dir.path(), "test", Duration::ZERO),
            Err(StoreError::Version { found: 99, .. })
        ));
    }
}
