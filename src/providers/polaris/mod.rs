//! Apache Polaris: the catalog's entities as kinds — catalogs, principals, principal
//! and catalog roles, their assignments, grants, namespaces and demo tables. Each
//! kind's spec names the server through a [`Connection`].
//!
//! All share one [`client::Clients`] cache: one authenticated client per server,
//! realm and principal, its token cached. Tables are filled with Apache Iceberg Rust
//! (see [`table`]).

mod catalog;
mod catalog_role;
mod catalog_role_assignment;
pub mod client;
pub mod common;
pub mod export;
mod grants;
pub mod names;
mod namespace;
mod principal;
mod principal_role;
mod principal_role_assignment;
pub mod table;

use serde::{Deserialize, Serialize};

pub use catalog::{CatalogSpec, CatalogState, PolarisCatalog, StorageSpec};
pub use catalog_role::{CatalogRoleSpec, PolarisCatalogRole};
pub use catalog_role_assignment::{CatalogRoleAssignmentSpec, PolarisCatalogRoleAssignment};
pub use grants::{Grant, GrantsSpec, GrantsState, PolarisGrants};
pub use namespace::{NamespaceSpec, NamespaceState, PolarisNamespace};
pub use principal::{PolarisPrincipal, PrincipalSpec, PrincipalState};
pub use principal_role::{PolarisPrincipalRole, PrincipalRoleSpec, RoleState};
pub use principal_role_assignment::{
    AssignmentState, PolarisPrincipalRoleAssignment, PrincipalRoleAssignmentSpec,
};
pub use table::{Dataset, PolarisTable, TableSpec, TableState, TableStorage};

use crate::secret::SecretSpec;

/// How to reach a Polaris server: its REST endpoint, the realm, and the client
/// credentials forge authenticates with (the secret by reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Base URL, e.g. `http://localhost:18181`.
    pub url: String,
    /// The realm (`Polaris-Realm` header).
    pub realm: String,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret, by reference.
    pub client_secret: SecretSpec,
}
