//! `polaris_namespace`: a namespace (nested by levels) and its properties.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_namespace` kind.
pub struct PolarisNamespace;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// Its levels, outermost first (`a.b` is `["a", "b"]`).
    pub namespace: Vec<String>,
    /// Namespace properties.
    pub properties: std::collections::BTreeMap<String, String>,
}

impl Kind for PolarisNamespace {
    const KIND: &'static str = "polaris_namespace";
    type Spec = NamespaceSpec;
}

impl PlannedKind for PolarisNamespace {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
