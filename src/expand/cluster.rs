//! `cluster:` → a `k3d_cluster` forge creates, or a `kube_context` it only reads. Either
//! way it sets how the stack's manifests reach the cluster and what they depend on.

use super::Expander;
use crate::config::defaults as d;
use crate::config::model::{Cluster, Runtime};
use crate::config::tree::Span;
use crate::providers::k3d::{ClusterSpec, K3dCluster, Ports};
use crate::providers::kube::client::ClusterRef;
use crate::providers::kube::context::{ContextSpec, KubeContext};

impl Expander<'_> {
    pub(super) fn cluster(&mut self) {
        let Some(cluster) = &self.file.cluster else {
            return;
        };
        self.cluster = match cluster {
            Cluster::K3d(k) => {
                let (name, span) = match &k.name {
                    Some(n) => (n.value.clone(), n.span),
                    None => (self.names.project.clone(), Span::default()),
                };
                let (s3, console, polaris) = self.ports();
                let kubeconfig = self.path(k.kubeconfig.as_deref().unwrap_or(".kube/config"));
                let spec = ClusterSpec {
                    name: name.clone(),
                    k3s_version: k
                        .k3s_version
                        .clone()
                        .unwrap_or_else(|| d::K3S_VERSION.into()),
                    servers: k.servers.unwrap_or(1),
                    agents: k.agents.unwrap_or(1),
                    runtime: match k.runtime.unwrap_or(Runtime::Auto) {
                        Runtime::Auto => "auto",
                        Runtime::Docker => "docker",
                        Runtime::Podman => "podman",
                    }
                    .into(),
                    podman_machine: k.podman_machine.clone().unwrap_or_else(|| "k3d".into()),
                    ports: Ports {
                        s3,
                        console,
                        polaris,
                    },
                    kubeconfig: kubeconfig.clone(),
                    update_default_kubeconfig: k.update_default_kubeconfig,
                };
                self.cluster_ref = ClusterRef {
                    kubeconfig: Some(kubeconfig),
                    context: Some(format!("k3d-{name}")),
                };
                self.declare::<K3dCluster>(&name, spec, span, vec![])
                    .map(|a| a.dep())
            }
            Cluster::Existing(e) => {
                let kubeconfig = e.kubeconfig.as_ref().map(|k| match k.strip_prefix("~/") {
                    Some(rest) => self.home.join(rest),
                    None => self.work_dir.join(k),
                });
                let spec = ContextSpec {
                    context: e.context.value.clone(),
                    kubeconfig: kubeconfig.clone(),
                };
                self.cluster_ref = ClusterRef {
                    kubeconfig,
                    context: Some(e.context.value.clone()),
                };
                self.declare::<KubeContext>(&e.context.value, spec, e.context.span, vec![])
                    .map(|a| a.dep())
            }
        };
    }
}
