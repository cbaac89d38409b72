//! `local_file`: a file on this machine, written atomically with a chosen mode (0600 by
//! default), e.g. a principal's credentials file for other tools. Its content may
//! reference other resources' attributes. State keeps only a digest of the content.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// What forge.yaml asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileSpec {
    /// Absolute path.
    pub path: PathBuf,
    /// Content.
    pub content: String,
    /// Octal mode, e.g. `0600`.
    pub mode: String,
}

/// What is on disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileState {
    /// Path.
    pub path: PathBuf,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Octal mode.
    pub mode: String,
}

/// The `local_file` kind.
#[derive(Debug, Clone, Copy)]
pub struct LocalFileResource;

fn mode_of(spec: &FileSpec) -> u32 {
    u32::from_str_radix(spec.mode.trim_start_matches("0o"), 8).unwrap_or(0o600)
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn io(op: &str, path: &std::path::Path, e: std::io::Error) -> ProviderError {
    ProviderError::Client {
        operation: format!("{op} {}", path.display()),
        source: Box::new(e),
    }
}

impl Kind for LocalFileResource {
    const KIND: &'static str = "local_file";
    type Spec = FileSpec;
}

#[async_trait]
impl Resource for LocalFileResource {
    type State = FileState;

    async fn read(
        &self,
        _: &Ctx,
        _: &str,
        spec: &FileSpec,
        prior: Option<&FileState>,
    ) -> Result<Observed<FileState>, ProviderError> {
        let path = prior
            .map(|p| p.path.clone())
            .unwrap_or_else(|| spec.path.clone());
        match std::fs::read(&path) {
            Ok(bytes) => {
                let mode = std::fs::metadata(&path)
                    .map_err(|e| io("stat", &path, e))?
                    .permissions()
                    .mode()
                    & 0o7777;
                Ok(Observed::Present(FileState {
                    path,
                    sha256: digest(&bytes),
                    mode: format!("{mode:04o}"),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Observed::Absent),
            Err(e) => Err(io("read", &path, e)),
        }
    }

    fn plan(&self, spec: &FileSpec, current: Option<&FileState>) -> Planned {
        let want = FileState {
            path: spec.path.clone(),
            sha256: digest(spec.content.as_bytes()),
            mode: format!("{:04o}", mode_of(spec)),
        };
        let after = json!(want);
        match current {
            None => Planned {
                action: Action::Create,
                after,
                reasons: vec![],
            },
            Some(c) if c.path != want.path => Planned {
                action: Action::Replace,
                after,
                reasons: vec!["the path changed".into()],
            },
            Some(c) if *c != want => Planned {
                action: Action::Update,
                after,
                reasons: vec![],
            },
            Some(_) => Planned {
                action: Action::NoOp,
                after,
                reasons: vec![],
            },
        }
    }

    async fn apply(
        &self,
        _: &Ctx,
        _: &str,
        spec: &FileSpec,
        _: Option<&FileState>,
        _: Action,
    ) -> Result<FileState, ProviderError> {
        let dir = spec
            .path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|e| io("create directory", &dir, e))?;
        crate::state::write_atomic(&dir, &spec.path, spec.content.as_bytes()).map_err(|e| {
            ProviderError::Client {
                operation: format!("write {}", spec.path.display()),
                source: Box::new(e),
            }
        })?;
        std::fs::set_permissions(&spec.path, std::fs::Permissions::from_mode(mode_of(spec)))
            .map_err(|e| io("chmod", &spec.path, e))?;
        Ok(FileState {
            path: spec.path.clone(),
            sha256: digest(spec.content.as_bytes()),
            mode: format!("{:04o}", mode_of(spec)),
        })
    }

    async fn delete(
        &self,
        _: &Ctx,
        _: &str,
        _: &FileSpec,
        state: &FileState,
    ) -> Result<(), ProviderError> {
        match std::fs::remove_file(&state.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("delete", &state.path, e)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_rules() {
        let spec = FileSpec {
            path: "/tmp/x".into(),
            content: "hi".into(),
            mode: "0600".into(),
        };
        let r = LocalFileResource;
        assert_eq!(r.plan(&spec, None).action, Action::Create);
        let same = FileState {
            path: "/tmp/x".into(),
            sha256: digest(b"hi"),
            mode: "0600".into(),
        };
        assert_eq!(r.plan(&spec, Some(&same)).action, Action::NoOp);
        let edited = FileState {
            sha256: digest(b"changed by hand"),
            ..same.clone()
        };
        assert_eq!(r.plan(&spec, Some(&edited)).action, Action::Update);
        let moved = FileState {
            path: "/tmp/y".into(),
            ..same
        };
        assert_eq!(r.plan(&spec, Some(&moved)).action, Action::Replace);
    }
}
