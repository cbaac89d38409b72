//! Turns the typed model into resource declarations: one address, one spec, and the
//! dependencies each resource has on others.
//!
//! Sections are sugar: a catalog declares its bucket and its Polaris catalog, a principal
//! its role assignments. Specs are plain JSON handed to the provider of their kind; they
//! hold secret *references* ([`SecretSpec`]) and `${kind.name.attr}` placeholders, never
//! secret values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use super::Located;
use super::defaults as d;
use super::diag::{Problem, ProblemKind};
use super::model::*;
use super::naming::{NameParts, bucket_name_problem};
use super::tree::Span;
use crate::addr::ResourceAddr;
use crate::secret::SecretSpec;

/// A dependency as written (or implied), checked by [`super::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// The address depended on, as text.
    pub target: String,
    /// Where it was written, if it was.
    pub span: Option<Span>,
}

/// One resource forge.yaml declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDecl {
    /// Its address.
    pub addr: ResourceAddr,
    /// What the provider gets.
    pub spec: Json,
    /// What it depends on.
    pub deps: Vec<Dep>,
    /// Where it is declared.
    pub span: Span,
}

/// The result of expansion.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Resources in declaration order.
    pub resources: Vec<ResourceDecl>,
    /// Problems found while expanding.
    pub problems: Vec<Problem>,
}

pub(super) struct Expander<'a> {
    pub(super) file: &'a ForgeFile,
    root: &'a super::tree::Node,
    pub(super) work_dir: &'a Path,
    names: NameParts,
    pub(super) out: Expanded,
    pub(super) cluster: Option<Dep>,
    /// How kube resources reach the cluster (`{kubeconfig, context}`).
    pub(super) cluster_ref: Json,
    stores: BTreeMap<String, (Json, Option<Dep>)>,
}

pub(super) fn dep(addr: &ResourceAddr) -> Dep {
    Dep {
        target: addr.to_string(),
        span: None,
    }
}

pub(super) fn secret(r: &Option<SecretRef>, key: &str, work_dir: &Path) -> Json {
    let spec = match r {
        Some(SecretRef::Env(n)) => SecretSpec::Env(n.clone()),
        Some(SecretRef::File(p)) => SecretSpec::File(work_dir.join(p)),
        Some(SecretRef::Generate(g)) => SecretSpec::Generate {
            key: key.into(),
            length: g.length.unwrap_or(d::SECRET_LENGTH),
        },
        None => SecretSpec::Generate {
            key: key.into(),
            length: d::SECRET_LENGTH,
        },
    };
    serde_json::to_value(spec).unwrap_or(Json::Null)
}

impl<'a> Expander<'a> {
    pub(super) fn new(
        file: &'a ForgeFile,
        root: &'a super::tree::Node,
        work_dir: &'a Path,
        names: NameParts,
    ) -> Self {
        Self {
            file,
            root,
            work_dir,
            names,
            out: Expanded::default(),
            cluster: None,
            cluster_ref: Json::Null,
            stores: BTreeMap::new(),
        }
    }

