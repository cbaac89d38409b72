//! `stack:` → one `kube_manifest` per service (RustFS, PostgreSQL, Polaris), one per
//! namespace they use, and on clusters other than k3s the helm-controller. The objects
//! come from the kube package's templates ([`crate::providers::kube::stack`]); this
//! step decides their parameters from forge.yaml and the defaults.
//!
//! Order matters within the step: namespaces before the services in them, and the data
//! services before Polaris, which depends on them.

use super::{Addr, Dep, Expander};
use crate::config::defaults as d;
use crate::config::model::Cluster;
use crate::config::tree::Span;
use crate::config::{Problem, ProblemKind};
use crate::providers::kube::manifest::{KubeManifest, ManifestSpec};
use crate::providers::kube::stack::{
    self, HelmController, Polaris, PolarisValues, Postgresql, RenderError, Rustfs, RustfsNodePorts,
};

/// The namespace RustFS runs in.
pub(super) fn rustfs_namespace(file: &crate::config::ForgeFile) -> String {
    file.stack
        .as_ref()
        .and_then(|s| s.rustfs.as_ref())
        .and_then(|r| r.namespace.clone())
        .unwrap_or_else(|| "rustfs".into())
}

impl Expander<'_> {
    /// A template of forge's own that did not render: a bug in forge, said plainly.
    fn template_bug(&mut self, e: &RenderError) {
        self.problem(Problem::new(
            ProblemKind::InvalidValue,
            crate::render::error_chain(e),
            None,
            "",
        ));
    }

    /// Declares a stack manifest; a template that fails to render is a bug in forge,
    /// reported as such.
    fn manifest(
        &mut self,
        name: &str,
        spec: Result<ManifestSpec, RenderError>,
        deps: Vec<Dep>,
    ) -> Option<Addr<KubeManifest>> {
        match spec {
            Ok(spec) => self.declare::<KubeManifest>(name, spec, Span::default(), deps),
            Err(e) => {
                self.template_bug(&e);
                None
            }
        }
    }

    /// The Namespace `ns`, declared once however many services use it.
    fn namespace(&mut self, ns: &str, deps: &[Dep]) -> Option<Dep> {
        let name = stack::namespace_manifest_name(ns);
        let addr = Addr::<KubeManifest>::new(&name).ok()?;
        if !self.out.resources.iter().any(|r| r.addr == addr.addr) {
            let spec = stack::namespace(&self.cluster_ref, ns);
            self.manifest(&name, spec, deps.to_vec());
        }
        Some(addr.dep())
    }

    pub(super) fn stack(&mut self) {
        let Some(section) = self.file.stack.clone() else {
            return;
        };
        let polaris_ns = section
            .polaris
            .as_ref()
            .and_then(|p| p.namespace.clone())
            .unwrap_or_else(|| "polaris".into());
        if let Some(r) = &section.rustfs {
            let cluster = self.needs_cluster("rustfs");
            let ns = rustfs_namespace(self.file);
            let ns_dep = self.namespace(&ns, &cluster);
            let params = Rustfs {
                namespace: ns,
                image_tag: r
                    .image_tag
                    .clone()
                    .unwrap_or_else(|| d::RUSTFS_IMAGE.into()),
                access_key: self.secret(&r.access_key, "stack.rustfs.access_key"),
                secret_key: self.secret(&r.secret_key, "stack.rustfs.secret_key"),
                storage_size: r.storage_size.clone().unwrap_or_else(|| "10Gi".into()),
                node_ports: RustfsNodePorts {
                    s3: d::S3_NODE_PORT,
                    console: d::CONSOLE_NODE_PORT,
                },
                pod_annotations: r.pod_annotations.clone(),
            };
            let spec = params.manifest(&self.cluster_ref);
            self.manifest("rustfs", spec, ns_dep.into_iter().collect());
        }
        if let Some(p) = &section.postgresql {
            let cluster = self.needs_cluster("postgresql");
            let ns = p.namespace.clone().unwrap_or_else(|| polaris_ns.clone());
            let ns_dep = self.namespace(&ns, &cluster);
            let params = self.postgresql_params(p, &polaris_ns);
            let spec = params.manifest(&self.cluster_ref);
            self.manifest("postgresql", spec, ns_dep.into_iter().collect());
        }
        if let Some(p) = &section.polaris {
            self.polaris(&section, p, &polaris_ns);
        }
    }

    fn postgresql_params(
        &self,
        p: &crate::config::model::Postgres,
        polaris_ns: &str,
    ) -> Postgresql {
        Postgresql {
            namespace: p
                .namespace
                .clone()
                .unwrap_or_else(|| polaris_ns.to_string()),
            version: p
                .version
                .clone()
                .unwrap_or_else(|| d::POSTGRES_IMAGE.into()),
            database: p.database.clone().unwrap_or_else(|| "polaris".into()),
            username: p.username.clone().unwrap_or_else(|| "postgres".into()),
            password: self.secret(&p.password, "stack.postgresql.password"),
            storage_size: p.storage_size.clone().unwrap_or_else(|| "5Gi".into()),
            pod_annotations: p.pod_annotations.clone(),
        }
    }

    fn polaris(
        &mut self,
        section: &crate::config::model::Stack,
        p: &crate::config::model::Polaris,
        polaris_ns: &str,
    ) {
        let cluster = self.needs_cluster("polaris");
        let mut deps: Vec<Dep> = self.namespace(polaris_ns, &cluster).into_iter().collect();
        let persistence = p.persistence.clone().unwrap_or_else(|| {
            if section.postgresql.is_some() {
                "relational-jdbc".into()
            } else {
                "in-memory".into()
            }
        });
        let jdbc = persistence == "relational-jdbc";
        if jdbc && section.postgresql.is_none() {
            let span = self
                .key_span(&["stack", "polaris", "persistence"])
                .or_else(|| self.key_span(&["stack", "polaris"]));
            self.problem(
                Problem::new(
                    ProblemKind::MissingField,
                    "Polaris persistence `relational-jdbc` needs `stack.postgresql`",
                    span,
                    "relational-jdbc is the default",
                )
                .with_help("add `postgresql: {}` under `stack:`, or set `persistence: in-memory`"),
            );
        }
        if !matches!(persistence.as_str(), "relational-jdbc" | "in-memory") {
            let span = self.key_span(&["stack", "polaris", "persistence"]);
            self.problem(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("unknown Polaris persistence `{persistence}`"),
                    span,
                    "not supported",
                )
                .with_help("use `relational-jdbc` (with `stack.postgresql`) or `in-memory`"),
            );
        }
        let pg =
            self.postgresql_params(&section.postgresql.clone().unwrap_or_default(), polaris_ns);
        if jdbc && section.postgresql.is_some() {
            deps.push(Addr::<KubeManifest>::fixed("postgresql").dep());
        }
        if section.rustfs.is_some() {
            deps.push(Addr::<KubeManifest>::fixed("rustfs").dep());
        }
        let rustfs = section.rustfs.clone().unwrap_or_default();
        let version = p
            .version
            .clone()
            .unwrap_or_else(|| d::POLARIS_VERSION.into());
        let mut features = serde_json::Map::new();
        features.insert(
            "DROP_WITH_PURGE_ENABLED".into(),
            serde_json::Value::Bool(true),
        );
        for (k, v) in &p.features {
            features.insert(k.clone(), v.clone());
        }
        let realm = self.realm();
        let values = PolarisValues {
            version: version.clone(),
            replicas: p.replicas.unwrap_or(1),
            node_port: d::POLARIS_NODE_PORT,
            realm: realm.clone(),
            persistence,
            features,
            region: d::REGION.into(),
            s3_endpoint_internal: stack::rustfs_internal_endpoint(&rustfs_namespace(self.file)),
            pod_annotations: p.pod_annotations.clone(),
        };
        let values = match values.render() {
            Ok(v) => v,
            Err(e) => {
                self.template_bug(&e);
                return;
            }
        };
        let params = Polaris {
            namespace: polaris_ns.to_string(),
            version,
            realm,
            jdbc,
            root_client_id: p
                .root_client_id
                .clone()
                .unwrap_or_else(|| d::ROOT_CLIENT_ID.into()),
            root_client_secret: self
                .secret(&p.root_client_secret, "stack.polaris.root_client_secret"),
            token_key: self.secret(&None, "stack.polaris.token_key"),
            s3_access_key: self.secret(&rustfs.access_key, "stack.rustfs.access_key"),
            s3_secret_key: self.secret(&rustfs.secret_key, "stack.rustfs.secret_key"),
            db_username: pg.username.clone(),
            db_password: pg.password.clone(),
            jdbc_url: pg.jdbc_url(),
            chart_repo: d::POLARIS_CHART_REPO.into(),
            values,
            pod_annotations: p.pod_annotations.clone(),
        };
        // Clusters other than k3s (k3d) may lack the HelmChart API: install k3s'
        // helm-controller there, unless the cluster already has the CRD.
        if matches!(self.file.cluster, Some(Cluster::Existing(_))) {
            let controller = HelmController {
                version: d::HELM_CONTROLLER.into(),
                job_image: d::KLIPPER_HELM.into(),
            };
            let spec = controller.manifest(&self.cluster_ref);
            if let Some(a) = self.manifest("helm-controller", spec, cluster.clone()) {
                deps.push(a.dep());
            }
        }
        let spec = params.manifest(&self.cluster_ref);
        self.manifest("polaris", spec, deps);
    }
}
