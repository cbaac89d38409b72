//! `k3d_cluster`: a local k3s cluster in Docker or Podman, driven through the `k3d` CLI.
//!
//! Read is `k3d cluster list -o json`; create renders a `k3d.io/v1alpha5` Simple config
//! from `templates/k3d-config.yaml.j2`, runs `k3d cluster create --config`, writes the
//! cluster's kubeconfig into the work dir (the user's default kubeconfig is left alone)
//! and waits for the API server. A cluster k3d lists whose API does not answer (the
//! original tool's "ghost cluster") is planned as a replace, a stopped one as a start.

pub mod runtime;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::defaults as d;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
use crate::providers::command::{self, args};
use crate::providers::kube::client::wait_for_api;
use crate::providers::render::render_text;
use runtime::Choice;

/// The template of the k3d config file.
pub const CONFIG_TEMPLATE: &str = include_str!("../../../templates/k3d-config.yaml.j2");

/// Host ports of the stack and the node ports they map to inside the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// RustFS S3 API.
    pub s3: u16,
    /// RustFS console.
    pub console: u16,
    /// Polaris.
    pub polaris: u16,
}

/// Node ports the stack's Services use (the original tool's values; see
/// [`crate::config::defaults`]): the load balancer maps the host ports to these.
pub const NODE_PORTS: Ports = Ports {
    s3: d::S3_NODE_PORT,
    console: d::CONSOLE_NODE_PORT,
    polaris: d::POLARIS_NODE_PORT,
};

/// What forge.yaml asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Cluster name.
    pub name: String,
    /// `rancher/k3s` image tag.
    pub k3s_version: String,
    /// Server nodes.
    pub servers: u8,
    /// Agent nodes.
    pub agents: u8,
    /// `auto`, `docker` or `podman`.
    pub runtime: String,
    /// Podman machine (macOS).
    pub podman_machine: String,
    /// Host ports.
    pub ports: Ports,
    /// Where to write the kubeconfig.
    pub kubeconfig: PathBuf,
    /// Also update the user's default kubeconfig.
    #[serde(default)]
    pub update_default_kubeconfig: bool,
}

/// What is there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterState {
    /// Cluster name.
    pub name: String,
    /// Server nodes.
    pub servers: u8,
    /// Server nodes running.
    pub servers_running: u8,
    /// Agent nodes.
    pub agents: u8,
    /// Agent nodes running.
    pub agents_running: u8,
    /// The k3s image tag of its servers.
    pub k3s_version: String,
    /// Host ports mapped on its load balancer.
    pub ports: Option<Ports>,
    /// Whether its API server answers.
    pub api_reachable: bool,
    /// The runtime it runs on.
    pub runtime: Option<Choice>,
    /// The kubeconfig forge wrote.
    pub kubeconfig: PathBuf,
}

/// The `k3d_cluster` kind.
#[derive(Debug, Clone, Default)]
pub struct K3dCluster {
    /// The program to run (default `k3d`; tests point it at a fake).
    pub program: Option<String>,
}

/// One cluster as `k3d cluster list -o json` prints it (the fields forge reads).
#[derive(Debug, Clone, Deserialize)]
pub struct ListedCluster {
    /// Name.
    pub name: String,
    /// Nodes.
    #[serde(default)]
    pub nodes: Vec<ListedNode>,
    /// Servers.
    #[serde(rename = "serversCount", default)]
    pub servers_count: u8,
    /// Servers running.
    #[serde(rename = "serversRunning", default)]
    pub servers_running: u8,
    /// Agents.
    #[serde(rename = "agentsCount", default)]
    pub agents_count: u8,
    /// Agents running.
    #[serde(rename = "agentsRunning", default)]
    pub agents_running: u8,
}

/// One node of a listed cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedNode {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `server`, `agent`, `loadbalancer`.
    #[serde(default)]
    pub role: String,
    /// Image.
    #[serde(default)]
    pub image: String,
    /// Port mappings: `"31900/tcp" → [{"HostIp", "HostPort"}]`.
    #[serde(rename = "portMappings", default)]
    pub port_mappings: BTreeMap<String, Vec<PortBinding>>,
}

/// A Docker port binding.
#[derive(Debug, Clone, Deserialize)]
pub struct PortBinding {
    /// Host port.
    #[serde(rename = "HostPort", default)]
    pub host_port: String,
}

/// Renders the k3d config for a spec.
pub fn render_config(spec: &ClusterSpec, timeout: Duration) -> Result<String, ProviderError> {
    let ports = [
        (spec.ports.s3, NODE_PORTS.s3),
        (spec.ports.console, NODE_PORTS.console),
        (spec.ports.polaris, NODE_PORTS.polaris),
    ];
    let ctx = json!({
        "name": spec.name,
        "servers": spec.servers,
        "agents": spec.agents,
        "k3s_version": spec.k3s_version,
        "ports": ports.iter().map(|(h, n)| json!({"host": h, "node_port": n})).collect::<Vec<_>>(),
        "volumes": Vec::<String>::new(),
        "timeout_seconds": timeout.as_secs().max(60),
        "update_default_kubeconfig": spec.update_default_kubeconfig,
    });
    render_text("k3d-config", CONFIG_TEMPLATE, &ctx).map_err(|e| ProviderError::Client {
        operation: "render the k3d config".into(),
        source: Box::new(e),
    })
}

