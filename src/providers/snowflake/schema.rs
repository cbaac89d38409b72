//! `snowflake_schema`: the schema holding the migrated tables (`L2C` by default), made by
//! the admin role.
//!
//! Read with `SHOW SCHEMAS LIKE ... IN DATABASE` (a database that is not there means the
//! schema is not either); created with `CREATE SCHEMA IF NOT EXISTS`. Dropping a schema
//! drops its tables, so forge refuses while it holds any: forge's own tables are
//! destroyed before their schema.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Client, Clients, Context};
use super::common::{drop, exact, name, run, run_if_exists, session, shown};
use super::sql::ObjectType;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `snowflake_schema` kind.
#[derive(Debug, Clone, Default)]
pub struct SnowflakeSchema {
    clients: Clients,
}

impl SnowflakeSchema {
    /// The kind, sharing `clients` with the other Snowflake kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaSpec {
    /// The account.
    pub snowflake: Connection,
    /// Its database.
    pub database: String,
    /// Schema name.
    pub name: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaState {
    /// Its database, as Snowflake stores the name.
    pub database: String,
    /// The name, as Snowflake stores it.
    pub name: String,
    /// The role that owns it.
    pub owner: String,
}

impl Kind for SnowflakeSchema {
    const KIND: &'static str = "snowflake_schema";
    type Spec = SchemaSpec;
}

fn stored(spec: &SchemaSpec) -> Result<(String, String), ProviderError> {
    Ok((
        name(&spec.database, "database")?,
        name(&spec.name, "schema")?,
    ))
}

async fn find(
    c: &Client,
    role: &str,
    db: &str,
    schema: &str,
) -> Result<Option<SchemaState>, ProviderError> {
    let rs = run_if_exists(
        c,
        &Context::role(role),
        "show_schemas",
        json!({ "database": db, "name": schema }),
        &format!("read schema {db}.{schema}"),
    )
    .await?;
    Ok(rs
        .as_ref()
        .and_then(|rs| exact(rs, schema))
        .map(|r| SchemaState {
            database: db.to_string(),
            name: schema.to_string(),
            owner: r.text("owner").to_string(),
        }))
}

#[async_trait]
impl Resource for SnowflakeSchema {
    type State = SchemaState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &SchemaSpec,
        _: Option<&SchemaState>,
    ) -> Result<Observed<SchemaState>, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let (db, schema) = stored(spec)?;
        Ok(match find(&c, &admin, &db, &schema).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &SchemaSpec, current: Option<&SchemaState>) -> Planned {
        Planned {
            action: if current.is_some() {
                Action::NoOp
            } else {
                Action::Create
            },
            after: match current {
                Some(c) => json!(c),
                None => json!({ "database": shown(&spec.database), "name": shown(&spec.name) }),
            },
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &SchemaSpec,
        _: Option<&SchemaState>,
        _: Action,
    ) -> Result<SchemaState, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let (db, schema) = stored(spec)?;
        let operation = format!("create schema {db}.{schema}");
        run(
            &c,
            &Context::role(&admin),
            "create_schema",
            json!({ "database": db, "name": schema }),
            &operation,
        )
        .await?;
        find(&c, &admin, &db, &schema)
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
        spec: &SchemaSpec,
        _: &SchemaState,
    ) -> Result<(), ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let (db, schema) = stored(spec)?;
        let tables = run_if_exists(
            &c,
            &Context::role(&admin),
            "show_tables",
            json!({ "database": db, "schema": schema }),
            &format!("list the tables of schema {db}.{schema}"),
        )
        .await?;
        let left: Vec<String> = tables
            .iter()
            .flat_map(|t| t.records())
            .map(|t| t.text("name").to_string())
            .collect();
        if !left.is_empty() {
            return Err(ProviderError::Conflict {
                message: format!(
                    "schema {db}.{schema} holds tables forge does not manage ({}); dropping it would drop them too",
                    left.join(", ")
                ),
                hint: Some(
                    "drop or move them yourself, or remove the schema from forge's state with `forge state rm`"
                        .into(),
                ),
            });
        }
        drop(
            &c,
            &admin,
            ObjectType::Schema,
            &[&db, &schema],
            &format!("drop schema {db}.{schema}"),
        )
        .await
    }
}
