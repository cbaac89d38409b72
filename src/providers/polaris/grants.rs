//! `polaris_grants`: the whole set of privileges one catalog role holds, on its catalog,
//! namespaces and tables. Planning it as one set lets apply add the missing grants and
//! revoke the extra ones, each shown on a line of its own
//! (`+ grants.namespace wildlife TABLE_READ_DATA = true`).
//!
//! Polaris's own grant — `CATALOG_MANAGE_ACCESS` held by `catalog_admin` — is never
//! revoked, declared or not.

use std::collections::BTreeMap;

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, api_error};
use super::common::{CATALOG_ADMIN, Reach, client, mgmt, reach, unavailable_or};
use crate::config::model::CatalogPrivilege;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_grants` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisGrants {
    clients: Clients,
}

impl PolarisGrants {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantsSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// The catalog role holding the grants.
    pub catalog_role: String,
    /// Every grant, sorted and without duplicates.
    pub grants: Vec<Grant>,
}

/// One grant, as forge.yaml declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grant {
    /// A privilege on the catalog itself.
    Catalog {
        /// The privilege.
        privilege: CatalogPrivilege,
    },
    /// A privilege on a namespace (its levels).
    Namespace {
        /// Namespace levels.
        namespace: Vec<String>,
        /// The privilege.
        privilege: CatalogPrivilege,
    },
    /// A privilege on one table.
    Table {
        /// Namespace levels.
        namespace: Vec<String>,
        /// Table name.
        table: String,
        /// The privilege.
        privilege: CatalogPrivilege,
    },
}

fn privilege_name(p: CatalogPrivilege) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("privileges serialize as their names")
}

impl Grant {
    /// The grant's line in plans and state: `namespace wild.life TABLE_READ_DATA`.
    pub fn key(&self) -> String {
        match self {
            Grant::Catalog { privilege } => format!("catalog {}", privilege_name(*privilege)),
            Grant::Namespace {
                namespace,
                privilege,
            } => format!(
                "namespace {} {}",
                namespace.join("."),
                privilege_name(*privilege)
            ),
            Grant::Table {
                namespace,
                table,
                privilege,
            } => format!(
                "table {}.{table} {}",
                namespace.join("."),
                privilege_name(*privilege)
            ),
        }
    }

    /// As Polaris's `GrantResource`.
    pub fn to_api(&self) -> Value {
        match self {
            Grant::Catalog { privilege } => json!({"type": "catalog", "privilege": privilege}),
            Grant::Namespace {
                namespace,
                privilege,
            } => json!({"type": "namespace", "namespace": namespace, "privilege": privilege}),
            Grant::Table {
                namespace,
                table,
                privilege,
            } => {
                json!({"type": "table", "namespace": namespace, "tableName": table, "privilege": privilege})
            }
        }
    }
}

/// The line of a `GrantResource` the server lists (any type, views and policies too).
pub fn api_key(g: &Value) -> String {
    let ns = g["namespace"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    let privilege = g["privilege"].as_str().unwrap_or("?");
    match g["type"].as_str().unwrap_or("?") {
        "catalog" => format!("catalog {privilege}"),
        "namespace" => format!("namespace {ns} {privilege}"),
        "table" => format!(
            "table {ns}.{} {privilege}",
            g["tableName"].as_str().unwrap_or("?")
        ),
        "view" => format!(
            "view {ns}.{} {privilege}",
            g["viewName"].as_str().unwrap_or("?")
        ),
        "policy" => format!(
            "policy {ns}.{} {privilege}",
            g["policyName"].as_str().unwrap_or("?")
        ),
        other => format!("{other} {privilege}"),
    }
}

impl GrantsSpec {
    /// Sorts the grants (by their JSON text, a stable total order) and drops duplicates.
    pub fn normalize(&mut self) {
        self.grants.sort_by_cached_key(|g| {
            serde_json::to_string(g).expect("a grant is plain data and always serializes")
        });
        self.grants.dedup();
    }

    /// Whether forge must leave this grant alone: Polaris's own.
    fn protected(&self, key: &str) -> bool {
        self.catalog_role == CATALOG_ADMIN && key == "catalog CATALOG_MANAGE_ACCESS"
    }
}

/// What the role holds: one line per grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantsState {
    /// Each grant's line, `true`.
    pub grants: BTreeMap<String, bool>,
}

impl Kind for PolarisGrants {
    const KIND: &'static str = "polaris_grants";
    type Spec = GrantsSpec;
}

impl PolarisGrants {
    /// The grants the role holds, as the server lists them; `None` if the role is gone.
    async fn listed(c: &Client, spec: &GrantsSpec) -> Result<Option<Vec<Value>>, ProviderError> {
        let reply = c
            .expect(
                Method::GET,
                &mgmt(&[
                    "catalogs",
                    &spec.catalog,
                    "catalog-roles",
                    &spec.catalog_role,
                    "grants",
                ]),
                None,
                &format!("list the grants of {}/{}", spec.catalog, spec.catalog_role),
                &[200, 404],
            )
            .await?;
        Ok((reply.status == 200)
            .then(|| reply.body["grants"].as_array().cloned().unwrap_or_default()))
    }

    fn wanted(spec: &GrantsSpec) -> BTreeMap<String, bool> {
        spec.grants.iter().map(|g| (g.key(), true)).collect()
    }

    async fn change(
        c: &Client,
        spec: &GrantsSpec,
        method: Method,
        grant: &Value,
        verb: &str,
    ) -> Result<(), ProviderError> {
        let operation = format!(
            "{verb} `{}` on {}/{}",
            api_key(grant),
            spec.catalog,
            spec.catalog_role
        );
        let path = mgmt(&[
            "catalogs",
            &spec.catalog,
            "catalog-roles",
            &spec.catalog_role,
            "grants",
        ]);
        let reply = c
            .call(method, &path, Some(&json!({"grant": grant})), &operation)
            .await?;
        match reply.status {
            200 | 201 | 204 => Ok(()),
            // Revoking what is already gone.
            400 if reply.body["error"]["type"] == "GRANT_NOT_FOUND" => Ok(()),
            _ => Err(api_error(&operation, &reply, None)),
        }
    }
}

#[async_trait]
impl Resource for PolarisGrants {
    type State = GrantsState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &GrantsSpec,
        _: Option<&GrantsState>,
    ) -> Result<Observed<GrantsState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        Ok(match unavailable_or(Self::listed(&c, spec).await)? {
            Ok(Some(list)) => {
                let grants: BTreeMap<String, bool> = list
                    .iter()
                    .map(api_key)
                    .filter(|k| !spec.protected(k) || Self::wanted(spec).contains_key(k))
                    .map(|k| (k, true))
                    .collect();
                // A role holding nothing forge would manage: there is no grant set yet.
                if grants.is_empty() {
                    Observed::Absent
                } else {
                    Observed::Present(GrantsState { grants })
                }
            }
            Ok(None) => Observed::Absent,
            Err(why) => Observed::Unavailable(why),
        })
    }

    fn plan(&self, spec: &GrantsSpec, current: Option<&GrantsState>) -> Planned {
        let wanted = Self::wanted(spec);
        let action = match current {
            None => Action::Create,
            Some(cur) if cur.grants == wanted => Action::NoOp,
            Some(_) => Action::Update,
        };
        Planned {
            action,
            after: json!(GrantsState { grants: wanted }),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &GrantsSpec,
        _: Option<&GrantsState>,
        _: Action,
    ) -> Result<GrantsState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let listed = Self::listed(&c, spec).await?.unwrap_or_default();
        let held: BTreeMap<String, &Value> = listed.iter().map(|g| (api_key(g), g)).collect();
        for g in &spec.grants {
            if !held.contains_key(&g.key()) {
                Self::change(&c, spec, Method::PUT, &g.to_api(), "grant").await?;
            }
        }
        let wanted = Self::wanted(spec);
        for (key, g) in &held {
            if !wanted.contains_key(key) && !spec.protected(key) {
                Self::change(&c, spec, Method::POST, g, "revoke").await?;
            }
        }
        Ok(GrantsState { grants: wanted })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &GrantsSpec,
        _: &GrantsState,
    ) -> Result<(), ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        for g in Self::listed(&c, spec).await?.unwrap_or_default() {
            if !spec.protected(&api_key(&g)) {
                Self::change(&c, spec, Method::POST, &g, "revoke").await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_declared_and_listed_grants_agree() {
        let g = Grant::Table {
            namespace: vec!["wild".into(), "life".into()],
            table: "penguins".into(),
            privilege: CatalogPrivilege::TABLE_READ_DATA,
        };
        assert_eq!(g.key(), "table wild.life.penguins TABLE_READ_DATA");
        assert_eq!(api_key(&g.to_api()), g.key());
        let c = Grant::Catalog {
            privilege: CatalogPrivilege::CATALOG_MANAGE_CONTENT,
        };
        assert_eq!(api_key(&c.to_api()), "catalog CATALOG_MANAGE_CONTENT");
    }
}
