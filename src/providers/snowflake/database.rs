//! `snowflake_database`: the database holding the migrated tables, made by the admin role.
//!
//! Read with `SHOW DATABASES LIKE`; created with `CREATE DATABASE IF NOT EXISTS` (never
//! `OR REPLACE`, which would drop what is in it). Dropping a database drops everything in
//! it, so forge refuses while it holds a schema other than `PUBLIC` (and
//! `INFORMATION_SCHEMA`) or `PUBLIC` holds a table: forge's own schema and tables are
//! destroyed before it, so what is left is someone else's.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Client, Clients, Context};
use super::common::{drop, exact, name, run, run_if_exists, session, shown};
use super::sql::ObjectType;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `snowflake_database` kind.
#[derive(Debug, Clone, Default)]
pub struct SnowflakeDatabase {
    clients: Clients,
}

impl SnowflakeDatabase {
    /// The kind, sharing `clients` with the other Snowflake kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSpec {
    /// The account.
    pub snowflake: Connection,
    /// Database name.
    pub name: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseState {
    /// The name, as Snowflake stores it.
    pub name: String,
    /// The role that owns it.
    pub owner: String,
}

impl Kind for SnowflakeDatabase {
    const KIND: &'static str = "snowflake_database";
    type Spec = DatabaseSpec;
}

/// The database `stored` as `role` sees it.
async fn find(
    c: &Client,
    role: &str,
    stored: &str,
) -> Result<Option<DatabaseState>, ProviderError> {
    let rs = run(
        c,
        &Context::role(role),
        "show_databases",
        json!({ "name": stored }),
        &format!("read database {stored}"),
    )
    .await?;
    Ok(exact(&rs, stored).map(|r| DatabaseState {
        name: stored.to_string(),
        owner: r.text("owner").to_string(),
    }))
}

/// What in the database forge did not make (and would drop with it).
async fn unmanaged(c: &Client, role: &str, db: &str) -> Result<Vec<String>, ProviderError> {
    let cx = Context::role(role);
    let Some(schemas) = run_if_exists(
        c,
        &cx,
        "show_schemas",
        json!({ "database": db }),
        &format!("list the schemas of database {db}"),
    )
    .await?
    else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    for r in schemas.records() {
        let s = r.text("name");
        match s {
            "INFORMATION_SCHEMA" => {}
            "PUBLIC" => {
                let tables = run_if_exists(
                    c,
                    &cx,
                    "show_tables",
                    json!({ "database": db, "schema": s }),
                    &format!("list the tables of {db}.PUBLIC"),
                )
                .await?;
                out.extend(
                    tables
                        .iter()
                        .flat_map(|t| t.records())
                        .map(|t| format!("table PUBLIC.{}", t.text("name"))),
                );
            }
            other => out.push(format!("schema {other}")),
        }
    }
    Ok(out)
}

#[async_trait]
impl Resource for SnowflakeDatabase {
    type State = DatabaseState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &DatabaseSpec,
        _: Option<&DatabaseState>,
    ) -> Result<Observed<DatabaseState>, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "database")?;
        Ok(match find(&c, &admin, &stored).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &DatabaseSpec, current: Option<&DatabaseState>) -> Planned {
        Planned {
            action: if current.is_some() {
                Action::NoOp
            } else {
                Action::Create
            },
            after: match current {
                Some(c) => json!(c),
                None => json!({ "name": shown(&spec.name) }),
            },
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &DatabaseSpec,
        _: Option<&DatabaseState>,
        _: Action,
    ) -> Result<DatabaseState, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "database")?;
        let operation = format!("create database {stored}");
        run(
            &c,
            &Context::role(&admin),
            "create_database",
            json!({ "name": stored }),
            &operation,
        )
        .await?;
        find(&c, &admin, &stored)
            .await?
            .ok_or_else(|| ProviderError::Failed {
                what: operation,
                reason: format!("role {admin} does not see it after creating it"),
                hint: None,
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &DatabaseSpec,
        _: &DatabaseState,
    ) -> Result<(), ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "database")?;
        let left = unmanaged(&c, &admin, &stored).await?;
        if !left.is_empty() {
            return Err(ProviderError::Conflict {
                message: format!(
                    "database {stored} holds what forge did not make ({}); dropping it would drop them too",
                    left.join(", ")
                ),
                hint: Some(
                    "move or drop them yourself, or remove the database from forge's state with `forge state rm`"
                        .into(),
                ),
            });
        }
        drop(
            &c,
            &admin,
            ObjectType::Database,
            &[&stored],
            &format!("drop database {stored}"),
        )
        .await
    }
}
