//! Snowflake: the objects that expose migrated Iceberg tables — external volume, catalog
//! integration, database, schema, a least-privilege role — and the operations on the
//! Iceberg tables themselves ([`iceberg_table`]). Each spec names the account through a
//! [`Connection`] (a Snowflake CLI connection, see [`connections`]).
//!
//! Everything goes through one [`client::Client`] per connection (Snowflake's SQL API v2),
//! shared by the kinds through [`client::Clients`]; the SQL comes from the templates in
//! `templates/snowflake/` ([`sql`]), every name checked and quoted ([`names`]). Account-level objects are
//! made by the connection's admin role (`l2c.snowflake.admin_role`); tables by the
//! least-privilege role. Nothing is ever `CREATE OR REPLACE`d (that drops grants):
//! creates are `IF NOT EXISTS` and read back, so a run interrupted after a create
//! converges, and drops are `IF EXISTS`.

mod catalog_integration;
pub mod client;
mod common;
pub mod connections;
mod database;
mod external_volume;
pub mod iceberg_table;
pub mod names;
mod role;
mod schema;
pub mod sql;

use serde::{Deserialize, Serialize};

pub use catalog_integration::{
    CatalogIntegrationSpec, CatalogIntegrationState, SnowflakeCatalogIntegration,
};
pub use database::{DatabaseSpec, DatabaseState, SnowflakeDatabase};
pub use external_volume::{ExternalVolumeSpec, ExternalVolumeState, SnowflakeExternalVolume};
pub use iceberg_table::{Registered, TableRef};
pub use role::{RoleSpec, RoleState, SnowflakeRole};
pub use schema::{SchemaSpec, SchemaState, SnowflakeSchema};

/// Which Snowflake account and as whom: a connection of `~/.snowflake/connections.toml`
/// (the default one when `None`) and the role for account-level objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Connection name.
    pub connection: Option<String>,
    /// Role used for account-level objects (volume, integration, database, role).
    pub admin_role: String,
}
