//! `polaris_grants`: the whole set of privileges one catalog role holds, on its catalog,
//! namespaces and tables. Planning it as one set lets apply add the missing grants and
//! revoke the extra ones.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::config::model::CatalogPrivilege;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_grants` kind.
pub struct PolarisGrants;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantsSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// The catalog role holding the grants.
    pub catalog_role: String,
    /// Every grant, sorted and without duplicates.
    pub grants: Vec<Grant>,
}

/// One grant, in the shape of Polaris's `GrantResource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grant {
    /// A privilege on the catalog itself.
    Catalog {
        /// The privilege.
        privilege: CatalogPrivilege,
    },
    /// A privilege on a namespace (its levels).
    Namespace {
        /// Namespace levels.
        namespace: Vec<String>,
        /// The privilege.
        privilege: CatalogPrivilege,
    },
    /// A privilege on one table.
    Table {
        /// Namespace levels.
        namespace: Vec<String>,
        /// Table name.
        table: String,
        /// The privilege.
        privilege: CatalogPrivilege,
    },
}

impl GrantsSpec {
    /// Sorts the grants (by their JSON text, a stable total order) and drops duplicates.
    pub fn normalize(&mut self) {
        self.grants.sort_by_cached_key(|g| {
            serde_json::to_string(g).expect("a grant is plain data and always serializes")
        });
        self.grants.dedup();
    }
}

impl Kind for PolarisGrants {
    const KIND: &'static str = "polaris_grants";
    type Spec = GrantsSpec;
}

impl PlannedKind for PolarisGrants {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
