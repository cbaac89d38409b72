//! Reading a live Polaris as forge.yaml's `catalog:` section: every catalog, its roles
//! and their grants, its namespaces, every principal and principal role and who holds
//! which role — what `forge catalog export` prints, ready for `forge plan` to import with
//! no other change. Polaris's own entities (`root`, `service_admin`, `catalog_admin`) are
//! left out; grants forge.yaml cannot express (on views, policies) are listed apart.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use super::client::{Client, namespace_segment, segment};
use super::common::{CATALOG_ADMIN, ROOT, SERVICE_ADMIN, mgmt, string_map};
use crate::provider::ProviderError;

/// One catalog as forge.yaml declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedCatalog {
    /// Its name.
    pub name: String,
    /// The bucket of its `default-base-location` (`s3://bucket`), if it is one.
    pub bucket: Option<String>,
    /// Allowed locations beyond the bucket.
    pub allowed_locations: Vec<String>,
    /// Properties beyond `default-base-location` when it is the bucket.
    pub properties: BTreeMap<String, String>,
}

/// A catalog role and its grants.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedCatalogRole {
    /// Its catalog.
    pub catalog: String,
    /// Its name.
    pub name: String,
    /// Privileges on the catalog.
    pub privileges: Vec<String>,
    /// `(namespace, table, privilege)` grants; `table` is `None` for a namespace grant.
    pub grants: Vec<(String, Option<String>, String)>,
}

/// Everything read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    /// Catalogs.
    pub catalogs: Vec<ExportedCatalog>,
    /// Principals and the principal roles they hold.
    pub principals: Vec<(String, Vec<String>)>,
    /// Principal roles and the `(catalog, catalog role)` pairs they hold.
    pub principal_roles: Vec<(String, Vec<(String, String)>)>,
    /// Catalog roles.
    pub catalog_roles: Vec<ExportedCatalogRole>,
    /// `(catalog, dotted namespace, properties)`, parents before children.
    pub namespaces: Vec<(String, String, BTreeMap<String, String>)>,
    /// Grants forge.yaml has no words for, as `catalog/role: grant`.
    pub skipped: Vec<String>,
}

async fn list(c: &Client, path: &str, key: &str, what: &str) -> Result<Vec<Value>, ProviderError> {
    let reply = c
        .expect(Method::GET, path, None, &format!("list {what}"), &[200])
        .await?;
    Ok(reply.body[key].as_array().cloned().unwrap_or_default())
}

fn names(items: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .filter_map(|i| i["name"].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Reads everything `client` may see; with `only` non-empty, just those catalogs and the
/// principal roles and principals that lead to them.
pub async fn read(c: &Client, only: &[String]) -> Result<Export, ProviderError> {
    let mut out = Export::default();
    for cat in list(c, &mgmt(&["catalogs"]), "catalogs", "catalogs").await? {
        let name = cat["name"].as_str().unwrap_or("").to_string();
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let mut properties = string_map(&cat["properties"]);
        let base = properties.get("default-base-location").cloned();
        let bucket = base
            .as_deref()
            .and_then(|b| b.strip_prefix("s3://"))
            .filter(|b| !b.trim_end_matches('/').contains('/'))
            .map(|b| b.trim_end_matches('/').to_string());
        if bucket.is_some() {
            properties.remove("default-base-location");
        }
        let mut allowed: Vec<String> = cat["storageConfigInfo"]["allowedLocations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(b) = &bucket {
            allowed.retain(|l| l.trim_end_matches('/') != format!("s3://{b}"));
        }
        for role in names(
            &list(
                c,
                &mgmt(&["catalogs", &name, "catalog-roles"]),
                "roles",
                "catalog roles",
            )
            .await?,
        ) {
            if role == CATALOG_ADMIN {
                continue;
            }
            let mut r = ExportedCatalogRole {
                catalog: name.clone(),
                name: role.clone(),
                privileges: vec![],
                grants: vec![],
            };
            let path = mgmt(&["catalogs", &name, "catalog-roles", &role, "grants"]);
            for g in list(c, &path, "grants", "grants").await? {
                let privilege = g["privilege"].as_str().unwrap_or("").to_string();
                let ns = g["namespace"].as_array().map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(".")
                });
                match (g["type"].as_str(), ns) {
                    (Some("catalog"), _) => r.privileges.push(privilege),
                    (Some("namespace"), Some(ns)) => r.grants.push((ns, None, privilege)),
                    (Some("table"), Some(ns)) => {
                        r.grants
                            .push((ns, g["tableName"].as_str().map(str::to_string), privilege))
                    }
                    _ => out
                        .skipped
                        .push(format!("{name}/{role}: {}", super::grants::api_key(&g))),
                }
            }
            r.privileges.sort();
            r.grants.sort();
            out.catalog_roles.push(r);
        }
        let prefix = c.prefix(&name).await?.unwrap_or_else(|| name.clone());
        let mut queue: Vec<Vec<String>> = vec![vec![]];
        while let Some(parent) = queue.pop() {
            let path = if parent.is_empty() {
                format!("/api/catalog/v1/{}/namespaces", segment(&prefix))
            } else {
                format!(
                    "/api/catalog/v1/{}/namespaces?parent={}",
                    segment(&prefix),
                    namespace_segment(&parent)
                )
            };
            for ns in list(c, &path, "namespaces", "namespaces").await? {
                let levels: Vec<String> = ns
                    .as_array()
                    .map(|l| {
                        l.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let detail = c
                    .expect(
                        Method::GET,
                        &format!(
                            "/api/catalog/v1/{}/namespaces/{}",
                            segment(&prefix),
                            namespace_segment(&levels)
                        ),
                        None,
                        "read a namespace",
                        &[200],
                    )
                    .await?;
                let mut props = string_map(&detail.body["properties"]);
                props.remove("location");
                out.namespaces.push((name.clone(), levels.join("."), props));
                queue.push(levels);
            }
        }
        out.catalogs.push(ExportedCatalog {
            name,
            bucket,
            allowed_locations: allowed,
            properties,
        });
    }
    out.namespaces
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for role in names(&list(c, &mgmt(&["principal-roles"]), "roles", "principal roles").await?) {
        if role == SERVICE_ADMIN {
            continue;
        }
        let mut held = Vec::new();
        for cat in &out.catalogs {
            let path = mgmt(&["principal-roles", &role, "catalog-roles", &cat.name]);
            for cr in names(&list(c, &path, "roles", "catalog roles held").await?) {
                if cr != CATALOG_ADMIN {
                    held.push((cat.name.clone(), cr));
                }
            }
        }
        if only.is_empty() || !held.is_empty() {
            out.principal_roles.push((role, held));
        }
    }
    for p in names(&list(c, &mgmt(&["principals"]), "principals", "principals").await?) {
        if p == ROOT {
            continue;
        }
        let path = mgmt(&["principals", &p, "principal-roles"]);
        let roles: Vec<String> = names(&list(c, &path, "roles", "principal roles held").await?)
            .into_iter()
            .filter(|r| r != SERVICE_ADMIN)
            .filter(|r| only.is_empty() || out.principal_roles.iter().any(|(n, _)| n == r))
            .collect();
        if only.is_empty() || !roles.is_empty() {
            out.principals.push((p, roles));
        }
    }
    Ok(out)
}
