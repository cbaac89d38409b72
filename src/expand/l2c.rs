//! `l2c:` → for each catalog with tables to migrate: the L2C bucket (versioned, never
//! force-destroyed), the IAM policy and role, one `l2c_table` per table, and with
//! `snowflake:` the external volume, the role's trust (which needs the volume's IAM
//! user and external id: the two-phase dependency, role → volume → trust), the catalog
//! integration, database, schema and a least-privilege role — declared before the tables,
//! since each table's `l2c_table` registers its copy in Snowflake and so depends on them.
//! Names follow `<user>-<project>-<catalog>` on AWS and `<USER>_<PROJECT>_<CATALOG>` in
//! Snowflake; tables are `<NS>_<TABLE>` in the L2C schema.

use std::collections::BTreeMap;

use super::{Addr, Dep, Expander, NameRule};
use crate::config::defaults as d;
use crate::config::model::Catalog;
use crate::config::naming::bucket_name_problem;
use crate::config::tree::Span;
use crate::config::{Problem, ProblemKind};
use crate::providers::aws::{
    BucketSpec, IamPolicy, IamPolicySpec, IamRole, IamRoleSpec, IamRoleTrust, IamRoleTrustSpec,
    S3Bucket, StoreSpec,
};
use crate::providers::l2c::{L2cTable, Side, TableSpec};
use crate::providers::polaris::PolarisTable;
use crate::providers::snowflake::names::address_part;
use crate::providers::snowflake::{
    CatalogIntegrationSpec, Connection, DatabaseSpec, ExternalVolumeSpec, RoleSpec, SchemaSpec,
    SnowflakeCatalogIntegration, SnowflakeDatabase, SnowflakeExternalVolume, SnowflakeRole,
    SnowflakeSchema, TableRef,
};

/// One table to migrate: catalog, namespace, table, and where the user named it.
struct Migrated {
    catalog: String,
    namespace: String,
    table: String,
    span: Option<Span>,
}

