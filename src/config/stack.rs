//! The `stack:` section as Kubernetes manifests: RustFS, PostgreSQL and Polaris (its
//! official Helm chart as a k3s `HelmChart`, and the admin tool's bootstrap Job), each a
//! `kube_manifest` rendered from `templates/stack/`, plus one for each namespace.

use serde_json::{Value as Json, json};

use super::defaults as d;
use super::diag::{Problem, ProblemKind};
use super::expand::{Dep, Expander, secret};
use super::model::ForgeFile;
use super::tree::Span;

const NAMESPACE: &str = include_str!("../../templates/stack/namespace.yaml.j2");
const RUSTFS: &str = include_str!("../../templates/stack/rustfs.yaml.j2");
const POSTGRESQL: &str = include_str!("../../templates/stack/postgresql.yaml.j2");
const POLARIS: &str = include_str!("../../templates/stack/polaris.yaml.j2");
const HELM_CRDS: &str = include_str!("../../templates/helm-controller/crds.yaml");
const HELM_CONTROLLER: &str = include_str!("../../templates/helm-controller/controller.yaml.j2");
/// The Helm values forge gives the Polaris chart.
pub const POLARIS_VALUES: &str = include_str!("../../templates/stack/polaris-values.yaml.j2");

/// Renders a template to text.
pub fn render_text(template: &str, ctx: &Json) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.template_from_str(template)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(ctx))))
        .map_err(|e| format!("{e:#}"))
}

/// Renders a multi-document YAML template into objects.
pub fn render_objects(template: &str, ctx: &Json) -> Result<Vec<Json>, String> {
    let text = render_text(template, ctx)?;
    let docs: Vec<Json> =
        serde_saphyr::from_multiple(&text).map_err(|e| format!("rendered YAML is invalid: {e}"))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn rustfs_namespace(file: &ForgeFile) -> String {
    file.stack
        .as_ref()
        .and_then(|s| s.rustfs.as_ref())
        .and_then(|r| r.namespace.clone())
        .unwrap_or_else(|| "rustfs".into())
}

/// RustFS' S3 endpoint as the pods in the cluster reach it.
pub fn rustfs_internal_endpoint(file: &ForgeFile) -> String {
    format!("http://rustfs-svc.{}.svc:9000", rustfs_namespace(file))
}

fn wait(api_version: &str, kind: &str, namespace: &str, name: &str) -> Json {
    let ns = if namespace.is_empty() {
        Json::Null
    } else {
        json!(namespace)
    };
    json!({"api_version": api_version, "kind": kind, "namespace": ns, "name": name})
}

impl Expander<'_> {
    fn manifest(
        &mut self,
        name: &str,
        template: &str,
        ctx: Json,
        waits: Vec<Json>,
        deps: Vec<Dep>,
    ) {
        match render_objects(template, &ctx) {
            Ok(objects) => {
                let spec = json!({"cluster": self.cluster_ref, "objects": objects, "wait": waits});
                self.push("kube_manifest", name, Span::default(), spec, deps);
            }
            // A bug in forge's own templates, not in forge.yaml; say so plainly.
            Err(e) => self.out.problems.push(Problem::new(
                ProblemKind::InvalidValue,
                format!("forge could not render its `{name}` manifest: {e}"),
                None,
                "",
            )),
        }
    }

    fn namespace(&mut self, ns: &str, deps: &[Dep]) -> Dep {
        let name = format!("namespace-{ns}");
        if !self
            .out
            .resources
            .iter()
            .any(|r| r.addr.kind() == "kube_manifest" && r.addr.name() == name)
        {
            self.manifest(
                &name,
                NAMESPACE,
                json!({"namespace": ns}),
                vec![],
                deps.to_vec(),
            );
        }
        Dep {
            target: format!("kube_manifest.{name}"),
            span: None,
        }
    }
}