    /// The span of the key at `path` (e.g. `["stack", "polaris"]`), for problems about a section.
    pub(super) fn key_span(&self, path: &[&str]) -> Option<Span> {
        let (last, parent) = path.split_last()?;
        let segs: Vec<super::tree::PathSeg> = parent
            .iter()
            .map(|k| super::tree::PathSeg::Key(k.to_string()))
            .collect();
        let node = self.root.at_path(&segs)?;
        match &node.value {
            super::tree::Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(last))
                .map(|(k, _)| k.span),
            _ => None,
        }
    }

    pub(super) fn run(mut self) -> Expanded {
        self.cluster();
        super::stack::stack(&mut self);
        self.stores();
        self.catalog();
        self.l2c();
        self.buckets();
        self.files();
        self.out
    }

    pub(super) fn push(
        &mut self,
        kind: &str,
        name: &str,
        span: Span,
        spec: Json,
        deps: Vec<Dep>,
    ) -> Option<ResourceAddr> {
        match ResourceAddr::new(kind, name) {
            Ok(addr) => {
                self.out.resources.push(ResourceDecl {
                    addr: addr.clone(),
                    spec,
                    deps,
                    span,
                });
                Some(addr)
            }
            Err(e) => {
                self.out.problems.push(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        e.to_string(),
                        Some(span),
                        "not usable as a resource name",
                    )
                    .with_help("names may use letters, digits and `_ - . /`"),
                );
                None
            }
        }
    }

    pub(super) fn path(&self, p: &str) -> String {
        self.work_dir.join(p).display().to_string()
    }

    pub(super) fn ports(&self) -> (u16, u16, u16) {
        match &self.file.cluster {
            Some(Cluster::K3d(k)) => (
                k.ports.s3.unwrap_or(d::S3_PORT),
                k.ports.console.unwrap_or(d::CONSOLE_PORT),
                k.ports.polaris.unwrap_or(d::POLARIS_PORT),
            ),
            _ => (d::S3_PORT, d::CONSOLE_PORT, d::POLARIS_PORT),
        }
    }

    fn cluster(&mut self) {
        let Some(cluster) = &self.file.cluster else {
            return;
        };
        let addr = match cluster {
            Cluster::K3d(k) => {
                let (name, span) = match &k.name {
                    Some(n) => (n.value.clone(), n.span),
                    None => (self.names.project.clone(), Span::default()),
                };
                let (s3, console, polaris) = self.ports();
                let spec = json!({
                    "name": name,
                    "k3s_version": k.k3s_version.clone().unwrap_or_else(|| d::K3S_VERSION.into()),
                    "servers": k.servers.unwrap_or(1),
                    "agents": k.agents.unwrap_or(1),
                    "runtime": match k.runtime.unwrap_or(Runtime::Auto) { Runtime::Auto => "auto", Runtime::Docker => "docker", Runtime::Podman => "podman" },
                    "podman_machine": k.podman_machine.clone().unwrap_or_else(|| "k3d".into()),
                    "ports": {"s3": s3, "console": console, "polaris": polaris},
                    "kubeconfig": self.path(k.kubeconfig.as_deref().unwrap_or(".kube/config")),
                    "update_default_kubeconfig": k.update_default_kubeconfig,
                });
                self.cluster_ref =
                    json!({"kubeconfig": spec["kubeconfig"], "context": format!("k3d-{name}")});
                self.push("k3d_cluster", &name, span, spec, vec![])
            }
            Cluster::Existing(e) => {
                let kubeconfig = e.kubeconfig.as_ref().map(|k| match k.strip_prefix("~/") {
                    Some(rest) => {
                        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(rest)
                    }
                    None => self.work_dir.join(k),
                });
                let spec = json!({"context": e.context.value, "kubeconfig": kubeconfig});
                self.cluster_ref = json!({"kubeconfig": kubeconfig, "context": e.context.value});
                self.push(
                    "kube_context",
                    &e.context.value,
                    e.context.span,
                    spec,
                    vec![],
                )
            }
        };
        self.cluster = addr.as_ref().map(dep);
    }

    pub(super) fn needs_cluster(&mut self, what: &str) -> Vec<Dep> {
        match &self.cluster {
            Some(c) => vec![c.clone()],
            None => {
                let span = self.key_span(&["stack", what]);
                self.out.problems.push(
                    Problem::new(ProblemKind::MissingField, format!("`stack.{what}` needs a cluster to run on"), span, "declared here, with no `cluster:`")
                        .with_help("add a `cluster:` section (`k3d:` for a local cluster, `existing:` for a kubeconfig context)"),
                );
                vec![]
            }
        }
    }

    pub(super) fn realm(&self) -> String {
        self.file
            .stack
            .as_ref()
            .and_then(|s| s.polaris.as_ref())
            .and_then(|p| p.realm.clone())
            .unwrap_or_else(|| d::REALM.into())
    }

    /// The named S3 endpoints buckets can live on: `local`, `aws` and the declared ones.
    fn stores(&mut self) {
        let (s3, ..) = self.ports();
        if let Some(r) = self.file.stack.as_ref().and_then(|s| s.rustfs.as_ref()) {
            let store = json!({
                "endpoint": format!("http://localhost:{s3}"),
                "region": d::REGION,
                "path_style": true,
                "access_key": secret(&r.access_key, "stack.rustfs.access_key", self.work_dir),
                "secret_key": secret(&r.secret_key, "stack.rustfs.secret_key", self.work_dir),
            });
            self.stores.insert(
                "local".into(),
                (
                    store,
                    Some(Dep {
                        target: "kube_manifest.rustfs".into(),
                        span: None,
                    }),
                ),
            );
        }
        if let Some(l2c) = &self.file.l2c {
            let store = json!({
                "endpoint": l2c.aws.endpoint,
                "region": l2c.aws.region,
                "profile": l2c.aws.profile,
                "path_style": l2c.aws.endpoint.is_some(),
            });
            self.stores.insert("aws".into(), (store, None));
        }
        for s in &self.file.stores {
            let store = json!({
                "endpoint": s.endpoint,
                "region": s.region,
                "path_style": s.path_style.unwrap_or(s.endpoint.is_some()),
                "profile": s.profile,
                "access_key": s.access_key.as_ref().map(|r| secret(&Some(r.clone()), "", self.work_dir)),
                "secret_key": s.secret_key.as_ref().map(|r| secret(&Some(r.clone()), "", self.work_dir)),
            });
            self.stores.insert(s.name.value.clone(), (store, None));
        }
    }

    fn store(
        &mut self,
        name: Option<&Located<String>>,
        default: &str,
        user: Option<Span>,
    ) -> Option<(Json, Option<Dep>)> {
        let (value, span) = match name {
            Some(n) => (n.value.as_str(), Some(n.span)),
            None => (default, user),
        };
        if let Some(found) = self.stores.get(value) {
            return Some(found.clone());
        }
        let known: Vec<&str> = self.stores.keys().map(String::as_str).collect();
        let help = match value {
            "local" => "`local` is the stack's RustFS: add `stack: {rustfs: {}}`, or declare a store named `local` under `stores:`".to_string(),
            "aws" => "`aws` is the L2C account: add an `l2c:` section, or declare a store named `aws` under `stores:`".to_string(),
            _ => match super::diag::did_you_mean(value, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("declare it under `stores:` (known stores: {})", if known.is_empty() { "none".into() } else { known.join(", ") }),
            },
        };
        let label = if name.is_some() {
            "no store with this name"
        } else {
            "uses the default store"
        };
        self.out.problems.push(
            Problem::new(
                ProblemKind::DanglingReference,
                format!("store `{value}` is not defined"),
                span,
                label,
            )
            .with_help(help),
        );
        None
    }

    fn polaris_conn(&self) -> (Json, Vec<Dep>) {
        let (_, _, port) = self.ports();
        let stack_polaris = self.file.stack.as_ref().and_then(|s| s.polaris.as_ref());
        let url = self
            .file
            .catalog
            .as_ref()
            .and_then(|c| c.url.clone())
            .or_else(|| match &self.file.cluster {
                Some(Cluster::Existing(e)) => e.polaris_url.clone(),
                _ => None,
            })
            .unwrap_or_else(|| format!("http://localhost:{port}"));
        let client_secret = secret(
            &stack_polaris.and_then(|p| p.root_client_secret.clone()),
            "stack.polaris.root_client_secret",
            self.work_dir,
        );
        let conn = json!({
            "url": url,
            "realm": self.realm(),
            "client_id": stack_polaris.and_then(|p| p.root_client_id.clone()).unwrap_or_else(|| d::ROOT_CLIENT_ID.into()),
            "client_secret": client_secret,
        });
        let deps = stack_polaris
            .map(|_| {
                vec![Dep {
                    target: "kube_manifest.polaris".into(),
                    span: None,
                }]
            })
            .unwrap_or_default();
        (conn, deps)
    }

    fn catalog(&mut self) {
        let Some(section) = self.file.catalog.clone() else {
            return;
        };
        let (conn, conn_deps) = self.polaris_conn();
        let realm = self.realm();
        for c in &section.catalogs {
            let bucket = c.bucket.clone().unwrap_or_else(|| c.name.value.clone());
            if let Some(why) = bucket_name_problem(&bucket) {
                self.out.problems.push(Problem::new(ProblemKind::InvalidValue, format!("catalog `{}` needs bucket `{bucket}`, which is not a valid bucket name", c.name.value), Some(c.name.span), why).with_help("set `bucket:` to a valid S3 bucket name"));
            }
            let Some((store, store_dep)) = self.store(c.store.as_ref(), "local", Some(c.name.span))
            else {
                continue;
            };
            let bucket_spec = json!({"bucket": bucket, "store": store, "tags": {"Name": "Polaris Catalog"}, "force_destroy": true});
            let bucket_addr = self.push(
                "s3_bucket",
                &bucket,
                c.name.span,
                bucket_spec,
                store_dep.into_iter().collect(),
            );
            let mut deps = conn_deps.clone();
            deps.extend(bucket_addr.as_ref().map(dep));
            deps.extend(c.depends_on.iter().map(|d| Dep {
                target: d.value.clone(),
                span: Some(d.span),
            }));
            let mut allowed = vec![format!("s3://{bucket}")];
            allowed.extend(c.allowed_locations.iter().cloned());
            let mut properties = c.properties.clone();
            properties
                .entry("default-base-location".into())
                .or_insert_with(|| format!("s3://{bucket}"));
            let spec = json!({
                "polaris": conn,
                "name": c.name.value,
                "properties": properties,
                "storage": {
                    "type": "S3",
                    "allowed_locations": allowed,
                    "endpoint": store.get("endpoint"),
                    "endpoint_internal": if store.get("endpoint").and_then(Json::as_str).is_some_and(|e| e.contains("localhost")) { json!(super::stack::rustfs_internal_endpoint(self.file)) } else { Json::Null },
                    "region": store.get("region").cloned().unwrap_or(json!(d::REGION)),
                    "path_style_access": store.get("path_style").cloned().unwrap_or(json!(true)),
                    "sts_unavailable": true,
                },
            });
            self.push("polaris_catalog", &c.name.value, c.name.span, spec, deps);
        }
        for r in &section.principal_roles {
            self.push(
                "polaris_principal_role",
                &r.name.value,
                r.name.span,
                json!({"polaris": conn, "name": r.name.value}),
                conn_deps.clone(),
            );
            for cr in &r.catalog_roles {
                let name = format!("{}/{}/{}", r.name.value, cr.catalog.value, cr.role.value);
                let deps = vec![
                    Dep {
                        target: format!("polaris_principal_role.{}", r.name.value),
                        span: Some(r.name.span),
                    },
                    Dep {
                        target: format!(
                            "polaris_catalog_role.{}/{}",
                            cr.catalog.value, cr.role.value
                        ),
                        span: Some(cr.role.span),
                    },
                ];
                let spec = json!({"polaris": conn, "principal_role": r.name.value, "catalog": cr.catalog.value, "catalog_role": cr.role.value});
                self.push(
                    "polaris_catalog_role_assignment",
                    &name,
                    cr.role.span,
                    spec,
                    deps,
                );
            }
        }
        for p in &section.principals {
            let spec = json!({
                "polaris": conn,
                "name": p.name.value,
                "realm": realm,
                "credentials_file": p.credentials_file.as_ref().map(|f| self.path(f)),
            });
            self.push(
                "polaris_principal",
                &p.name.value,
                p.name.span,
                spec,
                conn_deps.clone(),
            );
            for role in &p.roles {
                let deps = vec![
                    Dep {
                        target: format!("polaris_principal.{}", p.name.value),
                        span: Some(p.name.span),
                    },
                    Dep {
                        target: format!("polaris_principal_role.{}", role.value),
                        span: Some(role.span),
                    },
                ];
                let spec = json!({"polaris": conn, "principal": p.name.value, "principal_role": role.value});
                self.push(
                    "polaris_principal_role_assignment",
                    &format!("{}/{}", p.name.value, role.value),
                    role.span,
                    spec,
                    deps,
                );
            }
        }
        for r in &section.catalog_roles {
            let name = format!("{}/{}", r.catalog.value, r.name.value);
            let cat_dep = Dep {
                target: format!("polaris_catalog.{}", r.catalog.value),
                span: Some(r.catalog.span),
            };
            self.push(
                "polaris_catalog_role",
                &name,
                r.name.span,
                json!({"polaris": conn, "catalog": r.catalog.value, "name": r.name.value}),
                vec![cat_dep],
            );
            let mut grants: Vec<Json> = r
                .privileges
                .iter()
                .map(|p| json!({"type": "catalog", "privilege": p.value}))
                .collect();
            let mut deps = vec![Dep {
                target: format!("polaris_catalog_role.{name}"),
                span: Some(r.name.span),
            }];
            for g in &r.grants {
                let ns: Vec<&str> = g.namespace.value.split('.').collect();
                match &g.table {
                    Some(t) => grants.push(json!({"type": "table", "namespace": ns, "table": t, "privilege": g.privilege.value})),
                    None => grants.push(json!({"type": "namespace", "namespace": ns, "privilege": g.privilege.value})),
                }
                deps.push(Dep {
                    target: format!(
                        "polaris_namespace.{}/{}",
                        r.catalog.value, g.namespace.value
                    ),
                    span: Some(g.namespace.span),
                });
            }
            grants.sort_by_key(|g| g.to_string());
            grants.dedup();
            let spec = json!({"polaris": conn, "catalog": r.catalog.value, "catalog_role": r.name.value, "grants": grants});
            self.push("polaris_grants", &name, r.name.span, spec, deps);
        }
        for n in &section.namespaces {
            let mut deps = vec![Dep {
                target: format!("polaris_catalog.{}", n.catalog.value),
                span: Some(n.catalog.span),
            }];
            if let Some((parent, _)) = n.name.value.rsplit_once('.') {
                deps.push(Dep {
                    target: format!("polaris_namespace.{}/{parent}", n.catalog.value),
                    span: Some(n.name.span),
                });
            }
            let levels: Vec<&str> = n.name.value.split('.').collect();
            let spec = json!({"polaris": conn, "catalog": n.catalog.value, "namespace": levels, "properties": n.properties});
            self.push(
                "polaris_namespace",
                &format!("{}/{}", n.catalog.value, n.name.value),
                n.name.span,
                spec,
                deps,
            );
        }
        for t in &section.tables {
            let deps = vec![Dep {
                target: format!(
                    "polaris_namespace.{}/{}",
                    t.catalog.value, t.namespace.value
                ),
                span: Some(t.namespace.span),
            }];
            let levels: Vec<&str> = t.namespace.value.split('.').collect();
            let spec = json!({"polaris": conn, "catalog": t.catalog.value, "namespace": levels, "name": t.name.value, "dataset": t.dataset});
            self.push(
                "polaris_table",
                &format!("{}/{}/{}", t.catalog.value, t.namespace.value, t.name.value),
                t.name.span,
                spec,
                deps,
            );
        }
    }

    fn l2c(&mut self) {
        let Some(l2c) = self.file.l2c.clone() else {
            return;
        };
        let catalogs = self
            .file
            .catalog
            .as_ref()
            .map(|c| c.catalogs.clone())
            .unwrap_or_default();
        let tables: Vec<(String, String, String, Option<Span>)> = if l2c.tables.is_empty() {
            self.file
                .catalog
                .iter()
                .flat_map(|c| c.tables.iter())
                .map(|t| {
                    (
                        t.catalog.value.clone(),
                        t.namespace.value.clone(),
                        t.name.value.clone(),
                        None,
                    )
                })
                .collect()
        } else {
            l2c.tables
                .iter()
                .map(|t| {
                    (
                        t.catalog.value.clone(),
                        t.namespace.value.clone(),
                        t.table.value.clone(),
                        Some(t.table.span),
                    )
                })
                .collect()
        };
        let mut used: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
        used.sort();
        used.dedup();
        let l2c_span = self.key_span(&["l2c"]);
        let Some((aws_store, _)) = self.store(None, "aws", l2c_span) else {
            return;
        };
        for cat in used {
            let Some(c) = catalogs.iter().find(|c| c.name.value == cat) else {
                continue;
            };
            let local_bucket = c.bucket.clone().unwrap_or_else(|| c.name.value.clone());
            let base = self.names.aws(cat);
            let sf = self.names.snowflake(cat);
            let (bucket, bspan) = match &l2c.aws.bucket {
                Some(b) => (b.value.clone(), b.span),
                None => (base.clone(), c.name.span),
            };
            if let Some(why) = bucket_name_problem(&bucket) {
                self.out.problems.push(Problem::new(ProblemKind::InvalidValue, format!("the L2C bucket name `{bucket}` is not a valid S3 bucket name"), Some(bspan), why).with_help("shorten `project` or `naming.prefix`, set `naming.no_prefix: true`, or set `l2c.aws.bucket`"));
            }
            let tags = json!({"managed-by": "forge", "user": self.names.prefix.clone().unwrap_or_else(|| "UNKNOWN".into()), "project": self.names.project, "snowflake-volume": sf});
            let b = self.push("s3_bucket", &bucket, bspan, json!({"bucket": bucket, "store": aws_store, "tags": tags, "versioning": true, "force_destroy": false}), vec![]);
            let policy = self.push(
                "iam_policy",
                &base,
                c.name.span,
                json!({"name": base, "aws": aws_store, "bucket": bucket, "tags": tags}),
                b.iter().map(dep).collect(),
            );
            let role = self.push("iam_role", &base, c.name.span, json!({"name": base, "aws": aws_store, "policy_arn": format!("${{iam_policy.{base}.arn}}"), "tags": tags}), policy.iter().map(dep).collect());
            // Copy each table to the bucket (smart sync, paths rewritten).
            let mut syncs = Vec::new();
            for (tc, ns, t, span) in tables.iter().filter(|t| t.0 == cat) {
                let sync_name = format!("{tc}/{ns}/{t}");
                let mut deps: Vec<Dep> = b.iter().map(dep).collect();
                deps.push(Dep {
                    target: format!("polaris_table.{sync_name}"),
                    span: *span,
                });
                let spec = json!({
                    "source": {"bucket": local_bucket, "store": self.stores.get("local").map(|s| s.0.clone())},
                    "target": {"bucket": bucket, "store": aws_store},
                    "catalog": tc, "namespace": ns, "table": t,
                });
                let sync = self.push(
                    "l2c_table_sync",
                    &sync_name,
                    span.unwrap_or(c.name.span),
                    spec,
                    deps,
                );
                syncs.push((
                    sync,
                    sync_name,
                    ns.clone(),
                    t.clone(),
                    span.unwrap_or(c.name.span),
                ));
            }
            let Some(s) = &l2c.snowflake else { continue };
            let conn = json!({"connection": s.connection, "admin_role": s.admin_role.clone().unwrap_or_else(|| d::ADMIN_ROLE.into())});
            let db = s.database.clone().unwrap_or_else(|| sf.clone());
            let schema = s
                .schema
                .clone()
                .unwrap_or_else(|| d::SNOWFLAKE_SCHEMA.into());
            let span = c.name.span;
            let vol = self.push("snowflake_external_volume", &sf, span, json!({"snowflake": conn, "name": sf, "bucket": bucket, "role_arn": format!("${{iam_role.{base}.arn}}")}), role.iter().map(dep).collect());
            // The role's trust can name Snowflake's IAM user only once the volume exists.
            let trust_spec = json!({
                "aws": aws_store, "role": base,
                "iam_user_arn": format!("${{snowflake_external_volume.{sf}.iam_user_arn}}"),
                "external_id": format!("${{snowflake_external_volume.{sf}.external_id}}"),
            });
            let trust = self.push(
                "iam_role_trust",
                &base,
                span,
                trust_spec,
                vol.iter().map(dep).collect(),
            );
            let integ = self.push(
                "snowflake_catalog_integration",
                &sf,
                span,
                json!({"snowflake": conn, "name": sf}),
                vec![],
            );
            let dbr = self.push(
                "snowflake_database",
                &db,
                span,
                json!({"snowflake": conn, "name": db}),
                vec![],
            );
            let sch = self.push(
                "snowflake_schema",
                &format!("{db}.{schema}"),
                span,
                json!({"snowflake": conn, "database": db, "name": schema}),
                dbr.iter().map(dep).collect(),
            );
            let role_deps: Vec<Dep> = vol.iter().chain(&integ).chain(&sch).map(dep).collect();
            let role_spec = json!({"snowflake": conn, "name": sf, "user": s.user, "database": db, "schema": schema, "external_volume": sf, "catalog_integration": sf});
            let sa = self.push("snowflake_role", &sf, span, role_spec, role_deps);
            for (sync, sync_name, ns, t, tspan) in syncs {
                let sf_table = format!(
                    "{}_{}",
                    ns.to_uppercase().replace(['.', '-'], "_"),
                    t.to_uppercase().replace('-', "_")
                );
                let deps: Vec<Dep> = sa.iter().chain(&trust).chain(&sync).map(dep).collect();
                let spec = json!({
                    "snowflake": conn, "database": db, "schema": schema, "name": sf_table, "role": sf,
                    "external_volume": sf, "catalog_integration": sf,
                    "metadata_file_path": format!("${{l2c_table_sync.{sync_name}.metadata_file_path}}"),
                });
                self.push(
                    "snowflake_iceberg_table",
                    &format!("{db}.{schema}.{sf_table}"),
                    tspan,
                    spec,
                    deps,
                );
            }
        }
    }

    fn buckets(&mut self) {
        for b in &self.file.buckets.clone() {
            if let Some(why) = bucket_name_problem(&b.name.value) {
                self.out.problems.push(Problem::new(
                    ProblemKind::InvalidValue,
                    format!("`{}` is not a valid S3 bucket name", b.name.value),
                    Some(b.name.span),
                    why,
                ));
                continue;
            }
            // An unknown store is reported; keep declaring the bucket so its other
            // references are checked too.
            let (mut store, store_dep) = self
                .store(b.store.as_ref(), "local", Some(b.name.span))
                .unwrap_or((Json::Null, None));
            if let (Some(region), Some(obj)) = (&b.region, store.as_object_mut()) {
                obj.insert("region".into(), json!(region));
            }
            let mut deps: Vec<Dep> = store_dep.into_iter().collect();
            deps.extend(b.depends_on.iter().map(|d| Dep {
                target: d.value.clone(),
                span: Some(d.span),
            }));
            let spec = json!({"bucket": b.name.value, "store": store, "tags": b.tags, "versioning": b.versioning, "force_destroy": b.force_destroy});
            self.push("s3_bucket", &b.name.value, b.name.span, spec, deps);
        }
    }

    fn files(&mut self) {
        for f in &self.file.files.clone() {
            let deps = f
                .depends_on
                .iter()
                .map(|d| Dep {
                    target: d.value.clone(),
                    span: Some(d.span),
                })
                .collect();
            let mode = f.mode.clone().unwrap_or_else(|| "0600".into());
            if u32::from_str_radix(mode.trim_start_matches("0o"), 8).is_err() {
                self.out.problems.push(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        format!("`{mode}` is not an octal file mode"),
                        Some(f.name.span),
                        "in this file's `mode`",
                    )
                    .with_help("write the mode in octal, e.g. \"0600\""),
                );
            }
            let spec = json!({"path": PathBuf::from(self.path(&f.path)), "content": f.content, "mode": mode});
            self.push("local_file", &f.name.value, f.name.span, spec, deps);
        }
    }
}