impl Expander<'_> {
    pub(super) fn l2c(&mut self) {
        let Some(l2c) = self.file.l2c.clone() else {
            return;
        };
        let catalogs = self
            .file
            .catalog
            .as_ref()
            .map(|c| c.catalogs.clone())
            .unwrap_or_default();
        // Without `l2c.tables`, every demo table of the catalog section is migrated.
        let tables: Vec<Migrated> = if l2c.tables.is_empty() {
            self.file
                .catalog
                .iter()
                .flat_map(|c| c.tables.iter())
                .map(|t| Migrated {
                    catalog: t.catalog.value.clone(),
                    namespace: t.namespace.value.clone(),
                    table: t.name.value.clone(),
                    span: None,
                })
                .collect()
        } else {
            for t in &l2c.tables {
                self.polaris_name(
                    NameRule::Namespace,
                    "namespace",
                    &t.namespace.value,
                    t.namespace.span,
                );
                self.polaris_name(NameRule::Entity, "table", &t.table.value, t.table.span);
            }
            l2c.tables
                .iter()
                .map(|t| Migrated {
                    catalog: t.catalog.value.clone(),
                    namespace: t.namespace.value.clone(),
                    table: t.table.value.clone(),
                    span: Some(t.table.span),
                })
                .collect()
        };
        let mut used: Vec<&str> = tables.iter().map(|t| t.catalog.as_str()).collect();
        used.sort();
        used.dedup();
        let l2c_span = self.key_span(&["l2c"]);
        let Some((aws, _)) = self.store(None, "aws", l2c_span) else {
            return;
        };
        for t in l2c.tables.iter() {
            if !catalogs.iter().any(|c| c.name.value == t.catalog.value) {
                let declared: Vec<&str> = catalogs.iter().map(|c| c.name.value.as_str()).collect();
                self.problem(
                    Problem::new(
                        ProblemKind::DanglingReference,
                        format!(
                            "`l2c.tables` names catalog `{}`, which `catalog.catalogs` does not declare",
                            t.catalog.value
                        ),
                        Some(t.catalog.span),
                        "forge reads a migrated table through its declared catalog",
                    )
                    .with_help(if declared.is_empty() {
                        "declare the catalog under `catalog.catalogs`".to_string()
                    } else {
                        format!("declared catalogs: {}", declared.join(", "))
                    }),
                );
            }
        }
        for cat in used {
            let Some(c) = catalogs.iter().find(|c| c.name.value == cat) else {
                continue;
            };
            let in_catalog: Vec<&Migrated> = tables.iter().filter(|t| t.catalog == cat).collect();
            self.migrate_catalog(&l2c, c, &aws, &in_catalog);
        }
    }

    fn migrate_catalog(
        &mut self,
        l2c: &crate::config::model::L2c,
        c: &Catalog,
        aws: &StoreSpec,
        tables: &[&Migrated],
    ) {
        let cat = c.name.value.as_str();
        let local_bucket = c
            .bucket
            .as_ref()
            .map(|b| b.value.clone())
            .unwrap_or_else(|| cat.to_string());
        let base = self.names.aws(cat);
        let sf = self.names.snowflake(cat);
        let (bucket, bspan) = match &l2c.aws.bucket {
            Some(b) => (b.value.clone(), b.span),
            None => (base.clone(), c.name.span),
        };
        if let Some(why) = bucket_name_problem(&bucket) {
            self.problem(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("the L2C bucket name `{bucket}` is not a valid S3 bucket name"),
                    Some(bspan),
                    why,
                )
                .with_help(
                    "shorten `project` or `naming.prefix`, set `naming.no_prefix: true`, or set `l2c.aws.bucket`",
                ),
            );
        }
        let tags = BTreeMap::from([
            ("managed-by".to_string(), "forge".to_string()),
            (
                "user".to_string(),
                self.names
                    .prefix
                    .clone()
                    .unwrap_or_else(|| "UNKNOWN".into()),
            ),
            ("project".to_string(), self.names.project.clone()),
            ("snowflake-volume".to_string(), sf.clone()),
        ]);
        let bucket_spec = BucketSpec {
            bucket: bucket.clone(),
            store: aws.clone(),
            tags: tags.clone(),
            versioning: Some(true),
            force_destroy: l2c.aws.force_destroy,
        };
        let b = self.declare::<S3Bucket>(&bucket, bucket_spec, bspan, vec![]);
        let policy_spec = IamPolicySpec {
            name: base.clone(),
            aws: aws.clone(),
            bucket: bucket.clone(),
            tags: tags.clone(),
        };
        let policy = self.declare::<IamPolicy>(
            &base,
            policy_spec,
            c.name.span,
            b.iter().map(Addr::dep).collect(),
        );
        let role_spec = IamRoleSpec {
            name: base.clone(),
            aws: aws.clone(),
            policy_arn: policy.as_ref().map(|p| p.attr("arn")).unwrap_or_default(),
            tags,
        };
        let role = self.declare::<IamRole>(
            &base,
            role_spec,
            c.name.span,
            policy.iter().map(Addr::dep).collect(),
        );
        // Snowflake first: each table's registration depends on its volume, trust and role.
        let sf_target = match &l2c.snowflake {
            None => None,
            Some(s) => {
                let conn = Connection {
                    connection: s.connection.clone(),
                    admin_role: s.admin_role.clone().unwrap_or_else(|| d::ADMIN_ROLE.into()),
                };
                let db = s.database.clone().unwrap_or_else(|| sf.clone());
                let schema = s
                    .schema
                    .clone()
                    .unwrap_or_else(|| d::SNOWFLAKE_SCHEMA.into());
                let span = c.name.span;
                for (key, what, value) in [
                    ("admin_role", "role", Some(&conn.admin_role)),
                    ("database", "database", Some(&db)),
                    ("schema", "schema", Some(&schema)),
                    ("user", "user", s.user.as_ref()),
                ] {
                    if let Some(v) = value {
                        let at = self.value_span(&["l2c", "snowflake", key]).unwrap_or(span);
                        self.snowflake_name(what, v, at);
                    }
                }
                self.snowflake_name("external volume, integration and role", &sf, span);
                let volume_spec = ExternalVolumeSpec {
                    snowflake: conn.clone(),
                    name: sf.clone(),
                    bucket: bucket.clone(),
                    role_arn: role.as_ref().map(|r| r.attr("arn")).unwrap_or_default(),
                    external_id: role
                        .as_ref()
                        .map(|r| r.attr("external_id"))
                        .unwrap_or_default(),
                };
                let vol = self.declare::<SnowflakeExternalVolume>(
                    &sf,
                    volume_spec,
                    span,
                    role.iter().map(Addr::dep).collect(),
                );
                // The role's trust can name Snowflake's IAM user only once the volume exists.
                let trust_spec = IamRoleTrustSpec {
                    aws: aws.clone(),
                    role: base.clone(),
                    iam_user_arn: vol
                        .as_ref()
                        .map(|v| v.attr("iam_user_arn"))
                        .unwrap_or_default(),
                    external_id: vol
                        .as_ref()
                        .map(|v| v.attr("external_id"))
                        .unwrap_or_default(),
                };
                let trust = self.declare::<IamRoleTrust>(
                    &base,
                    trust_spec,
                    span,
                    vol.iter().map(Addr::dep).collect(),
                );
                let integration_spec = CatalogIntegrationSpec {
                    snowflake: conn.clone(),
                    name: sf.clone(),
                };
                let integ = self.declare::<SnowflakeCatalogIntegration>(
                    &sf,
                    integration_spec,
                    span,
                    vec![],
                );
                let db_spec = DatabaseSpec {
                    snowflake: conn.clone(),
                    name: db.clone(),
                };
                let dbr =
                    self.declare::<SnowflakeDatabase>(&address_part(&db), db_spec, span, vec![]);
                let schema_spec = SchemaSpec {
                    snowflake: conn.clone(),
                    database: db.clone(),
                    name: schema.clone(),
                };
                let sch = self.declare::<SnowflakeSchema>(
                    &format!("{}.{}", address_part(&db), address_part(&schema)),
                    schema_spec,
                    span,
                    dbr.iter().map(Addr::dep).collect(),
                );
                let mut role_deps: Vec<_> = vol.iter().map(Addr::dep).collect();
                role_deps.extend(integ.iter().map(Addr::dep));
                role_deps.extend(sch.iter().map(Addr::dep));
                let role_spec = RoleSpec {
                    snowflake: conn.clone(),
                    name: sf.clone(),
                    user: s.user.clone(),
                    database: db.clone(),
                    schema: schema.clone(),
                    external_volume: sf.clone(),
                    catalog_integration: sf.clone(),
                };
                let sf_role = self.declare::<SnowflakeRole>(&sf, role_spec, span, role_deps);
                let mut deps: Vec<Dep> = sf_role.iter().map(Addr::dep).collect();
                deps.extend(trust.iter().map(Addr::dep));
                Some((conn, db, schema, deps))
            }
        };
        // Copy each table to the bucket (smart sync, paths rewritten).
        // The source is the catalog's own store (the stack's RustFS unless it names one).
        let local_store = self
            .stores
            .get(c.store.as_ref().map_or("local", |s| s.value.as_str()))
            .map(|s| s.0.clone());
        let demo_tables: Vec<String> = self
            .file
            .catalog
            .iter()
            .flat_map(|c| c.tables.iter())
            .map(|t| format!("{}/{}/{}", t.catalog.value, t.namespace.value, t.name.value))
            .collect();
        let (polaris, polaris_deps) = self.polaris_connection();
        for t in tables {
            let name = format!("{}/{}/{}", t.catalog, t.namespace, t.table);
            let mut deps: Vec<_> = b.iter().map(Addr::dep).collect();
            deps.extend(polaris_deps.iter().cloned());
            // A demo table forge fills is migrated after it is filled; a table written by
            // anyone else is read as the catalog has it.
            if demo_tables.contains(&name)
                && let Ok(table) = Addr::<PolarisTable>::new(&name)
            {
                deps.push(match t.span {
                    Some(s) => table.dep_at(s),
                    None => table.dep(),
                });
            }
            let mut snowflake = None;
            if let Some((conn, db, schema, sf_deps)) = &sf_target {
                // `<NS>_<TABLE>` in the L2C schema, as the replaced tool named them.
                let sf_table = format!(
                    "{}_{}",
                    t.namespace.to_uppercase().replace(['.', '-'], "_"),
                    t.table.to_uppercase().replace('-', "_")
                );
                self.snowflake_name("table", &sf_table, t.span.unwrap_or(c.name.span));
                deps.extend(sf_deps.iter().cloned());
                snowflake = Some(TableRef {
                    connection: conn.clone(),
                    database: db.clone(),
                    schema: schema.clone(),
                    name: sf_table,
                    role: sf.clone(),
                    external_volume: sf.clone(),
                    catalog_integration: sf.clone(),
                });
            }
            let spec = TableSpec {
                snowflake,
                polaris: polaris.clone(),
                source: Side {
                    bucket: local_bucket.clone(),
                    store: local_store.clone(),
                },
                target: Side {
                    bucket: bucket.clone(),
                    store: Some(aws.clone()),
                },
                catalog: t.catalog.clone(),
                namespace: t.namespace.clone(),
                table: t.table.clone(),
            };
            let span = t.span.unwrap_or(c.name.span);
            self.declare::<L2cTable>(&name, spec, span, deps);
        }
    }
}

impl Expander<'_> {
    /// Checks a name by Snowflake's identifier rules (see
    /// [`crate::providers::snowflake::names`]); a name Snowflake cannot hold is reported at
    /// `span`, so it shows at plan time instead of as a failed statement.
    fn snowflake_name(&mut self, what: &str, name: &str, span: Span) {
        if let Err(why) = crate::providers::snowflake::names::resolve(name) {
            self.problem(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("`{name}` is not a valid Snowflake {what} name: {why}"),
                    Some(span),
                    "Snowflake would refuse this name",
                )
                .with_help(
                    "Snowflake names are 1 to 255 characters without control characters; `name` is read as NAME, `'\"name\"'` keeps its case",
                ),
            );
        }
    }

    /// The span of the value at `path` (e.g. `["l2c", "snowflake", "database"]`).
    fn value_span(&self, path: &[&str]) -> Option<Span> {
        let segs: Vec<crate::config::tree::PathSeg> = path
            .iter()
            .map(|k| crate::config::tree::PathSeg::Key(k.to_string()))
            .collect();
        self.tree.at_path(&segs).map(|n| n.span)
    }
}
