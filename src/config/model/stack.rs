use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::SecretRef;

/// The services forge deploys on the cluster.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// RustFS, the S3-compatible object store.
    #[serde(default)]
    pub rustfs: Option<RustFs>,
    /// PostgreSQL, Polaris' metastore.
    #[serde(default)]
    pub postgresql: Option<Postgres>,
    /// Apache Polaris, the Iceberg REST catalog.
    #[serde(default)]
    pub polaris: Option<Polaris>,
}

/// RustFS settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RustFs {
    /// Annotations for its pods (e.g. to control sidecar injection).
    #[serde(default)]
    pub pod_annotations: BTreeMap<String, String>,
    /// `rustfs/rustfs` image tag.
    #[serde(default)]
    pub image_tag: Option<String>,
    /// Namespace (default `rustfs`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Admin access key (default: generated).
    #[serde(default)]
    pub access_key: Option<SecretRef>,
    /// Admin secret key (default: generated).
    #[serde(default)]
    pub secret_key: Option<SecretRef>,
    /// Size of the data volume (default `10Gi`).
    #[serde(default)]
    pub storage_size: Option<String>,
}

/// PostgreSQL settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    /// Annotations for its pods (e.g. to control sidecar injection).
    #[serde(default)]
    pub pod_annotations: BTreeMap<String, String>,
    /// `postgres` image tag (default `17.6`).
    #[serde(default)]
    pub version: Option<String>,
    /// Namespace (default: Polaris' namespace).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Size of the data volume (default `5Gi`).
    #[serde(default)]
    pub storage_size: Option<String>,
    /// Database name (default `polaris`).
    #[serde(default)]
    pub database: Option<String>,
    /// User name (default `postgres`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password (default: generated).
    #[serde(default)]
    pub password: Option<SecretRef>,
}

/// Polaris settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Polaris {
    /// Annotations for its pods (e.g. to control sidecar injection).
    #[serde(default)]
    pub pod_annotations: BTreeMap<String, String>,
    /// Polaris version: Helm chart and image tag (default `1.7.0`).
    #[serde(default)]
    pub version: Option<String>,
    /// Namespace (default `polaris`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Realm (default `POLARIS`).
    #[serde(default)]
    pub realm: Option<String>,
    /// Root principal's client id (default `root`).
    #[serde(default)]
    pub root_client_id: Option<String>,
    /// Root principal's client secret (default: generated).
    #[serde(default)]
    pub root_client_secret: Option<SecretRef>,
    /// Replicas (default 1).
    #[serde(default)]
    pub replicas: Option<u8>,
    /// Persistence: `relational-jdbc` on the stack's PostgreSQL (default) or `in-memory`.
    #[serde(default)]
    pub persistence: Option<String>,
    /// Polaris feature flags (`polaris.features."NAME"`).
    #[serde(default)]
    pub features: BTreeMap<String, serde_json::Value>,
}
