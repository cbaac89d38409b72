//! Secrets as they travel through specs, plans and state: as references, never values.
//!
//! A spec holds a [`SecretSpec`] (an env var name, a file path, or the key of a generated
//! secret), so plans and saved plan files never contain a secret. Values are read only
//! when a provider needs them, through [`Secrets`]; generated values live in the state
//! file, which is written with mode 0600.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a secret value comes from, as stored in a resolved spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretSpec {
    /// An environment variable.
    Env(String),
    /// A file (absolute path); a trailing newline is dropped.
    File(PathBuf),
    /// Generated once and kept in state under `key`.
    Generate {
        /// Stable key in the state's secret store, e.g. `stack.polaris.root_client_secret`.
        key: String,
        /// Length in characters.
        length: u16,
    },
}

/// A secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set.
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    /// A generated secret has no value yet (only apply generates them).
    #[error("generated secret `{0}` does not exist yet")]
    NotGenerated(String),
    /// The file could not be read.
    #[error("cannot read secret file `{path}`")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Values of generated secrets, shared with the state owner.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    generated: Arc<Mutex<BTreeMap<String, String>>>,
    dirty: Arc<std::sync::atomic::AtomicBool>,
    read_only: bool,
}

impl Secrets {
    /// Starts from the generated secrets saved in state.
    pub fn new(saved: BTreeMap<String, String>) -> Self {
        Self {
            generated: Arc::new(Mutex::new(saved)),
            dirty: Default::default(),
            read_only: false,
        }
    }

    /// Like [`new`](Self::new), but never generates: for plan, whose state is not saved.
    pub fn read_only(saved: BTreeMap<String, String>) -> Self {
        Self {
            read_only: true,
            ..Self::new(saved)
        }
    }

    /// Reads a secret, generating (and remembering) it if it is a generated one.
    pub fn resolve(&self, spec: &SecretSpec) -> Result<String, SecretError> {
        match spec {
            SecretSpec::Env(name) => {
                std::env::var(name).map_err(|_| SecretError::EnvUnset(name.clone()))
            }
            SecretSpec::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|source| SecretError::File {
                    path: path.clone(),
                    source,
                }),
            SecretSpec::Generate { key, length } => {
                let mut map = self.generated.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(v) = map.get(key) {
                    return Ok(v.clone());
                }
                if self.read_only {
                    return Err(SecretError::NotGenerated(key.clone()));
                }
                let value = generate(*length);
                map.insert(key.clone(), value.clone());
                self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(value)
            }
        }
    }

    /// Whether a generated secret already has a value.
    pub fn has_generated(&self, key: &str) -> bool {
        self.generated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(key)
    }

    /// A copy of every generated secret, for saving to state.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.generated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether a secret was generated since the last call (and resets the flag).
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, std::sync::atomic::Ordering::SeqCst)
    }
}

/// A random `[a-z0-9]` string (the alphabet the original tool uses, safe in URLs and env files).
pub fn generate(length: u16) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length.max(8))
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_stable_and_marked_dirty() {
        let s = Secrets::default();
        let spec = SecretSpec::Generate {
            key: "k".into(),
            length: 20,
        };
        let a = s.resolve(&spec).expect("generates");
        assert_eq!(a.len(), 20);
        assert!(s.take_dirty());
        assert_eq!(s.resolve(&spec).expect("same"), a);
        assert!(!s.take_dirty());
    }

    #[test]
    fn unset_env_is_an_error_naming_the_variable() {
        let err = Secrets::default()
            .resolve(&SecretSpec::Env("FORGE_TEST_SURELY_UNSET_VAR".into()))
            .expect_err("unset");
        assert!(err.to_string().contains("FORGE_TEST_SURELY_UNSET_VAR"));
    }
}
