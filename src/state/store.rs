//! [`StateStore`]: the state of one run, locked, read from its [`StateBackend`] and
//! saved back to it.
//!
//! Opening takes the backend's lock first and reads the state after, so what a run
//! reads is what no other run can change until it ends. Every save is serial + 1,
//! conditional on the version this run read or last wrote, sealed first when
//! encryption is on ([`super::crypt`]); the first save of a run keeps the version it
//! replaces ([`StateBackend::keep_previous`]). The lock is released when the store is
//! dropped (or by [`StateStore::close`], which reports a failure to release).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::local::LocalBackend;
use super::backend::{
    BackendError, BackendSpec, EncryptionSpec, Expect, RunLock, StateBackend, Stored,
};
use super::crypt::{self, CryptError, Header, Key};
use super::lock::{LockError, LockHolder};
use super::{FORMAT_VERSION, State};
use crate::config::Config;
use crate::secret::{SecretError, Secrets};

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The backend failed (a request, a concurrent writer, a lost lock).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Reading or writing a local file failed.
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
    /// The stored bytes are not a valid state.
    #[error("{location} is not a valid forge state")]
    Corrupt {
        /// Where.
        location: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer forge.
    #[error("{location} has state format {found}; this forge reads format {FORMAT_VERSION}")]
    Version {
        /// Where.
        location: String,
        /// The version found.
        found: u32,
    },
    /// The state is encrypted and this run cannot decrypt it.
    #[error("the state in {location} is encrypted (lineage {}, serial {}, written by forge {}) with the passphrase from {wanted}, and {why}", header.lineage, header.serial, header.forge_version)]
    Encrypted {
        /// Where.
        location: String,
        /// Its readable header.
        header: Box<Header>,
        /// The passphrase it was written with, as forge.yaml named it then.
        wanted: String,
        /// Why this run cannot decrypt it.
        why: String,
    },
    /// forge.yaml asks for encryption, the stored state is not encrypted.
    #[error(
        "forge.yaml asks for an encrypted state, but the state in {location} is not encrypted: run `forge state encrypt` to encrypt it (or remove `backend.encryption`)"
    )]
    NotEncrypted {
        /// Where.
        location: String,
    },
    /// The passphrase could not be read.
    #[error("cannot read the state passphrase ({label})")]
    Passphrase {
        /// How forge.yaml names it.
        label: String,
        /// Why.
        #[source]
        source: SecretError,
    },
    /// Encryption or decryption failed.
    #[error(transparent)]
    Crypt(#[from] CryptError),
    /// A state command refused to do what it was asked (push, migrate).
    #[error("{0}")]
    Refused(String),
}

/// A passphrase, read, with how forge.yaml names it.
#[derive(Clone)]
pub struct Passphrase {
    value: String,
    /// `env NAME`, `file PATH`.
    pub label: String,
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Passphrase({})", self.label)
    }
}

impl Passphrase {
    /// The passphrase itself.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// A passphrase given directly (tests, `--old-passphrase-env`).
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }

    /// Reads the passphrase forge.yaml names.
    pub fn read(spec: &EncryptionSpec) -> Result<Self, StoreError> {
        let value = Secrets::read_only(Default::default())
            .resolve(&spec.passphrase)
            .map_err(|source| StoreError::Passphrase {
                label: spec.label.clone(),
                source,
            })?;
        Ok(Self::new(value, spec.label.clone()))
    }
}

/// How a run reads and writes the state's bytes: which passphrase, if any.
#[derive(Debug, Clone, Default)]
pub struct Sealing {
    /// The passphrase to decrypt and encrypt with; `None`: plain JSON.
    pub passphrase: Option<Passphrase>,
    /// Accept a plain state even with a passphrase (turning encryption on).
    pub accept_plain: bool,
}

impl Sealing {
    /// What forge.yaml's `backend.encryption` asks for; `Err` if its passphrase cannot be read.
    pub fn from_spec(spec: Option<&EncryptionSpec>) -> Result<Self, StoreError> {
        Ok(Self {
            passphrase: spec.map(Passphrase::read).transpose()?,
            accept_plain: false,
        })
    }
}

/// Time this run spent on its backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Timings {
    /// Taking the lock.
    pub lock: Duration,
    /// Reading (and decrypting) the state.
    pub read: Duration,
    /// Saves made.
    pub writes: u32,
    /// All saves together (encryption included).
    pub write: Duration,
    /// Releasing the lock.
    pub release: Duration,
}

