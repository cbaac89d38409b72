//! Real peers built from package registries (see `docs/testing-peers.md`): the
//! Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager v1.37.2,
//! built by `tests/peers/build.sh kube`) with a node stand-in that plays the kubelet,
//! PostgreSQL 15, and the Polaris stand-in (`tests/peers/build.sh polaris-stand-in`).
//!
//! Each peer starts once per test binary, on free ports, in a directory of its own,
//! under [`Guarded`](super::process::Guarded): nothing survives the test binary.
//! Directories left behind by earlier test binaries (their PID is gone) are removed
//! when the next one starts a peer of the same kind.

pub mod kube;
pub mod node;
pub mod polaris;
pub mod polaris_http;
pub mod polaris_py;
pub mod postgres;

use std::path::PathBuf;

/// The peers cache: `$FORGE_PEERS_CACHE`, else `~/.cache/forge/peers` (as `tests/peers/lib.sh`).
pub fn peers_cache() -> PathBuf {
    std::env::var_os("FORGE_PEERS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/forge/peers")
        })
}

/// An empty directory `$TMPDIR/forge-peer-<pid>-<kind>` for this test binary's `kind`
/// peer. Directories of the same kind whose test binary is gone are deleted first: an
/// etcd or PostgreSQL data directory holds tens of MB, too much to leave for the OS.
pub fn fresh_dir(kind: &str) -> PathBuf {
    let tmp = std::env::temp_dir();
    let suffix = format!("-{kind}");
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("forge-peer-")
                .and_then(|rest| rest.strip_suffix(&suffix))
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if !PathBuf::from(format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(format!("forge-peer-{}{suffix}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("peer dir");
    dir
}
