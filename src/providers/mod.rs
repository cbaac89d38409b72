//! The resource kinds forge ships, one package per provider, and the [`registry`] that
//! holds them. Adding a kind is one module in its package plus one line here.
//!
//! Each package builds its clients once and shares them between its kinds. Kinds that
//! forge.yaml can declare but this version cannot apply yet are registered as planned
//! kinds: they show in `forge plan` and fail clearly in `forge apply`.

pub mod aws;
pub mod command;
pub mod k3d;
pub mod kube;
pub mod l2c;
pub mod local_file;
pub mod polaris;
pub mod render;
pub mod retry;
pub mod snowflake;

use crate::provider::Registry;

/// Every kind forge knows.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(aws::S3Bucket::new());
    let accounts = aws::Accounts::default();
    r.register(aws::IamPolicy::new(accounts.clone()));
    r.register(aws::IamRole::new(accounts.clone()));
    r.register(aws::IamRoleTrust::new(accounts));
    r.register(k3d::K3dCluster::default());
    r.register(kube::KubeManifest::default());
    r.register(kube::KubeContext);
    r.register(local_file::LocalFileResource);
    let polaris = polaris::client::Clients::default();
    r.register(polaris::PolarisCatalog::new(polaris.clone()));
    r.register(polaris::PolarisPrincipal::new(polaris.clone()));
    r.register(polaris::PolarisPrincipalRole::new(polaris.clone()));
    r.register(polaris::PolarisPrincipalRoleAssignment::new(
        polaris.clone(),
    ));
    r.register(polaris::PolarisCatalogRole::new(polaris.clone()));
    r.register(polaris::PolarisCatalogRoleAssignment::new(polaris.clone()));
    r.register(polaris::PolarisGrants::new(polaris.clone()));
    r.register(polaris::PolarisNamespace::new(polaris.clone()));
    r.register(polaris::PolarisTable::new(polaris.clone()));
    let snowflake = snowflake::client::Clients::new();
    r.register(l2c::L2cTable::new(polaris.clone(), snowflake.clone()));
    r.register(snowflake::SnowflakeExternalVolume::new(snowflake.clone()));
    r.register(snowflake::SnowflakeCatalogIntegration::new(
        snowflake.clone(),
    ));
    r.register(snowflake::SnowflakeDatabase::new(snowflake.clone()));
    r.register(snowflake::SnowflakeSchema::new(snowflake.clone()));
    r.register(snowflake::SnowflakeRole::new(snowflake.clone()));
    r
}
