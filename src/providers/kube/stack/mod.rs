//! The local stack as Kubernetes manifests: RustFS, PostgreSQL, Apache Polaris (its
//! official Helm chart as a k3s `HelmChart`, and the admin tool's bootstrap Job), a
//! Namespace for each, and k3s' helm-controller for clusters that lack it. Each
//! function turns typed parameters into a [`ManifestSpec`]: the objects rendered from
//! `templates/stack/` and what to wait for after applying them.
//!
//! The expansion stage decides the parameters from forge.yaml and its defaults; what
//! the objects look like, and how their names relate (the RustFS Service that Polaris
//! reaches, the Job the Polaris manifest waits for), is decided here.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use crate::providers::render::{RenderError, render_objects, render_text};

use super::client::ClusterRef;
use super::manifest::ManifestSpec;
use super::wait::WaitFor;
use crate::secret::SecretSpec;

const NAMESPACE: &str = include_str!("../../../../templates/stack/namespace.yaml.j2");
const RUSTFS: &str = include_str!("../../../../templates/stack/rustfs.yaml.j2");
const POSTGRESQL: &str = include_str!("../../../../templates/stack/postgresql.yaml.j2");
const POLARIS: &str = include_str!("../../../../templates/stack/polaris.yaml.j2");
const HELM_CRDS: &str = include_str!("../../../../templates/helm-controller/crds.yaml");
const HELM_CONTROLLER: &str =
    include_str!("../../../../templates/helm-controller/controller.yaml.j2");
/// The Helm values forge gives the Polaris chart.
pub const POLARIS_VALUES: &str = include_str!("../../../../templates/stack/polaris-values.yaml.j2");

/// RustFS' S3 endpoint as the pods in the cluster reach it (its Service in `namespace`).
pub fn rustfs_internal_endpoint(namespace: &str) -> String {
    format!("http://rustfs-svc.{namespace}.svc:9000")
}

/// The manifest address name of the Namespace `ns`.
pub fn namespace_manifest_name(ns: &str) -> String {
    format!("namespace-{ns}")
}

fn wait(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> WaitFor {
    WaitFor {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.map(str::to_string),
        name: name.into(),
    }
}

fn manifest(cluster: &ClusterRef, objects: Vec<Value>, wait: Vec<WaitFor>) -> ManifestSpec {
    ManifestSpec {
        cluster: cluster.clone(),
        objects,
        wait,
        timeout_seconds: None,
        unless_present: None,
    }
}

/// A Namespace.
pub fn namespace(cluster: &ClusterRef, ns: &str) -> Result<ManifestSpec, RenderError> {
    #[derive(Serialize)]
    struct Params<'a> {
        namespace: &'a str,
    }
    let objects = render_objects("namespace", NAMESPACE, &Params { namespace: ns })?;
    Ok(manifest(cluster, objects, vec![]))
}

/// The node ports of the RustFS Service (the k3d load balancer maps host ports to them).
#[derive(Debug, Clone, Serialize)]
pub struct RustfsNodePorts {
    /// S3 API.
    pub s3: u16,
    /// Web console.
    pub console: u16,
}

/// RustFS: credentials Secret, data volume, one replica, NodePort Service.
#[derive(Debug, Clone, Serialize)]
pub struct Rustfs {
    /// Its namespace.
    pub namespace: String,
    /// `rustfs/rustfs` image tag.
    pub image_tag: String,
    /// S3 access key, by reference.
    pub access_key: SecretSpec,
    /// S3 secret key, by reference.
    pub secret_key: SecretSpec,
    /// Size of the data volume, e.g. `10Gi`.
    pub storage_size: String,
    /// Node ports of its Service.
    pub node_ports: RustfsNodePorts,
    /// Annotations on its pod.
    pub pod_annotations: BTreeMap<String, String>,
}

impl Rustfs {
    /// The manifest: applied, then waited on until its Deployment is available.
    pub fn manifest(&self, cluster: &ClusterRef) -> Result<ManifestSpec, RenderError> {
        let objects = render_objects("rustfs", RUSTFS, self)?;
        let ready = wait("apps/v1", "Deployment", Some(&self.namespace), "rustfs");
        Ok(manifest(cluster, objects, vec![ready]))
    }
}

/// PostgreSQL: credentials Secret, a StatefulSet with a volume, a Service.
#[derive(Debug, Clone, Serialize)]
pub struct Postgresql {
    /// Its namespace.
    pub namespace: String,
    /// `postgres` image tag.
    pub version: String,
    /// The database created for Polaris.
    pub database: String,
    /// Superuser name.
    pub username: String,
    /// Superuser password, by reference.
    pub password: SecretSpec,
    /// Size of the data volume.
    pub storage_size: String,
    /// Annotations on its pod.
    pub pod_annotations: BTreeMap<String, String>,
}

