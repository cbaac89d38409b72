//! `catalog:` → the Polaris entities: per catalog its bucket (on its store) and the
//! `polaris_catalog`; principal roles and their catalog-role assignments; principals
//! and their role assignments; catalog roles with their grants as one set; namespaces
//! (each nested one after its parent); demo tables. All share one [`Connection`] to the
//! server: `catalog.url` (or the existing cluster's Polaris, or the stack's on its host
//! port), the realm and root's credentials by reference.

use std::collections::BTreeMap;

use super::stack::rustfs_namespace;
use super::{Addr, Dep, Expander, NameRule};
use crate::config::defaults as d;
use crate::config::model::{CatalogSection, Cluster, Table};
use crate::config::naming::bucket_name_problem;
use crate::config::{Problem, ProblemKind};
use crate::providers::aws::{BucketSpec, S3Bucket};
use crate::providers::kube::manifest::KubeManifest;
use crate::providers::kube::stack::rustfs_internal_endpoint;
use crate::providers::polaris::table::dataset::{Dataset, DatasetProblem};
use crate::providers::polaris::{
    CatalogRoleAssignmentSpec, CatalogRoleSpec, CatalogSpec, Connection, Grant, GrantsSpec,
    NamespaceSpec, PolarisCatalog, PolarisCatalogRole, PolarisCatalogRoleAssignment, PolarisGrants,
    PolarisNamespace, PolarisPrincipal, PolarisPrincipalRole, PolarisPrincipalRoleAssignment,
    PolarisTable, PrincipalRoleAssignmentSpec, PrincipalRoleSpec, PrincipalSpec, StorageSpec,
    TableSpec, TableStorage,
};

/// How forge.yaml reaches its Polaris (for `forge api` and `forge catalog export`):
/// `None` when it declares neither a catalog section nor the stack's Polaris.
pub fn polaris_connection(declared: &super::Declared) -> Option<Connection> {
    let file = &declared.config.file;
    let has = file.catalog.is_some() || file.stack.as_ref().is_some_and(|s| s.polaris.is_some());
    has.then(|| Expander::new(&declared.config).polaris_connection().0)
}

/// The Polaris catalogs forge.yaml declares, in order, each with the store its data
/// files are in (`None` when that store has no keys in forge.yaml): what `forge query`
/// reads them with.
pub fn catalog_stores(declared: &super::Declared) -> Vec<(String, Option<TableStorage>)> {
    let spec_of = |kind: &str, name: &str| {
        declared
            .resources
            .iter()
            .find(|r| r.addr.kind() == kind && r.addr.name() == name)
            .map(|r| r.spec.clone())
    };
    declared
        .resources
        .iter()
        .filter(|r| r.addr.kind() == <PolarisCatalog as crate::provider::Kind>::KIND)
        .filter_map(|r| serde_json::from_value::<CatalogSpec>(r.spec.clone()).ok())
        .map(|c| {
            let bucket = c
                .storage
                .allowed_locations
                .first()
                .and_then(|l| l.strip_prefix("s3://"))
                .map(|l| l.split('/').next().unwrap_or(l).to_string());
            let store = bucket
                .and_then(|b| spec_of(<S3Bucket as crate::provider::Kind>::KIND, &b))
                .and_then(|s| serde_json::from_value::<BucketSpec>(s).ok())
                .map(|b| b.store);
            let storage = store.and_then(|s| {
                Some(TableStorage {
                    region: s.region(),
                    endpoint: s.endpoint,
                    path_style: s.path_style.unwrap_or(true),
                    access_key: s.access_key?,
                    secret_key: s.secret_key?,
                })
            });
            (c.name, storage)
        })
        .collect()
}

