//! `snowflake_iceberg_table`: an Iceberg table registered from a metadata file on the external volume, refreshed when a newer snapshot is synced.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_iceberg_table` kind.
pub struct SnowflakeIcebergTable;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcebergTableSpec {
    /// The account.
    pub snowflake: Connection,
    /// Its database.
    pub database: String,
    /// Its schema.
    pub schema: String,
    /// Table name (`<NS>_<TABLE>`).
    pub name: String,
    /// The role that owns it.
    pub role: String,
    /// The external volume.
    pub external_volume: String,
    /// The catalog integration.
    pub catalog_integration: String,
    /// The metadata file, relative to the volume (`${l2c_table.NAME.metadata_file_path}`).
    pub metadata_file_path: String,
}

impl Kind for SnowflakeIcebergTable {
    const KIND: &'static str = "snowflake_iceberg_table";
    type Spec = IcebergTableSpec;
}

impl PlannedKind for SnowflakeIcebergTable {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