impl Postgresql {
    /// The manifest: applied, then waited on until its StatefulSet is ready.
    pub fn manifest(&self, cluster: &ClusterRef) -> Result<ManifestSpec, RenderError> {
        let objects = render_objects("postgresql", POSTGRESQL, self)?;
        let ready = wait(
            "apps/v1",
            "StatefulSet",
            Some(&self.namespace),
            "postgresql",
        );
        Ok(manifest(cluster, objects, vec![ready]))
    }

    /// The JDBC URL Polaris uses to reach it.
    pub fn jdbc_url(&self) -> String {
        format!(
            "jdbc:postgresql://postgresql.{}.svc.cluster.local:5432/{}",
            self.namespace, self.database
        )
    }
}

/// The Helm values of the Polaris chart.
#[derive(Debug, Clone, Serialize)]
pub struct PolarisValues {
    /// Polaris version (image tag).
    pub version: String,
    /// Replicas.
    pub replicas: u8,
    /// Node port of its Service.
    pub node_port: u16,
    /// The realm.
    pub realm: String,
    /// `relational-jdbc` or `in-memory`.
    pub persistence: String,
    /// Feature flags (`polaris.features."KEY"`).
    pub features: serde_json::Map<String, Value>,
    /// Region of the S3 store.
    pub region: String,
    /// RustFS as Polaris reaches it inside the cluster.
    pub s3_endpoint_internal: String,
    /// Annotations on its pod.
    pub pod_annotations: BTreeMap<String, String>,
}

impl PolarisValues {
    /// The values as YAML text, as the chart takes them.
    pub fn render(&self) -> Result<String, RenderError> {
        render_text("polaris-values", POLARIS_VALUES, self)
    }
}

/// Polaris: its Secrets, the chart as a `HelmChart`, and with JDBC persistence the
/// admin tool's bootstrap Job.
#[derive(Debug, Clone, Serialize)]
pub struct Polaris {
    /// Its namespace.
    pub namespace: String,
    /// Polaris version.
    pub version: String,
    /// The realm.
    pub realm: String,
    /// Whether persistence is `relational-jdbc` (adds the database Secret and the bootstrap Job).
    pub jdbc: bool,
    /// Root principal's client id.
    pub root_client_id: String,
    /// Root principal's secret, by reference.
    pub root_client_secret: SecretSpec,
    /// The token broker's symmetric key, by reference.
    pub token_key: SecretSpec,
    /// RustFS access key for Polaris' own S3 calls, by reference.
    pub s3_access_key: SecretSpec,
    /// RustFS secret key, by reference.
    pub s3_secret_key: SecretSpec,
    /// Database user.
    pub db_username: String,
    /// Database password, by reference.
    pub db_password: SecretSpec,
    /// Database URL.
    pub jdbc_url: String,
    /// Where the chart is published.
    pub chart_repo: String,
    /// The chart's values ([`PolarisValues::render`]).
    pub values: String,
    /// Annotations on its pods.
    pub pod_annotations: BTreeMap<String, String>,
}

impl Polaris {
    /// The manifest: applied, then waited on (the bootstrap Job with JDBC, then the
    /// Deployment).
    pub fn manifest(&self, cluster: &ClusterRef) -> Result<ManifestSpec, RenderError> {
        let objects = render_objects("polaris", POLARIS, self)?;
        let ns = Some(self.namespace.as_str());
        let mut waits = Vec::new();
        if self.jdbc {
            waits.push(wait("batch/v1", "Job", ns, "polaris-bootstrap"));
        }
        waits.push(wait("apps/v1", "Deployment", ns, "polaris"));
        Ok(manifest(cluster, objects, waits))
    }
}

/// k3s' helm-controller and its CRDs, for clusters other than k3s. Applied only where
/// the cluster lacks the HelmChart CRD (otherwise the cluster provides it and the
/// manifest is read only).
#[derive(Debug, Clone, Serialize)]
pub struct HelmController {
    /// `rancher/helm-controller` tag.
    pub version: String,
    /// The image helm-controller runs `helm` in.
    pub job_image: String,
}

impl HelmController {
    /// The manifest.
    pub fn manifest(&self, cluster: &ClusterRef) -> Result<ManifestSpec, RenderError> {
        let template = HELM_CRDS.to_string() + "\n---\n" + HELM_CONTROLLER;
        let objects = render_objects("helm-controller", &template, self)?;
        let crd = wait(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "helmcharts.helm.cattle.io",
        );
        let deployment = wait(
            "apps/v1",
            "Deployment",
            Some("helm-controller"),
            "helm-controller",
        );
        let mut spec = manifest(cluster, objects, vec![crd.clone(), deployment]);
        spec.unless_present = Some(crd);
        Ok(spec)
    }
}
