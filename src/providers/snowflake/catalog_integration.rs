//! `snowflake_catalog_integration`: a catalog integration for Iceberg tables on object storage.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_catalog_integration` kind.
pub struct SnowflakeCatalogIntegration;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogIntegrationSpec {
    /// The account.
    pub snowflake: Connection,
    /// Integration name.
    pub name: String,
}

impl Kind for SnowflakeCatalogIntegration {
    const KIND: &'static str = "snowflake_catalog_integration";
    type Spec = CatalogIntegrationSpec;
}

impl PlannedKind for SnowflakeCatalogIntegration {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
