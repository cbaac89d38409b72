//! `polaris_catalog`: an INTERNAL catalog on S3-compatible storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_catalog` kind.
pub struct PolarisCatalog;

/// What forge.yaml asks of a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogSpec {
    /// The server.
    pub polaris: Connection,
    /// Catalog name (also the Iceberg REST prefix).
    pub name: String,
    /// Catalog properties; `default-base-location` is always set.
    pub properties: BTreeMap<String, String>,
    /// Where its tables live.
    pub storage: StorageSpec,
}

/// The catalog's `storageConfigInfo` (S3 only in this version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageSpec {
    /// `S3`.
    #[serde(rename = "type")]
    pub storage_type: String,
    /// Locations tables may use (`s3://bucket` first).
    pub allowed_locations: Vec<String>,
    /// The S3 endpoint clients use; `None` for AWS.
    pub endpoint: Option<String>,
    /// The S3 endpoint Polaris itself uses, when it differs (inside the cluster).
    pub endpoint_internal: Option<String>,
    /// Region.
    pub region: String,
    /// Path-style S3 addressing.
    pub path_style_access: bool,
    /// No STS: Polaris vends no credentials; clients bring their own keys.
    pub sts_unavailable: bool,
}

impl Kind for PolarisCatalog {
    const KIND: &'static str = "polaris_catalog";
    type Spec = CatalogSpec;
}

impl PlannedKind for PolarisCatalog {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
