//! `snowflake_database`: the database holding the migrated tables.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_database` kind.
pub struct SnowflakeDatabase;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseSpec {
    /// The account.
    pub snowflake: Connection,
    /// Database name.
    pub name: String,
}

impl Kind for SnowflakeDatabase {
    const KIND: &'static str = "snowflake_database";
    type Spec = DatabaseSpec;
}

impl PlannedKind for SnowflakeDatabase {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
