//! `polaris_catalog_role_assignment`: a catalog role assigned to a principal role.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_catalog_role_assignment` kind.
pub struct PolarisCatalogRoleAssignment;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRoleAssignmentSpec {
    /// The server.
    pub polaris: Connection,
    /// The principal role that gets the catalog role.
    pub principal_role: String,
    /// The catalog the role belongs to.
    pub catalog: String,
    /// The catalog role.
    pub catalog_role: String,
}

impl Kind for PolarisCatalogRoleAssignment {
    const KIND: &'static str = "polaris_catalog_role_assignment";
    type Spec = CatalogRoleAssignmentSpec;
}

impl PlannedKind for PolarisCatalogRoleAssignment {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
