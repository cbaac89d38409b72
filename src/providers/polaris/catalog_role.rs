//! `polaris_catalog_role`: a role inside one catalog.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_catalog_role` kind.
pub struct PolarisCatalogRole;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRoleSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// Role name.
    pub name: String,
}

impl Kind for PolarisCatalogRole {
    const KIND: &'static str = "polaris_catalog_role";
    type Spec = CatalogRoleSpec;
}

impl PlannedKind for PolarisCatalogRole {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
