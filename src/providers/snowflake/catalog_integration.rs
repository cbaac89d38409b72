//! `snowflake_catalog_integration`: a catalog integration for Iceberg tables whose metadata
//! files forge puts on object storage (`CATALOG_SOURCE = OBJECT_STORE`,
//! `TABLE_FORMAT = ICEBERG`, `ENABLED = TRUE`), made by the admin role.
//!
//! Read with `DESC CATALOG INTEGRATION`. One that is disabled or has another source or
//! format (changed by hand) is planned as a replace: forge re-creates it (`DROP`, then
//! `CREATE`, never `CREATE OR REPLACE` over it) and grants again what other roles held on
//! it, so the least-privilege role keeps its `USAGE`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Client, Clients, Context};
use super::common::{drop, grants_on, name, regrant, run, run_if_exists, session, shown};
use super::sql::ObjectType;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `snowflake_catalog_integration` kind.
#[derive(Debug, Clone, Default)]
pub struct SnowflakeCatalogIntegration {
    clients: Clients,
}

impl SnowflakeCatalogIntegration {
    /// The kind, sharing `clients` with the other Snowflake kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogIntegrationSpec {
    /// The account.
    pub snowflake: Connection,
    /// Integration name.
    pub name: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogIntegrationState {
    /// The name, as Snowflake stores it.
    pub name: String,
    /// `CATALOG_SOURCE`.
    pub catalog_source: String,
    /// `TABLE_FORMAT`.
    pub table_format: String,
    /// `ENABLED`.
    pub enabled: bool,
}

impl CatalogIntegrationState {
    fn wanted(name: String) -> Self {
        Self {
            name,
            catalog_source: "OBJECT_STORE".into(),
            table_format: "ICEBERG".into(),
            enabled: true,
        }
    }
}

impl Kind for SnowflakeCatalogIntegration {
    const KIND: &'static str = "snowflake_catalog_integration";
    type Spec = CatalogIntegrationSpec;
}

async fn find(
    c: &Client,
    role: &str,
    stored: &str,
) -> Result<Option<CatalogIntegrationState>, ProviderError> {
    let rs = run_if_exists(
        c,
        &Context::role(role),
        "describe_catalog_integration",
        json!({ "name": stored }),
        &format!("read catalog integration {stored}"),
    )
    .await?;
    Ok(rs.map(|rs| {
        let prop = |p: &str| {
            rs.records()
                .find(|r| r.get("property") == Some(p))
                .map(|r| r.text("property_value").to_string())
                .unwrap_or_default()
        };
        CatalogIntegrationState {
            name: stored.to_string(),
            catalog_source: prop("CATALOG_SOURCE"),
            table_format: prop("TABLE_FORMAT"),
            enabled: prop("ENABLED").eq_ignore_ascii_case("true"),
        }
    }))
}

async fn create(c: &Client, admin: &str, stored: &str) -> Result<(), ProviderError> {
    run(
        c,
        &Context::role(admin),
        "create_catalog_integration",
        json!({ "name": stored }),
        &format!("create catalog integration {stored}"),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Resource for SnowflakeCatalogIntegration {
    type State = CatalogIntegrationState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogIntegrationSpec,
        _: Option<&CatalogIntegrationState>,
    ) -> Result<Observed<CatalogIntegrationState>, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "catalog integration")?;
        Ok(match find(&c, &admin, &stored).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(
        &self,
        spec: &CatalogIntegrationSpec,
        current: Option<&CatalogIntegrationState>,
    ) -> Planned {
        let wanted = CatalogIntegrationState::wanted(shown(&spec.name));
        let (action, reasons) = match current {
            None => (Action::Create, vec![]),
            Some(cur) if *cur == wanted => (Action::NoOp, vec![]),
            Some(cur) => {
                let mut reasons = Vec::new();
                if cur.catalog_source != wanted.catalog_source {
                    reasons.push(format!(
                        "CATALOG_SOURCE is {} (forge makes OBJECT_STORE)",
                        cur.catalog_source
                    ));
                }
                if cur.table_format != wanted.table_format {
                    reasons.push(format!(
                        "TABLE_FORMAT is {} (forge makes ICEBERG)",
                        cur.table_format
                    ));
                }
                if !cur.enabled {
                    reasons.push("it is disabled (forge makes it ENABLED = TRUE)".into());
                }
                (Action::Replace, reasons)
            }
        };
        Planned {
            action,
            after: json!(wanted),
            reasons,
        }
    }

    fn replaces_in_place(&self) -> bool {
        true
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogIntegrationSpec,
        _: Option<&CatalogIntegrationState>,
        action: Action,
    ) -> Result<CatalogIntegrationState, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "catalog integration")?;
        if action == Action::Replace {
            let object = [stored.as_str()];
            let held = grants_on(
                &c,
                &admin,
                ObjectType::Integration,
                &object,
                &format!("read the grants on catalog integration {stored}"),
            )
            .await?;
            drop(
                &c,
                &admin,
                ObjectType::Integration,
                &object,
                &format!("drop catalog integration {stored}"),
            )
            .await?;
            create(&c, &admin, &stored).await?;
            regrant(&c, &admin, ObjectType::Integration, &object, &held).await?;
        } else {
            create(&c, &admin, &stored).await?;
        }
        find(&c, &admin, &stored)
            .await?
            .ok_or_else(|| ProviderError::Failed {
                what: format!("create catalog integration {stored}"),
                reason: format!("role {admin} does not see it after creating it"),
                hint: None,
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogIntegrationSpec,
        _: &CatalogIntegrationState,
    ) -> Result<(), ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "catalog integration")?;
        drop(
            &c,
            &admin,
            ObjectType::Integration,
            &[&stored],
            &format!("drop catalog integration {stored}"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CatalogIntegrationSpec {
        CatalogIntegrationSpec {
            snowflake: Connection {
                connection: None,
                admin_role: "ACCOUNTADMIN".into(),
            },
            name: "ci".into(),
        }
    }

    #[test]
    fn one_changed_by_hand_is_a_replace_saying_what_changed() {
        let k = SnowflakeCatalogIntegration::default();
        assert_eq!(k.plan(&spec(), None).action, Action::Create);
        let same = CatalogIntegrationState::wanted("CI".into());
        assert_eq!(k.plan(&spec(), Some(&same)).action, Action::NoOp);
        let mut disabled = same.clone();
        disabled.enabled = false;
        disabled.catalog_source = "GLUE".into();
        let p = k.plan(&spec(), Some(&disabled));
        assert_eq!(p.action, Action::Replace);
        assert_eq!(p.reasons.len(), 2, "{:?}", p.reasons);
        assert!(p.reasons[0].contains("GLUE"), "{:?}", p.reasons);
        assert!(p.reasons[1].contains("disabled"), "{:?}", p.reasons);
    }
}
