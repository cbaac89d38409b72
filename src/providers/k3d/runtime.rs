//! Which container runtime k3d should use, by the original tool's six-case rule:
//!
//! | Docker | Podman | choice |
//! |---|---|---|
//! | running | running | Docker |
//! | running | any | Docker |
//! | any | running | Podman |
//! | installed | installed | neither runs: ask (here: an error naming the choice to make) |
//! | installed | – / – | installed | the one installed |
//! | – | – | an error: install one |
//!
//! Podman needs `DOCKER_HOST` pointing at its socket: on macOS the `<machine>-root`
//! connection of the Podman machine, elsewhere the socket `podman info` reports.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;
use crate::providers::command::{self, args};

/// A container runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// Docker.
    Docker,
    /// Podman.
    Podman,
}

/// What was found on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Probe {
    /// `docker` is on PATH.
    pub docker_installed: bool,
    /// `docker info` works.
    pub docker_running: bool,
    /// `podman` is on PATH.
    pub podman_installed: bool,
    /// `podman info` works.
    pub podman_running: bool,
}

/// The runtime to use, and how k3d reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The runtime.
    pub runtime: Runtime,
    /// `DOCKER_HOST` for k3d, if the runtime needs one.
    pub docker_host: Option<String>,
}

/// Applies the six-case rule to a probe. `Err` says what the user must do.
pub fn choose(p: Probe) -> Result<Runtime, String> {
    match p {
        Probe { docker_running: true, .. } => Ok(Runtime::Docker),
        Probe { podman_running: true, .. } => Ok(Runtime::Podman),
        Probe { docker_installed: true, podman_installed: true, .. } => Err(
            "Docker and Podman are both installed and neither is running: start one, or set `cluster.k3d.runtime: docker` (or `podman`) in forge.yaml".into(),
        ),
        Probe { docker_installed: true, .. } => Ok(Runtime::Docker),
        Probe { podman_installed: true, .. } => Ok(Runtime::Podman),
        _ => Err("neither Docker nor Podman is installed: k3d needs one of them (install Docker, or Podman with `brew install podman`)".into()),
    }
}

/// Looks at this machine.
pub async fn probe() -> Probe {
    let t = Duration::from_secs(15);
    let docker_installed = command::installed("docker");
    let podman_installed = command::installed("podman");
    let docker_running = docker_installed
        && command::run(
            "docker",
            &args(&["info", "--format", "{{.ServerVersion}}"]),
            &[],
            t,
        )
        .await
        .is_ok_and(|o| o.code == 0);
    let podman_running = podman_installed
        && command::run(
            "podman",
            &args(&["info", "--format", "{{.Version.Version}}"]),
            &[],
            t,
        )
        .await
        .is_ok_and(|o| o.code == 0);
    Probe {
        docker_installed,
        docker_running,
        podman_installed,
        podman_running,
    }
}

/// Resolves the runtime: the one forge.yaml names, else the one state remembers, else
/// the six-case rule.
pub async fn resolve(
    wanted: &str,
    remembered: Option<&Choice>,
    podman_machine: &str,
) -> Result<Choice, ProviderError> {
    let runtime = match wanted {
        "docker" => Runtime::Docker,
        "podman" => Runtime::Podman,
        _ => match remembered {
            Some(c) => c.runtime,
            None => choose(probe().await).map_err(|reason| ProviderError::NotReady {
                what: "the container runtime".into(),
                reason,
            })?,
        },
    };
    let docker_host = match runtime {
        Runtime::Docker => std::env::var("DOCKER_HOST").ok(),
        Runtime::Podman => podman_socket(podman_machine).await,
    };
    Ok(Choice {
        runtime,
        docker_host,
    })
}

/// `DOCKER_HOST` for Podman.
async fn podman_socket(machine: &str) -> Option<String> {
    if let Ok(h) = std::env::var("DOCKER_HOST") {
        return Some(h);
    }
    let t = Duration::from_secs(15);
    if cfg!(target_os = "macos") {
        let out = command::run(
            "podman",
            &args(&["system", "connection", "list", "--format", "json"]),
            &[],
            t,
        )
        .await
        .ok()?;
        let list: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).ok()?;
        let root = format!("{machine}-root");
        return list
            .iter()
            .find(|c| c["Name"] == root.as_str())
            .and_then(|c| c["URI"].as_str())
            .map(str::to_string);
    }
    let out = command::run(
        "podman",
        &args(&["info", "--format", "{{.Host.RemoteSocket.Path}}"]),
        &[],
        t,
    )
    .await
    .ok()?;
    let path = out.stdout.trim();
    (!path.is_empty()).then(|| {
        if path.contains("://") {
            path.to_string()
        } else {
            format!("unix://{path}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(di: bool, dr: bool, pi: bool, pr: bool) -> Probe {
        Probe {
            docker_installed: di,
            docker_running: dr,
            podman_installed: pi,
            podman_running: pr,
        }
    }

    #[test]
    fn the_six_cases() {
        assert_eq!(
            choose(p(true, true, true, true)),
            Ok(Runtime::Docker),
            "both running: docker"
        );
        assert_eq!(
            choose(p(true, true, false, false)),
            Ok(Runtime::Docker),
            "docker running"
        );
        assert_eq!(
            choose(p(true, false, true, true)),
            Ok(Runtime::Podman),
            "only podman running"
        );
        let both_stopped = choose(p(true, false, true, false)).expect_err("must choose");
        assert!(both_stopped.contains("runtime: docker"), "{both_stopped}");
        assert_eq!(
            choose(p(false, false, true, false)),
            Ok(Runtime::Podman),
            "only podman installed"
        );
        assert_eq!(
            choose(p(true, false, false, false)),
            Ok(Runtime::Docker),
            "only docker installed"
        );
        assert!(
            choose(p(false, false, false, false))
                .expect_err("none")
                .contains("neither Docker nor Podman")
        );
    }
}