pub(super) fn stack(x: &mut Expander) {
    let Some(stack) = x.file.stack.clone() else {
        return;
    };
    let polaris_ns = stack
        .polaris
        .as_ref()
        .and_then(|p| p.namespace.clone())
        .unwrap_or_else(|| "polaris".into());
    if let Some(r) = &stack.rustfs {
        let cluster = x.needs_cluster("rustfs");
        let ns = rustfs_namespace(x.file);
        let ns_dep = x.namespace(&ns, &cluster);
        let ctx = json!({
            "namespace": ns,
            "image_tag": r.image_tag.clone().unwrap_or_else(|| d::RUSTFS_IMAGE.into()),
            "access_key": secret(&r.access_key, "stack.rustfs.access_key", x.work_dir),
            "secret_key": secret(&r.secret_key, "stack.rustfs.secret_key", x.work_dir),
            "storage_size": r.storage_size.clone().unwrap_or_else(|| "10Gi".into()),
            "node_ports": {"s3": crate::providers::k3d::NODE_PORTS.s3, "console": crate::providers::k3d::NODE_PORTS.console},
            "pod_annotations": r.pod_annotations,
        });
        x.manifest(
            "rustfs",
            RUSTFS,
            ctx,
            vec![wait("apps/v1", "Deployment", &ns, "rustfs")],
            vec![ns_dep],
        );
    }
    if let Some(p) = &stack.postgresql {
        let cluster = x.needs_cluster("postgresql");
        let ns = p.namespace.clone().unwrap_or_else(|| polaris_ns.clone());
        let ns_dep = x.namespace(&ns, &cluster);
        let ctx = json!({
            "namespace": ns,
            "version": p.version.clone().unwrap_or_else(|| d::POSTGRES_IMAGE.into()),
            "database": p.database.clone().unwrap_or_else(|| "polaris".into()),
            "username": p.username.clone().unwrap_or_else(|| "postgres".into()),
            "password": secret(&p.password, "stack.postgresql.password", x.work_dir),
            "storage_size": p.storage_size.clone().unwrap_or_else(|| "5Gi".into()),
            "pod_annotations": p.pod_annotations,
        });
        x.manifest(
            "postgresql",
            POSTGRESQL,
            ctx,
            vec![wait("apps/v1", "StatefulSet", &ns, "postgresql")],
            vec![ns_dep],
        );
    }
    let Some(p) = &stack.polaris else { return };
    let cluster = x.needs_cluster("polaris");
    let ns_dep = x.namespace(&polaris_ns, &cluster);
    let mut deps = vec![ns_dep];
    let persistence = p.persistence.clone().unwrap_or_else(|| {
        if stack.postgresql.is_some() {
            "relational-jdbc".into()
        } else {
            "in-memory".into()
        }
    });
    let jdbc = persistence == "relational-jdbc";
    if jdbc && stack.postgresql.is_none() {
        let span = x
            .key_span(&["stack", "polaris", "persistence"])
            .or_else(|| x.key_span(&["stack", "polaris"]));
        x.out.problems.push(
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
        let span = x.key_span(&["stack", "polaris", "persistence"]);
        x.out.problems.push(
            Problem::new(
                ProblemKind::InvalidValue,
                format!("unknown Polaris persistence `{persistence}`"),
                span,
                "not supported",
            )
            .with_help("use `relational-jdbc` (with `stack.postgresql`) or `in-memory`"),
        );
    }
    let pg = stack.postgresql.clone().unwrap_or_default();
    let pg_ns = pg.namespace.clone().unwrap_or_else(|| polaris_ns.clone());
    let pg_db = pg.database.clone().unwrap_or_else(|| "polaris".into());
    if jdbc && stack.postgresql.is_some() {
        deps.push(Dep {
            target: "kube_manifest.postgresql".into(),
            span: None,
        });
    }
    if stack.rustfs.is_some() {
        deps.push(Dep {
            target: "kube_manifest.rustfs".into(),
            span: None,
        });
    }
    let rustfs = stack.rustfs.clone().unwrap_or_default();
    let version = p
        .version
        .clone()
        .unwrap_or_else(|| d::POLARIS_VERSION.into());
    let mut features = serde_json::Map::new();
    features.insert("DROP_WITH_PURGE_ENABLED".into(), json!(true));
    for (k, v) in &p.features {
        features.insert(k.clone(), v.clone());
    }
    let realm = x.realm();
    let values_ctx = json!({
        "version": version,
        "replicas": p.replicas.unwrap_or(1),
        "node_port": crate::providers::k3d::NODE_PORTS.polaris,
        "realm": realm,
        "persistence": persistence,
        "features": features,
        "region": d::REGION,
        "s3_endpoint_internal": rustfs_internal_endpoint(x.file),
        "pod_annotations": p.pod_annotations,
    });
    let values = match render_text(POLARIS_VALUES, &values_ctx) {
        Ok(v) => v,
        Err(e) => {
            x.out.problems.push(Problem::new(
                ProblemKind::InvalidValue,
                format!("forge could not render the Polaris Helm values: {e}"),
                None,
                "",
            ));
            return;
        }
    };
    let ctx = json!({
        "namespace": polaris_ns,
        "version": version,
        "realm": realm,
        "jdbc": jdbc,
        "root_client_id": p.root_client_id.clone().unwrap_or_else(|| d::ROOT_CLIENT_ID.into()),
        "root_client_secret": secret(&p.root_client_secret, "stack.polaris.root_client_secret", x.work_dir),
        "token_key": secret(&None, "stack.polaris.token_key", x.work_dir),
        "s3_access_key": secret(&rustfs.access_key, "stack.rustfs.access_key", x.work_dir),
        "s3_secret_key": secret(&rustfs.secret_key, "stack.rustfs.secret_key", x.work_dir),
        "db_username": pg.username.clone().unwrap_or_else(|| "postgres".into()),
        "db_password": secret(&pg.password, "stack.postgresql.password", x.work_dir),
        "jdbc_url": format!("jdbc:postgresql://postgresql.{pg_ns}.svc.cluster.local:5432/{pg_db}"),
        "chart_repo": d::POLARIS_CHART_REPO,
        "values": values,
        "pod_annotations": p.pod_annotations,
    });
    // Clusters other than k3s (k3d) may lack the HelmChart API: install k3s'
    // helm-controller there, unless the cluster already has the CRD.
    if matches!(
        x.file.cluster,
        Some(crate::config::model::Cluster::Existing(_))
    ) {
        match render_objects(
            &(HELM_CRDS.to_string() + "\n---\n" + HELM_CONTROLLER),
            &json!({"version": d::HELM_CONTROLLER, "job_image": d::KLIPPER_HELM}),
        ) {
            Ok(objects) => {
                let spec = json!({
                    "cluster": x.cluster_ref,
                    "objects": objects,
                    "wait": [wait("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "helmcharts.helm.cattle.io"), wait("apps/v1", "Deployment", "helm-controller", "helm-controller")],
                    "unless_present": {"api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "helmcharts.helm.cattle.io"},
                });
                x.push(
                    "kube_manifest",
                    "helm-controller",
                    Span::default(),
                    spec,
                    cluster.clone(),
                );
                deps.push(Dep {
                    target: "kube_manifest.helm-controller".into(),
                    span: None,
                });
            }
            Err(e) => x.out.problems.push(Problem::new(
                ProblemKind::InvalidValue,
                format!("forge could not render the helm-controller manifest: {e}"),
                None,
                "",
            )),
        }
    }
    let mut waits = Vec::new();
    if jdbc {
        waits.push(wait("batch/v1", "Job", &polaris_ns, "polaris-bootstrap"));
    }
    waits.push(wait("apps/v1", "Deployment", &polaris_ns, "polaris"));
    x.manifest("polaris", POLARIS, ctx, waits, deps);
}