/// The state, locked for this run, and where it is saved.
#[derive(Debug)]
pub struct StateStore {
    backend: Arc<dyn StateBackend>,
    lock: Option<Box<dyn RunLock>>,
    state: State,
    stored: Option<Stored>,
    backed_up: bool,
    key: Option<Key>,
    timings: Timings,
}

/// Decodes stored bytes: plain JSON, or an envelope opened with `sealing`'s passphrase.
/// Returns the state and the key to write with (the envelope's, so its salt is reused).
pub fn decode(
    location: &str,
    bytes: &[u8],
    sealing: &Sealing,
) -> Result<(State, Option<Key>), StoreError> {
    let (plain, key) = match crypt::envelope(bytes) {
        Some(env) => {
            let Some(p) = &sealing.passphrase else {
                return Err(StoreError::Encrypted {
                    location: location.to_string(),
                    wanted: env.encryption.passphrase.clone(),
                    header: Box::new(env.forge_state),
                    why: "forge.yaml gives no passphrase (`backend.encryption`)".into(),
                });
            };
            let key = Key::for_envelope(&env, &p.value, &p.label)?;
            (key.open(&env)?, Some(key))
        }
        None if sealing.passphrase.is_some() && !sealing.accept_plain => {
            return Err(StoreError::NotEncrypted {
                location: location.to_string(),
            });
        }
        None => (bytes.to_vec(), None),
    };
    Ok((parse(location, &plain)?, key))
}

/// The header of stored bytes, if they are encrypted.
pub fn encrypted_header(bytes: &[u8]) -> Option<(Header, String)> {
    crypt::envelope(bytes).map(|e| (e.forge_state, e.encryption.passphrase))
}

fn parse(location: &str, bytes: &[u8]) -> Result<State, StoreError> {
    let corrupt = |source| StoreError::Corrupt {
        location: location.to_string(),
        source,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(corrupt)?;
    let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if found > FORMAT_VERSION {
        return Err(StoreError::Version {
            location: location.to_string(),
            found,
        });
    }
    serde_json::from_value(value).map_err(corrupt)
}

/// Encodes `state` for storing: pretty JSON, sealed under `key` if there is one.
pub fn encode(state: &State, key: Option<&Key>, location: &str) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec_pretty(state).map_err(|source| StoreError::Corrupt {
        location: location.to_string(),
        source,
    })?;
    match key {
        None => Ok(json),
        Some(k) => Ok(k.seal(
            Header {
                version: state.version,
                lineage: state.lineage.clone(),
                serial: state.serial,
                forge_version: state.forge_version.clone(),
            },
            &json,
        )?),
    }
}

impl StateStore {
    /// The state directory for a work dir.
    pub fn dir_for(work_dir: &Path) -> PathBuf {
        work_dir.join(".forge")
    }

