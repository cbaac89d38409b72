//! Defaults of the original tool (see `../shared/seed/FACTS.md`), kept unless there was a
//! reason to change them: Polaris moves from 1.3.0-incubating to 1.7.0, and every chart
//! and image is pinned.

/// k3s image tag.
pub const K3S_VERSION: &str = "v1.35.1-k3s1";
/// Host port of the RustFS S3 API.
pub const S3_PORT: u16 = 19000;
/// Host port of the RustFS console.
pub const CONSOLE_PORT: u16 = 19001;
/// Host port of the Polaris REST API.
pub const POLARIS_PORT: u16 = 18181;
/// Polaris version (chart and image).
pub const POLARIS_VERSION: &str = "1.7.0";
/// Polaris realm.
pub const REALM: &str = "POLARIS";
/// Polaris root client id.
pub const ROOT_CLIENT_ID: &str = "root";
/// Region used for local stores.
pub const REGION: &str = "us-east-1";
/// Length of generated secrets.
pub const SECRET_LENGTH: u16 = 24;
/// Snowflake schema.
pub const SNOWFLAKE_SCHEMA: &str = "L2C";
/// Snowflake admin role.
pub const ADMIN_ROLE: &str = "ACCOUNTADMIN";
/// RustFS image tag (`rustfs/rustfs`).
pub const RUSTFS_IMAGE: &str = "1.0.0-alpha.85";
/// PostgreSQL image tag (`postgres`).
pub const POSTGRES_IMAGE: &str = "17.6";
/// Where the official Polaris Helm chart is published.
pub const POLARIS_CHART_REPO: &str = "https://downloads.apache.org/polaris/helm-chart";
/// k3s helm-controller image tag, for clusters without it.
pub const HELM_CONTROLLER: &str = "v0.17.9";
/// The image helm-controller runs `helm` in.
pub const KLIPPER_HELM: &str = "ghcr.io/k3s-io/klipper-helm:v0.9.10-build20251111";
/// Node port of the RustFS S3 API inside the cluster (the k3d load balancer maps the
/// host's S3 port to it).
pub const S3_NODE_PORT: u16 = 31900;
/// Node port of the RustFS console.
pub const CONSOLE_NODE_PORT: u16 = 31901;
/// Node port of the Polaris REST API.
pub const POLARIS_NODE_PORT: u16 = 32181;
