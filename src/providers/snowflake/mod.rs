//! Snowflake: the objects that expose migrated Iceberg tables — external volume, catalog
//! integration, database, schema, a least-privilege role, and the Iceberg tables. Each
//! spec names the account through a [`Connection`] (a Snowflake CLI connection).
//!
//! This version plans them but cannot apply them yet.

mod catalog_integration;
pub mod client;
pub mod connections;
mod database;
mod external_volume;
mod iceberg_table;
pub mod names;
mod role;
mod schema;
pub mod sql;

use serde::{Deserialize, Serialize};

pub use catalog_integration::{CatalogIntegrationSpec, SnowflakeCatalogIntegration};
pub use database::{DatabaseSpec, SnowflakeDatabase};
pub use external_volume::{ExternalVolumeSpec, SnowflakeExternalVolume};
pub use iceberg_table::{IcebergTableSpec, SnowflakeIcebergTable};
pub use role::{RoleSpec, SnowflakeRole};
pub use schema::{SchemaSpec, SnowflakeSchema};

/// Which Snowflake account and as whom: a connection of `~/.snowflake/connections.toml`
/// (the default one when `None`) and the role for account-level objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Connection name.
    pub connection: Option<String>,
    /// Role used for account-level objects (volume, integration, database, role).
    pub admin_role: String,
}

/// The field of every Snowflake spec holding its [`Connection`] (not shown in plans).
pub(crate) const CONNECTION: Option<&str> = Some("snowflake");

/// Checks at plan time that the connection forge.yaml names exists.
pub(crate) fn check_connection(conn: &Connection) -> Result<(), crate::provider::ProviderError> {
    connections::check(&connections::Lookup::from_env(), conn.connection.as_deref()).map(|_| ())
}
