//! `snowflake_role`: a least-privilege role for the migrated tables, granted to a user.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_role` kind.
pub struct SnowflakeRole;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// The account.
    pub snowflake: Connection,
    /// Role name.
    pub name: String,
    /// The user the role is granted to (the connection's user when `None`).
    pub user: Option<String>,
    /// The database it may use.
    pub database: String,
    /// The schema it may create tables in.
    pub schema: String,
    /// The external volume it may use.
    pub external_volume: String,
    /// The catalog integration it may use.
    pub catalog_integration: String,
}

impl Kind for SnowflakeRole {
    const KIND: &'static str = "snowflake_role";
    type Spec = RoleSpec;
}

impl PlannedKind for SnowflakeRole {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