    /// Locks and loads the work dir's local state (an empty one if there is none yet).
    pub fn open(
        work_dir: &Path,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<Self, StoreError> {
        Self::open_backend(
            Arc::new(LocalBackend::default_for(work_dir)),
            &Sealing::default(),
            command,
            lock_timeout,
        )
    }

    /// Locks and loads the state where forge.yaml's `backend:` says, decrypting it with
    /// the passphrase `backend.encryption` names.
    pub fn open_config(
        config: &Config,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let (spec, encryption) = BackendSpec::from_config(config);
        let sealing = Sealing::from_spec(encryption.as_ref())?;
        Self::open_backend(spec.open()?, &sealing, command, lock_timeout)
    }

    /// Locks `backend` (waiting up to `lock_timeout`), then reads its state, decrypting
    /// it with `sealing`'s passphrase.
    pub fn open_backend(
        backend: Arc<dyn StateBackend>,
        sealing: &Sealing,
        command: &str,
        lock_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let mut timings = Timings::default();
        let t = Instant::now();
        let lock = backend.lock(&LockHolder::me(command), lock_timeout)?;
        timings.lock = t.elapsed();
        let t = Instant::now();
        let stored = backend.read()?;
        let location = backend.location();
        let (state, key) = match &stored {
            Some(s) => decode(&location, &s.bytes, sealing)?,
            None => (State::new(), None),
        };
        let key = match (key, &sealing.passphrase) {
            (Some(k), _) => Some(k),
            (None, Some(p)) => Some(Key::new(&p.value, &p.label)?),
            (None, None) => None,
        };
        timings.read = t.elapsed();
        Ok(Self {
            backend,
            lock: Some(lock),
            state,
            stored,
            backed_up: false,
            key,
            timings,
        })
    }

    /// Reads the work dir's local state without locking (may be mid-run).
    pub fn peek(work_dir: &Path) -> Result<Option<State>, StoreError> {
        Self::peek_backend(&LocalBackend::default_for(work_dir), &Sealing::default())
    }

    /// Reads a backend's state without locking (for `forge output`, `state list`).
    pub fn peek_backend(
        backend: &dyn StateBackend,
        sealing: &Sealing,
    ) -> Result<Option<State>, StoreError> {
        match backend.read()? {
            Some(s) => Ok(Some(decode(&backend.location(), &s.bytes, sealing)?.0)),
            None => Ok(None),
        }
    }

    /// The state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, to change before [`save`](Self::save).
    pub fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// Where the state is saved.
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn StateBackend> {
        &self.backend
    }

    /// Whether the stored state is (or will be, at the next save) encrypted.
    pub fn encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// The lock's ID (remote backends).
    pub fn lock_id(&self) -> Option<String> {
        self.lock.as_ref().and_then(|l| l.id().map(str::to_string))
    }

    /// The key the next save encrypts with (`None`: plain).
    pub fn key(&self) -> Option<Key> {
        self.key.clone()
    }

    /// Whether what is stored now is encrypted.
    pub fn stored_encrypted(&self) -> bool {
        self.stored
            .as_ref()
            .is_some_and(|s| crypt::envelope(&s.bytes).is_some())
    }

    /// Whether anything is stored yet.
    pub fn exists(&self) -> bool {
        self.stored.is_some()
    }

    /// Time spent on the backend so far.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// What the backend warned about (a store that ignores conditional writes).
    pub fn warnings(&self) -> Vec<String> {
        self.backend.warnings()
    }

    /// Writes the state: serial + 1, conditional on the version this run holds. The
    /// first save of a run keeps the version it replaces.
    pub fn save(&mut self) -> Result<(), StoreError> {
        self.state.serial += 1;
        self.state.forge_version = env!("CARGO_PKG_VERSION").to_string();
        self.write_state()
    }

    /// Replaces the state with `state` as it is (serial and lineage kept), to be
    /// written with `key` from now on (`None`: plain). For push, migrate and the
    /// encryption commands.
    pub fn replace(&mut self, state: State, key: Option<Key>) -> Result<(), StoreError> {
        self.state = state;
        self.key = key;
        self.write_state()
    }

    fn write_state(&mut self) -> Result<(), StoreError> {
        let t = Instant::now();
        if let Some(lock) = &self.lock {
            lock.check()?;
        }
        let location = self.backend.location();
        let body = encode(&self.state, self.key.as_ref(), &location)?;
        if !self.backed_up
            && let Some(previous) = &self.stored
        {
            self.backend.keep_previous(previous)?;
        }
        let expect = match &self.stored {
            Some(s) => Expect::Version(&s.version),
            None => Expect::Absent,
        };
        let version = self.backend.write(&body, expect)?;
        self.stored = Some(Stored {
            bytes: body,
            version,
        });
        self.backed_up = true;
        self.timings.writes += 1;
        self.timings.write += t.elapsed();
        Ok(())
    }

    /// Releases the lock now, reporting a failure to (drop releases silently).
    pub fn close(mut self) -> Result<Timings, StoreError> {
        self.release()?;
        Ok(self.timings)
    }

    fn release(&mut self) -> Result<(), StoreError> {
        if let Some(mut lock) = self.lock.take() {
            let t = Instant::now();
            let r = lock.release();
            self.timings.release = t.elapsed();
            drop(lock);
            report_timings(&self.location(), &self.timings);
            r?;
        }
        Ok(())
    }
}

impl Drop for StateStore {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// With `FORGE_STATE_TIMINGS=FILE`, appends one JSON line of this run's backend time
/// to FILE (what `bench/backend.sh` reads).
fn report_timings(location: &str, t: &Timings) {
    let Some(path) = std::env::var_os("FORGE_STATE_TIMINGS") else {
        return;
    };
    let line = serde_json::json!({
        "location": location,
        "lock_ms": t.lock.as_secs_f64() * 1e3,
        "read_ms": t.read.as_secs_f64() * 1e3,
        "writes": t.writes,
        "write_ms": t.write.as_secs_f64() * 1e3,
        "release_ms": t.release.as_secs_f64() * 1e3,
    });
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
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
        let path = StateStore::dir_for(dir.path()).join("state.json");
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
