//! `polaris_principal`: a principal (service identity) and its client credentials.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_principal` kind.
pub struct PolarisPrincipal;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalSpec {
    /// The server.
    pub polaris: Connection,
    /// Principal name.
    pub name: String,
    /// The realm it lives in.
    pub realm: String,
    /// Where to write its credentials (mode 0600), if anywhere.
    pub credentials_file: Option<String>,
}

impl Kind for PolarisPrincipal {
    const KIND: &'static str = "polaris_principal";
    type Spec = PrincipalSpec;
}

impl PlannedKind for PolarisPrincipal {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