impl K3dCluster {
    fn program(&self) -> String {
        self.program
            .clone()
            .or_else(|| std::env::var("FORGE_K3D").ok())
            .unwrap_or_else(|| "k3d".into())
    }

    fn envs(choice: &Choice) -> Vec<(String, String)> {
        choice
            .docker_host
            .iter()
            .map(|h| ("DOCKER_HOST".to_string(), h.clone()))
            .collect()
    }

    async fn k3d(
        &self,
        choice: &Choice,
        a: &[&str],
        timeout: Duration,
    ) -> Result<command::Output, ProviderError> {
        command::run_ok(&self.program(), &args(a), &Self::envs(choice), timeout).await
    }

    async fn list(&self, choice: &Choice) -> Result<Vec<ListedCluster>, ProviderError> {
        let out = self
            .k3d(
                choice,
                &["cluster", "list", "-o", "json"],
                Duration::from_secs(60),
            )
            .await?;
        serde_json::from_str(out.stdout.trim()).map_err(|e| ProviderError::Client {
            operation: "read the output of `k3d cluster list -o json`".into(),
            source: Box::new(e),
        })
    }

    async fn observe(
        &self,
        spec: &ClusterSpec,
        choice: &Choice,
    ) -> Result<Option<ClusterState>, ProviderError> {
        let Some(c) = self
            .list(choice)
            .await?
            .into_iter()
            .find(|c| c.name == spec.name)
        else {
            return Ok(None);
        };
        let image = c
            .nodes
            .iter()
            .find(|n| n.role == "server")
            .map(|n| n.image.clone())
            .unwrap_or_default();
        let k3s_version = image
            .rsplit_once(':')
            .map(|(_, t)| t.to_string())
            .unwrap_or(image);
        let lb = c.nodes.iter().find(|n| n.role == "loadbalancer");
        let host_port = |node_port: u16| -> Option<u16> {
            lb?.port_mappings
                .get(&format!("{node_port}/tcp"))?
                .first()?
                .host_port
                .parse()
                .ok()
        };
        let ports = match (
            host_port(NODE_PORTS.s3),
            host_port(NODE_PORTS.console),
            host_port(NODE_PORTS.polaris),
        ) {
            (Some(s3), Some(console), Some(polaris)) => Some(Ports {
                s3,
                console,
                polaris,
            }),
            _ => None,
        };
        // Probe the API through the kubeconfig k3d hands out now (its port can change).
        let api_reachable = c.servers_running > 0 && self.probe_api(spec, choice).await;
        Ok(Some(ClusterState {
            name: c.name,
            servers: c.servers_count,
            servers_running: c.servers_running,
            agents: c.agents_count,
            agents_running: c.agents_running,
            k3s_version,
            ports,
            api_reachable,
            runtime: Some(choice.clone()),
            kubeconfig: spec.kubeconfig.clone(),
        }))
    }

    async fn probe_api(&self, spec: &ClusterSpec, choice: &Choice) -> bool {
        let Ok(out) = self
            .k3d(
                choice,
                &["kubeconfig", "get", &spec.name],
                Duration::from_secs(30),
            )
            .await
        else {
            return false;
        };
        let Ok(file) = tempfile::NamedTempFile::new() else {
            return false;
        };
        if std::fs::write(file.path(), out.stdout.as_bytes()).is_err() {
            return false;
        }
        wait_for_api(file.path(), None, Duration::from_secs(5))
            .await
            .is_ok()
    }

    async fn write_kubeconfig(
        &self,
        spec: &ClusterSpec,
        choice: &Choice,
    ) -> Result<(), ProviderError> {
        let out = self
            .k3d(
                choice,
                &["kubeconfig", "get", &spec.name],
                Duration::from_secs(60),
            )
            .await?;
        let dir = spec
            .kubeconfig
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
        crate::state::write_atomic(&dir, &spec.kubeconfig, out.stdout.as_bytes()).map_err(|e| {
            ProviderError::Client {
                operation: format!("write {}", spec.kubeconfig.display()),
                source: Box::new(e),
            }
        })
    }
}

fn io_error(op: &str, path: &std::path::Path, e: std::io::Error) -> ProviderError {
    ProviderError::Client {
        operation: format!("{op} {}", path.display()),
        source: Box::new(e),
    }
}

impl Kind for K3dCluster {
    const KIND: &'static str = "k3d_cluster";
    type Spec = ClusterSpec;
}

#[async_trait]
impl Resource for K3dCluster {
    type State = ClusterState;