impl Expander<'_> {
    /// How every Polaris resource reaches the server, and what it depends on (the
    /// stack's Polaris, when forge runs it).
    pub(super) fn polaris_connection(&self) -> (Connection, Vec<Dep>) {
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
        let section = self.file.catalog.as_ref();
        let realm = section
            .and_then(|c| c.realm.clone())
            .unwrap_or_else(|| self.realm());
        let client_id = section
            .and_then(|c| c.client_id.clone())
            .or_else(|| stack_polaris.and_then(|p| p.root_client_id.clone()))
            .unwrap_or_else(|| d::ROOT_CLIENT_ID.into());
        let client_secret = match section.and_then(|c| c.client_secret.clone()) {
            Some(r) => self.secret(&Some(r), "catalog.client_secret"),
            None => self.secret(
                &stack_polaris.and_then(|p| p.root_client_secret.clone()),
                "stack.polaris.root_client_secret",
            ),
        };
        let conn = Connection {
            url,
            realm,
            client_id,
            client_secret,
        };
        let deps = stack_polaris
            .map(|_| vec![Addr::<KubeManifest>::fixed("polaris").dep()])
            .unwrap_or_default();
        (conn, deps)
    }

    pub(super) fn catalog(&mut self) {
        let Some(section) = self.file.catalog.clone() else {
            return;
        };
        let (conn, conn_deps) = self.polaris_connection();
        self.catalogs(&section, &conn, &conn_deps);
        self.principal_roles(&section, &conn, &conn_deps);
        self.principals(&section, &conn, &conn_deps);
        self.catalog_roles(&section, &conn);
        self.namespaces(&section, &conn);
        self.tables(&section, &conn);
    }

    fn catalogs(&mut self, section: &CatalogSection, conn: &Connection, conn_deps: &[Dep]) {
        for c in &section.catalogs {
            self.polaris_name(NameRule::Management, "catalog", &c.name.value, c.name.span);
            let (bucket, bucket_span) = match &c.bucket {
                Some(b) => (b.value.clone(), b.span),
                None => (c.name.value.clone(), c.name.span),
            };
            if let Some(why) = bucket_name_problem(&bucket) {
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        format!(
                            "catalog `{}` needs bucket `{bucket}`, which is not a valid bucket name",
                            c.name.value
                        ),
                        Some(bucket_span),
                        why,
                    )
                    .with_help("set `bucket:` to a valid S3 bucket name"),
                );
            }
            let Some((store, store_dep)) = self.store(c.store.as_ref(), "local", Some(c.name.span))
            else {
                continue;
            };
            let bucket_spec = BucketSpec {
                bucket: bucket.clone(),
                store: store.clone(),
                tags: BTreeMap::from([("Name".to_string(), "Polaris Catalog".to_string())]),
                versioning: None,
                force_destroy: true,
            };
            let bucket_addr = self.declare::<S3Bucket>(
                &bucket,
                bucket_spec,
                c.name.span,
                store_dep.into_iter().collect(),
            );
            let mut deps = conn_deps.to_vec();
            deps.extend(bucket_addr.as_ref().map(Addr::dep));
            deps.extend(self.user_deps::<PolarisCatalog>(&c.name.value, &c.depends_on));
            let mut allowed_locations = vec![format!("s3://{bucket}")];
            allowed_locations.extend(c.allowed_locations.iter().cloned());
            let mut properties = c.properties.clone();
            properties
                .entry("default-base-location".into())
                .or_insert_with(|| format!("s3://{bucket}"));
            // The stack's RustFS is reached on localhost by clients, by its Service
            // inside the cluster by Polaris.
            let endpoint_internal = store
                .endpoint
                .as_deref()
                .filter(|e| e.contains("localhost"))
                .map(|_| rustfs_internal_endpoint(&rustfs_namespace(self.file)));
            let spec = CatalogSpec {
                polaris: conn.clone(),
                name: c.name.value.clone(),
                properties,
                storage: StorageSpec {
                    storage_type: "S3".into(),
                    allowed_locations,
                    endpoint: store.endpoint.clone(),
                    endpoint_internal,
                    region: store.region.clone().unwrap_or_else(|| d::REGION.into()),
                    path_style_access: store.path_style.unwrap_or(true),
                    sts_unavailable: true,
                },
            };
            self.declare::<PolarisCatalog>(&c.name.value, spec, c.name.span, deps);
        }
    }

    fn principal_roles(&mut self, section: &CatalogSection, conn: &Connection, conn_deps: &[Dep]) {
        for r in &section.principal_roles {
            self.polaris_name(
                NameRule::Management,
                "principal role",
                &r.name.value,
                r.name.span,
            );
            let spec = PrincipalRoleSpec {
                polaris: conn.clone(),
                name: r.name.value.clone(),
            };
            let role = self.declare::<PolarisPrincipalRole>(
                &r.name.value,
                spec,
                r.name.span,
                conn_deps.to_vec(),
            );
            for cr in &r.catalog_roles {
                self.polaris_name(
                    NameRule::Management,
                    "catalog",
                    &cr.catalog.value,
                    cr.catalog.span,
                );
                self.polaris_name(
                    NameRule::Management,
                    "catalog role",
                    &cr.role.value,
                    cr.role.span,
                );
                let name = format!("{}/{}/{}", r.name.value, cr.catalog.value, cr.role.value);
                let catalog_role = format!("{}/{}", cr.catalog.value, cr.role.value);
                let deps = role
                    .as_ref()
                    .map(|a| a.dep_at(r.name.span))
                    .into_iter()
                    .chain(self.dep_on::<PolarisCatalogRole>(&catalog_role, cr.role.span))
                    .collect();
                let spec = CatalogRoleAssignmentSpec {
                    polaris: conn.clone(),
                    principal_role: r.name.value.clone(),
                    catalog: cr.catalog.value.clone(),
                    catalog_role: cr.role.value.clone(),
                };
                self.declare::<PolarisCatalogRoleAssignment>(&name, spec, cr.role.span, deps);
            }
        }
    }

    fn principals(&mut self, section: &CatalogSection, conn: &Connection, conn_deps: &[Dep]) {
        for p in &section.principals {
            self.polaris_name(
                NameRule::Management,
                "principal",
                &p.name.value,
                p.name.span,
            );
            let spec = PrincipalSpec {
                polaris: conn.clone(),
                name: p.name.value.clone(),
                realm: conn.realm.clone(),
                credentials_file: p
                    .credentials_file
                    .as_ref()
                    .map(|f| self.path(f).display().to_string()),
                rotate: p.rotate.clone(),
            };
            let principal = self.declare::<PolarisPrincipal>(
                &p.name.value,
                spec,
                p.name.span,
                conn_deps.to_vec(),
            );
            for role in &p.roles {
                self.polaris_name(
                    NameRule::Management,
                    "principal role",
                    &role.value,
                    role.span,
                );
                let deps = principal
                    .as_ref()
                    .map(|a| a.dep_at(p.name.span))
                    .into_iter()
                    .chain(self.dep_on::<PolarisPrincipalRole>(&role.value, role.span))
                    .collect();
                let spec = PrincipalRoleAssignmentSpec {
                    polaris: conn.clone(),
                    principal: p.name.value.clone(),
                    principal_role: role.value.clone(),
                };
                let name = format!("{}/{}", p.name.value, role.value);
                self.declare::<PolarisPrincipalRoleAssignment>(&name, spec, role.span, deps);
            }
        }
    }

    fn catalog_roles(&mut self, section: &CatalogSection, conn: &Connection) {
        for r in &section.catalog_roles {
            self.polaris_name(
                NameRule::Management,
                "catalog",
                &r.catalog.value,
                r.catalog.span,
            );
            self.polaris_name(
                NameRule::Management,
                "catalog role",
                &r.name.value,
                r.name.span,
            );
            let name = format!("{}/{}", r.catalog.value, r.name.value);
            let cat_dep = self.dep_on::<PolarisCatalog>(&r.catalog.value, r.catalog.span);
            let spec = CatalogRoleSpec {
                polaris: conn.clone(),
                catalog: r.catalog.value.clone(),
                name: r.name.value.clone(),
            };
            let role = self.declare::<PolarisCatalogRole>(
                &name,
                spec,
                r.name.span,
                cat_dep.into_iter().collect(),
            );
            let mut grants: Vec<Grant> = r
                .privileges
                .iter()
                .map(|p| Grant::Catalog { privilege: p.value })
                .collect();
            let mut deps: Vec<Dep> = role.iter().map(|a| a.dep_at(r.name.span)).collect();
            for g in &r.grants {
                self.polaris_name(
                    NameRule::Namespace,
                    "namespace",
                    &g.namespace.value,
                    g.namespace.span,
                );
                if let Some(t) = &g.table {
                    self.polaris_name(NameRule::Entity, "table", &t.value, t.span);
                }
                let namespace: Vec<String> =
                    g.namespace.value.split('.').map(str::to_string).collect();
                grants.push(match &g.table {
                    Some(t) => Grant::Table {
                        namespace,
                        table: t.value.clone(),
                        privilege: g.privilege.value,
                    },
                    None => Grant::Namespace {
                        namespace,
                        privilege: g.privilege.value,
                    },
                });
                let ns = format!("{}/{}", r.catalog.value, g.namespace.value);
                deps.extend(self.dep_on::<PolarisNamespace>(&ns, g.namespace.span));
            }
            let mut spec = GrantsSpec {
                polaris: conn.clone(),
                catalog: r.catalog.value.clone(),
                catalog_role: r.name.value.clone(),
                grants,
            };
            spec.normalize();
            self.declare::<PolarisGrants>(&name, spec, r.name.span, deps);
        }
    }

    fn namespaces(&mut self, section: &CatalogSection, conn: &Connection) {
        for n in &section.namespaces {
            self.polaris_name(NameRule::Namespace, "namespace", &n.name.value, n.name.span);
            let mut deps: Vec<Dep> = self
                .dep_on::<PolarisCatalog>(&n.catalog.value, n.catalog.span)
                .into_iter()
                .collect();
            if let Some((parent, _)) = n.name.value.rsplit_once('.') {
                let parent = format!("{}/{parent}", n.catalog.value);
                deps.extend(self.dep_on::<PolarisNamespace>(&parent, n.name.span));
            }
            let spec = NamespaceSpec {
                polaris: conn.clone(),
                catalog: n.catalog.value.clone(),
                namespace: n.name.value.split('.').map(str::to_string).collect(),
                properties: n.properties.clone(),
            };
            let name = format!("{}/{}", n.catalog.value, n.name.value);
            self.declare::<PolarisNamespace>(&name, spec, n.name.span, deps);
        }
    }

    fn tables(&mut self, section: &CatalogSection, conn: &Connection) {
        for t in &section.tables {
            self.polaris_name(
                NameRule::Namespace,
                "namespace",
                &t.namespace.value,
                t.namespace.span,
            );
            self.polaris_name(NameRule::Entity, "table", &t.name.value, t.name.span);
            let ns = format!("{}/{}", t.catalog.value, t.namespace.value);
            let deps = self
                .dep_on::<PolarisNamespace>(&ns, t.namespace.span)
                .into_iter()
                .collect();
            let dataset = match Dataset::resolve(&t.dataset.value, self.work_dir) {
                Ok(d) => d,
                Err(e) => {
                    let help = match &e {
                        DatasetProblem::Unknown(_) => {
                            "name a built-in dataset, or a CSV or Parquet file (relative to the work dir)"
                        }
                        DatasetProblem::Unreadable { .. } => {
                            "paths are relative to the work dir (the directory of forge.yaml unless --work-dir says otherwise)"
                        }
                    };
                    self.problem(
                        Problem::new(
                            ProblemKind::InvalidValue,
                            format!("table `{}` cannot be filled: {e}", t.name.value),
                            Some(t.dataset.span),
                            "this dataset",
                        )
                        .with_help(help),
                    );
                    continue;
                }
            };
            let Some(storage) = self.table_storage(section, t) else {
                continue;
            };
            let spec = TableSpec {
                polaris: conn.clone(),
                catalog: t.catalog.value.clone(),
                namespace: t.namespace.value.split('.').map(str::to_string).collect(),
                name: t.name.value.clone(),
                dataset,
                storage,
            };
            let name = format!("{}/{}/{}", t.catalog.value, t.namespace.value, t.name.value);
            self.declare::<PolarisTable>(&name, spec, t.name.span, deps);
        }
    }

    /// Where a table's data files go: its catalog's store, with that store's own keys.
    /// A catalog not declared here is reported by its namespace; a store without keys
    /// is a problem (forge writes table data only with keys forge.yaml names).
    fn table_storage(&mut self, section: &CatalogSection, t: &Table) -> Option<TableStorage> {
        let catalog = section
            .catalogs
            .iter()
            .find(|c| c.name.value == t.catalog.value)?;
        let store_name = catalog
            .store
            .as_ref()
            .map_or("local", |s| s.value.as_str())
            .to_string();
        let (store, _) = self.stores.get(&store_name)?.clone();
        match (store.access_key.clone(), store.secret_key.clone()) {
            (Some(access_key), Some(secret_key)) => Some(TableStorage {
                endpoint: store.endpoint.clone(),
                region: store.region(),
                path_style: store.path_style.unwrap_or(true),
                access_key,
                secret_key,
            }),
            _ => {
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        format!(
                            "table `{}` needs the keys of store `{store_name}` to write its data files",
                            t.name.value
                        ),
                        Some(t.name.span),
                        "this table",
                    )
                    .with_help(format!(
                        "give store `{store_name}` an `access_key` and a `secret_key`: forge does not write table data with credentials from the environment"
                    )),
                );
                None
            }
        }
    }
}
