use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Located;

/// The cluster: a local k3d cluster forge creates, or an existing kubeconfig context.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cluster {
    /// A k3d cluster (k3s in Docker or Podman), created and deleted by forge.
    K3d(K3d),
    /// An existing cluster, reached through a kubeconfig context; forge never deletes it.
    Existing(ExistingCluster),
}

/// A k3d cluster.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct K3d {
    /// Cluster name (default: the project name).
    #[serde(default)]
    pub name: Option<Located<String>>,
    /// k3s version, i.e. the `rancher/k3s` image tag (default `v1.35.1-k3s1`).
    #[serde(default)]
    pub k3s_version: Option<String>,
    /// Number of server nodes (default 1).
    #[serde(default)]
    pub servers: Option<u8>,
    /// Number of agent nodes (default 1).
    #[serde(default)]
    pub agents: Option<u8>,
    /// Container runtime: `auto` (a running Docker, else Podman), `docker` or `podman`.
    #[serde(default)]
    pub runtime: Option<Runtime>,
    /// Podman machine to use on macOS (default `k3d`).
    #[serde(default)]
    pub podman_machine: Option<String>,
    /// Host ports mapped to the cluster's load balancer.
    #[serde(default)]
    pub ports: Ports,
    /// Where to write the kubeconfig, relative to the work dir (default `.kube/config`).
    #[serde(default)]
    pub kubeconfig: Option<String>,
    /// Also add the cluster to your default kubeconfig and switch to it (default: no).
    #[serde(default)]
    pub update_default_kubeconfig: bool,
}

/// Container runtime for k3d.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// Prefer a running Docker, then a running Podman.
    Auto,
    /// Docker.
    Docker,
    /// Podman.
    Podman,
}

/// Host ports of the local stack.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ports {
    /// RustFS S3 API (default 19000).
    #[serde(default, deserialize_with = "port")]
    #[schemars(range(min = 1, max = 65535))]
    pub s3: Option<u16>,
    /// RustFS console (default 19001).
    #[serde(default, deserialize_with = "port")]
    #[schemars(range(min = 1, max = 65535))]
    pub console: Option<u16>,
    /// Polaris REST API (default 18181).
    #[serde(default, deserialize_with = "port")]
    #[schemars(range(min = 1, max = 65535))]
    pub polaris: Option<u16>,
}

/// A TCP port: 1 to 65535 (0 means "any port" to the OS, never what a user wants here).
fn port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let Some(n) = Option::<u64>::deserialize(d)? else {
        return Ok(None);
    };
    match u16::try_from(n) {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Unsigned(n),
            &"a port from 1 to 65535",
        )),
    }
}

/// An existing cluster.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistingCluster {
    /// kubeconfig context name.
    pub context: Located<String>,
    /// kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`).
    #[serde(default)]
    pub kubeconfig: Option<String>,
    /// Base URL of Polaris as reachable from this machine.
    #[serde(default)]
    pub polaris_url: Option<String>,
    /// S3 endpoint of RustFS as reachable from this machine.
    #[serde(default)]
    pub s3_endpoint: Option<String>,
}