    async fn read(
        &self,
        _: &Ctx,
        _: &str,
        spec: &ClusterSpec,
        prior: Option<&ClusterState>,
    ) -> Result<Observed<ClusterState>, ProviderError> {
        if !command::installed(&self.program()) && !self.program().contains('/') {
            return Err(ProviderError::ToolMissing {
                tool: "k3d".into(),
                hint: command::install_hint("k3d"),
            });
        }
        let choice = match runtime::resolve(
            &spec.runtime,
            prior.and_then(|p| p.runtime.as_ref()),
            &spec.podman_machine,
        )
        .await
        {
            Ok(c) => c,
            // No runtime: no cluster can exist; apply will say what to do.
            Err(e) => return Ok(Observed::Unavailable(crate::render::error_chain(&e))),
        };
        Ok(match self.observe(spec, &choice).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &ClusterSpec, current: Option<&ClusterState>) -> Planned {
        let after = json!({
            "name": spec.name, "servers": spec.servers, "agents": spec.agents, "k3s_version": spec.k3s_version,
            "ports": spec.ports, "kubeconfig": spec.kubeconfig, "runtime": spec.runtime,
        });
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after,
                reasons: vec![],
            };
        };
        let mut reasons = Vec::new();
        if cur.servers != spec.servers {
            reasons.push(format!(
                "servers cannot change in place ({} → {})",
                cur.servers, spec.servers
            ));
        }
        if cur.agents != spec.agents {
            reasons.push(format!(
                "agents cannot change in place ({} → {})",
                cur.agents, spec.agents
            ));
        }
        if cur.k3s_version != spec.k3s_version {
            reasons.push(format!(
                "the k3s version cannot change in place ({} → {})",
                cur.k3s_version, spec.k3s_version
            ));
        }
        if cur.ports.as_ref().is_some_and(|p| *p != spec.ports) {
            reasons.push("port mappings cannot change in place".into());
        }
        let shown = json!({
            "name": cur.name, "servers": cur.servers, "agents": cur.agents, "k3s_version": cur.k3s_version,
            "ports": cur.ports.clone().unwrap_or_else(|| spec.ports.clone()), "kubeconfig": cur.kubeconfig, "runtime": spec.runtime,
        });
        if !reasons.is_empty() {
            return Planned {
                action: Action::Replace,
                after,
                reasons,
            };
        }
        if cur.servers_running == 0 {
            return Planned {
                action: Action::Update,
                after: json!({"running": true}),
                reasons: vec!["the cluster is stopped: forge will start it".into()],
            };
        }
        if !cur.api_reachable {
            return Planned {
                action: Action::Replace,
                after,
                reasons: vec![
                    "k3d lists the cluster but its API server does not answer (a ghost cluster)"
                        .into(),
                ],
            };
        }
        Planned {
            action: Action::NoOp,
            after: shown,
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ClusterSpec,
        current: Option<&ClusterState>,
        action: Action,
    ) -> Result<ClusterState, ProviderError> {
        if !command::installed(&self.program()) && !self.program().contains('/') {
            return Err(ProviderError::ToolMissing {
                tool: "k3d".into(),
                hint: command::install_hint("k3d"),
            });
        }
        let choice = runtime::resolve(
            &spec.runtime,
            current.and_then(|c| c.runtime.as_ref()),
            &spec.podman_machine,
        )
        .await?;
        let timeout = ctx.timeout.min(Duration::from_secs(600));
        let stopped = current.is_some_and(|c| c.servers_running == 0);
        if action == Action::Update && stopped {
            self.k3d(
                &choice,
                &["cluster", "start", &spec.name, "--wait"],
                timeout,
            )
            .await?;
        } else if current.is_none() {
            let dir = ctx.work_dir.join(".forge/k3d");
            std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
            let file = dir.join(format!("{}.yaml", spec.name));
            std::fs::write(&file, render_config(spec, timeout)?)
                .map_err(|e| io_error("write", &file, e))?;
            let file_arg = file.display().to_string();
            let create = ["cluster", "create", "--config", file_arg.as_str()];
            if let Err(e) = self.k3d(&choice, &create, timeout).await {
                // Containers or a network left behind by an earlier cluster of this name
                // (k3d does not list it): clean them up once and try again.
                let msg = crate::render::error_chain(&e);
                if !msg.contains("already exists") {
                    return Err(e);
                }
                self.k3d(&choice, &["cluster", "delete", &spec.name], timeout)
                    .await?;
                self.k3d(&choice, &create, timeout).await?;
            }
        }
        self.write_kubeconfig(spec, &choice).await?;
        wait_for_api(&spec.kubeconfig, None, timeout.max(Duration::from_secs(30))).await?;
        self.observe(spec, &choice)
            .await?
            .ok_or_else(|| ProviderError::Failed {
                what: format!("k3d cluster create {}", spec.name),
                reason: "k3d does not list the cluster after creating it".into(),
                hint: None,
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ClusterSpec,
        state: &ClusterState,
    ) -> Result<(), ProviderError> {
        let choice = match &state.runtime {
            Some(c) => c.clone(),
            None => runtime::resolve(&spec.runtime, None, &spec.podman_machine).await?,
        };
        self.k3d(
            &choice,
            &["cluster", "delete", &spec.name],
            ctx.timeout.min(Duration::from_secs(600)),
        )
        .await?;
        match std::fs::remove_file(&state.kubeconfig) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error("delete", &state.kubeconfig, e))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
