//! The resource kinds forge ships, and the [`registry`] that holds them.
//!
//! Each provider module builds its clients once and registers its kinds. Kinds that
//! forge.yaml can declare but this version cannot apply yet are registered as planned
//! kinds: they show in `forge plan` and fail clearly in `forge apply`.

pub mod command;
pub mod k3d;
pub mod kube;
pub mod local_file;
pub mod s3;

use crate::provider::Registry;

/// Kinds forge.yaml declares whose providers are not in this version yet.
pub const PLANNED_KINDS: &[&str] = &[
    "polaris_catalog",
    "polaris_principal",
    "polaris_principal_role",
    "polaris_principal_role_assignment",
    "polaris_catalog_role",
    "polaris_catalog_role_assignment",
    "polaris_grants",
    "polaris_namespace",
    "polaris_table",
    "iam_policy",
    "iam_role",
    "iam_role_trust",
    "l2c_table_sync",
    "snowflake_external_volume",
    "snowflake_catalog_integration",
    "snowflake_database",
    "snowflake_schema",
    "snowflake_role",
    "snowflake_iceberg_table",
];

/// Every kind forge knows.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    for kind in PLANNED_KINDS {
        r.register_planned(kind);
    }
    r.register(s3::S3Bucket::new());
    r.register(k3d::K3dCluster::default());
    r.register(kube::KubeManifest::default());
    r.register(kube::KubeContext);
    r.register(local_file::LocalFileResource);
    if std::env::var_os("FORGE_ENABLE_FAKE").is_some() {
        // The engine's test kind, for the process-level tests of locking and recovery.
        r.register(crate::provider::fake::FakeResource::new());
    }
    r
}
