use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Located;

/// Local-to-cloud: copy Iceberg tables to AWS S3 and register them in Snowflake.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct L2c {
    /// The AWS side.
    #[serde(default)]
    pub aws: AwsTarget,
    /// The Snowflake side; leave out to stop at S3.
    #[serde(default)]
    pub snowflake: Option<SnowflakeTarget>,
    /// Which tables migrate (default: every table of every catalog).
    #[serde(default)]
    pub tables: Vec<L2cTable>,
}

/// AWS account, region and bucket.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsTarget {
    /// AWS profile (default: the default credential chain).
    #[serde(default)]
    pub profile: Option<String>,
    /// Region (default: the profile's, then `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// S3 endpoint override (for S3-compatible targets and tests).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Bucket name (default `<prefix>-<project>-<catalog>`).
    #[serde(default)]
    pub bucket: Option<Located<String>>,
    /// Let `forge destroy` delete the bucket with every object version in it (default
    /// `false`: a full destroy removes the tables' objects and keeps the bucket).
    #[serde(default)]
    pub force_destroy: bool,
}

/// Snowflake connection, roles and target database.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnowflakeTarget {
    /// Connection name in `~/.snowflake/connections.toml` (default: its default connection).
    #[serde(default)]
    pub connection: Option<String>,
    /// Role that creates the account-level objects (default `ACCOUNTADMIN`).
    #[serde(default)]
    pub admin_role: Option<String>,
    /// Database (default `<PREFIX>_<PROJECT>_<CATALOG>`).
    #[serde(default)]
    pub database: Option<String>,
    /// Schema (default `L2C`).
    #[serde(default)]
    pub schema: Option<String>,
    /// User granted the least-privilege role (default: the connection's user).
    #[serde(default)]
    pub user: Option<String>,
}

/// One table to migrate.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct L2cTable {
    /// Catalog.
    pub catalog: Located<String>,
    /// Namespace.
    pub namespace: Located<String>,
    /// Table.
    pub table: Located<String>,
}
