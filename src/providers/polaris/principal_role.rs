//! `polaris_principal_role`: a principal role.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_principal_role` kind.
pub struct PolarisPrincipalRole;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalRoleSpec {
    /// The server.
    pub polaris: Connection,
    /// Role name.
    pub name: String,
}

impl Kind for PolarisPrincipalRole {
    const KIND: &'static str = "polaris_principal_role";
    type Spec = PrincipalRoleSpec;
}

impl PlannedKind for PolarisPrincipalRole {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
