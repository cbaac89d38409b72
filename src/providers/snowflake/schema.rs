//! `snowflake_schema`: the schema holding the migrated tables.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_schema` kind.
pub struct SnowflakeSchema;

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

impl Kind for SnowflakeSchema {
    const KIND: &'static str = "snowflake_schema";
    type Spec = SchemaSpec;
}

impl PlannedKind for SnowflakeSchema {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
