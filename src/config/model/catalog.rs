use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Located;

/// Everything inside Polaris.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    /// Base URL of the Polaris REST API (default: the stack's, `http://localhost:18181`).
    #[serde(default)]
    pub url: Option<String>,
    /// The realm (default: the stack's, `POLARIS`).
    #[serde(default)]
    pub realm: Option<String>,
    /// The client id forge authenticates as (default: the stack's root, `root`).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Its secret, by reference (default: the stack's generated root secret). Needed
    /// when the catalog section is used without `stack.polaris`.
    #[serde(default)]
    pub client_secret: Option<super::SecretRef>,
    /// Catalogs.
    #[serde(default)]
    pub catalogs: Vec<Catalog>,
    /// Principals (service identities); their one-time secrets are kept in state.
    #[serde(default)]
    pub principals: Vec<Principal>,
    /// Principal roles.
    #[serde(default)]
    pub principal_roles: Vec<PrincipalRole>,
    /// Catalog roles and their grants.
    #[serde(default)]
    pub catalog_roles: Vec<CatalogRole>,
    /// Namespaces.
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    /// Demo tables with data.
    #[serde(default)]
    pub tables: Vec<Table>,
}

/// A Polaris catalog on S3 storage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Catalog name.
    pub name: Located<String>,
    /// Bucket holding the catalog's data (default: the catalog name), created on the store.
    #[serde(default)]
    pub bucket: Option<Located<String>>,
    /// Which store holds the bucket (default `local`, the stack's RustFS).
    #[serde(default)]
    pub store: Option<Located<String>>,
    /// Extra allowed locations besides `s3://<bucket>`.
    #[serde(default)]
    pub allowed_locations: Vec<String>,
    /// Catalog properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Extra dependencies, as addresses (`kind.name`).
    #[serde(default)]
    pub depends_on: Vec<Located<String>>,
}

/// A Polaris principal.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Principal name.
    pub name: Located<String>,
    /// Principal roles granted to it.
    #[serde(default)]
    pub roles: Vec<Located<String>>,
    /// Also write `REALM,client_id,client_secret` to this file (mode 0600), as the
    /// original tool's `work/principal.txt`.
    #[serde(default)]
    pub credentials_file: Option<String>,
    /// Any value: changing it issues the principal new credentials (rotation), shown in
    /// the plan. `forge apply --replace polaris_principal.NAME` does the same once.
    #[serde(default)]
    pub rotate: Option<String>,
}

/// A Polaris principal role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalRole {
    /// Role name.
    pub name: Located<String>,
    /// Catalog roles granted to this principal role.
    #[serde(default)]
    pub catalog_roles: Vec<CatalogRoleRef>,
}

/// A reference to a catalog role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogRoleRef {
    /// Catalog name.
    pub catalog: Located<String>,
    /// Catalog role name.
    pub role: Located<String>,
}

/// A catalog role and its privileges.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogRole {
    /// Catalog the role belongs to.
    pub catalog: Located<String>,
    /// Role name.
    pub name: Located<String>,
    /// Privileges granted on the catalog itself.
    #[serde(default)]
    pub privileges: Vec<Located<CatalogPrivilege>>,
    /// Privileges granted on a namespace or table.
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// Catalog-level privileges (Polaris management API `CatalogPrivilege`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, JsonSchema,
)]
#[allow(non_camel_case_types, missing_docs)]
pub enum CatalogPrivilege {
    CATALOG_MANAGE_ACCESS,
    CATALOG_MANAGE_CONTENT,
    CATALOG_MANAGE_METADATA,
    CATALOG_READ_PROPERTIES,
    CATALOG_WRITE_PROPERTIES,
    NAMESPACE_CREATE,
    TABLE_CREATE,
    VIEW_CREATE,
    NAMESPACE_DROP,
    TABLE_DROP,
    VIEW_DROP,
    NAMESPACE_LIST,
    TABLE_LIST,
    VIEW_LIST,
    NAMESPACE_READ_PROPERTIES,
    TABLE_READ_PROPERTIES,
    VIEW_READ_PROPERTIES,
    NAMESPACE_WRITE_PROPERTIES,
    TABLE_WRITE_PROPERTIES,
    VIEW_WRITE_PROPERTIES,
    TABLE_READ_DATA,
    TABLE_WRITE_DATA,
    NAMESPACE_FULL_METADATA,
    TABLE_FULL_METADATA,
    VIEW_FULL_METADATA,
    POLICY_CREATE,
    POLICY_WRITE,
    POLICY_READ,
    POLICY_DROP,
    POLICY_LIST,
    POLICY_FULL_METADATA,
    CATALOG_ATTACH_POLICY,
    CATALOG_DETACH_POLICY,
    NAMESPACE_ATTACH_POLICY,
    NAMESPACE_DETACH_POLICY,
    TABLE_ATTACH_POLICY,
    TABLE_DETACH_POLICY,
}

/// A privilege on a namespace or a table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Namespace (dot-separated for nested namespaces).
    pub namespace: Located<String>,
    /// Table in that namespace; leave out for a namespace grant.
    #[serde(default)]
    pub table: Option<Located<String>>,
    /// The privilege.
    pub privilege: Located<CatalogPrivilege>,
}

/// A namespace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    /// Catalog.
    pub catalog: Located<String>,
    /// Name; dot-separated for nested namespaces (`a.b`).
    pub name: Located<String>,
    /// Namespace properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// A demo table with data.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Catalog.
    pub catalog: Located<String>,
    /// Namespace.
    pub namespace: Located<String>,
    /// Table name.
    pub name: Located<String>,
    /// Data to fill it with: a built-in dataset (`penguins`), or the path of a CSV
    /// (with a header line) or Parquet file, relative to the work dir. A changed file
    /// replaces the table's data with a new snapshot.
    pub dataset: Located<String>,
}
