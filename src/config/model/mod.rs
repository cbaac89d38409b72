//! The typed model of forge.yaml.
//!
//! Every section a later capability implements is modelled here already, so the file
//! format, its JSON Schema and its diagnostics are settled in one place. The model is
//! what the user wrote; [`crate::config::expand`] turns it into resource declarations.

mod backend;
mod catalog;
mod cluster;
mod l2c;
mod secret;
mod stack;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

pub use backend::*;
pub use catalog::*;
pub use cluster::*;
pub use l2c::*;
pub use secret::*;
pub use stack::*;

use super::Located;

/// The whole forge.yaml.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "forge.yaml",
    description = "Declarative local lakehouse: cluster, stack, Polaris catalog and local-to-cloud targets."
)]
pub struct ForgeFile {
    /// Version of this file format. Only `1` exists. Required.
    #[schemars(required, range(min = 1, max = 1))]
    pub version: Option<Located<u32>>,
    /// Project name; part of cloud resource names (`<user>-<project>-<catalog>`). Required.
    #[schemars(required)]
    pub project: Option<Located<String>>,
    /// How cloud resource names are built (`<user>-<project>-<catalog>`).
    #[serde(default)]
    pub naming: Naming,
    /// The Kubernetes cluster everything runs on.
    #[serde(default)]
    pub cluster: Option<Cluster>,
    /// The services deployed on the cluster.
    #[serde(default)]
    pub stack: Option<Stack>,
    /// Polaris catalogs, principals, roles, grants, namespaces and demo tables.
    #[serde(default)]
    pub catalog: Option<CatalogSection>,
    /// Local-to-cloud targets: AWS S3 + IAM and Snowflake.
    #[serde(default)]
    pub l2c: Option<L2c>,
    /// Extra S3-compatible endpoints that `buckets` can name as their `store`.
    #[serde(default)]
    pub stores: Vec<Store>,
    /// S3 buckets managed directly (kind `s3_bucket`).
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    /// Files written on the local machine (kind `local_file`), e.g. a credentials file.
    #[serde(default)]
    pub files: Vec<LocalFile>,
    /// Where the state lives and whether it is encrypted (default: `.forge/` in the work dir).
    #[serde(default)]
    pub backend: Option<Backend>,
    /// Values printed by `forge output`. May reference resource attributes as `${kind.name.attr}`.
    #[serde(default)]
    pub outputs: BTreeMap<String, Output>,
}

/// Cloud resource naming: `<prefix>-<project>-<catalog>` for AWS (lowercase, hyphens) and
/// `<PREFIX>_<PROJECT>_<CATALOG>` for Snowflake (uppercase, underscores).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Naming {
    /// The user part of names. Defaults to the `USER` environment variable.
    #[serde(default)]
    pub prefix: Option<Located<String>>,
    /// Leave the user part out: `<project>-<catalog>`.
    #[serde(default)]
    pub no_prefix: bool,
}

/// An S3-compatible endpoint and how to authenticate to it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Name used by `store:` in buckets. `local` (the stack's RustFS) and `aws` (the L2C
    /// account) exist without being declared.
    pub name: Located<String>,
    /// Endpoint URL; leave out for AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Use path-style addressing (needed by most S3-compatible stores).
    #[serde(default)]
    pub path_style: Option<bool>,
    /// AWS profile from `~/.aws/config` (SSO works through the default credential chain).
    #[serde(default)]
    pub profile: Option<String>,
    /// Access key id; leave out to use the default credential chain.
    #[serde(default)]
    pub access_key: Option<SecretRef>,
    /// Secret access key; leave out to use the default credential chain.
    #[serde(default)]
    pub secret_key: Option<SecretRef>,
}

/// An S3 bucket (kind `s3_bucket`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Bucket name (3–63 characters: lowercase letters, digits, `-`, `.`).
    pub name: Located<String>,
    /// Which endpoint holds it: `local`, `aws`, or a name from `stores`.
    #[serde(default)]
    pub store: Option<Located<String>>,
    /// Region to create it in (defaults to the store's).
    #[serde(default)]
    pub region: Option<String>,
    /// Tags (ignored by stores that do not support tagging).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Turn on versioning (where the store supports it).
    #[serde(default)]
    pub versioning: Option<bool>,
    /// Allow `destroy` to delete the bucket while it still holds objects.
    #[serde(default)]
    pub force_destroy: bool,
    /// Extra dependencies, as addresses (`kind.name`).
    #[serde(default)]
    pub depends_on: Vec<Located<String>>,
}

/// A file written on this machine (kind `local_file`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalFile {
    /// Logical name, used in the address `local_file.<name>`.
    pub name: Located<String>,
    /// Path, relative to the work directory.
    pub path: String,
    /// Content; may reference resource attributes as `${kind.name.attr}`.
    pub content: String,
    /// File mode in octal, e.g. `"0600"` (the default).
    #[serde(default)]
    pub mode: Option<String>,
    /// Extra dependencies, as addresses (`kind.name`).
    #[serde(default)]
    pub depends_on: Vec<Located<String>>,
}

/// A value printed by `forge output`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    /// Just the value.
    Value(String),
    /// The value with options.
    Detailed {
        /// The value; may reference resource attributes as `${kind.name.attr}`.
        value: String,
        /// Hide it unless `--show-sensitive` is given.
        #[serde(default)]
        sensitive: bool,
        /// What it is.
        #[serde(default)]
        description: Option<String>,
    },
}
