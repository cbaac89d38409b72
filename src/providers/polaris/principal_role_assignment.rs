//! `polaris_principal_role_assignment`: a principal role assigned to a principal.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_principal_role_assignment` kind.
pub struct PolarisPrincipalRoleAssignment;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalRoleAssignmentSpec {
    /// The server.
    pub polaris: Connection,
    /// The principal.
    pub principal: String,
    /// The principal role it gets.
    pub principal_role: String,
}

impl Kind for PolarisPrincipalRoleAssignment {
    const KIND: &'static str = "polaris_principal_role_assignment";
    type Spec = PrincipalRoleAssignmentSpec;
}

impl PlannedKind for PolarisPrincipalRoleAssignment {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
