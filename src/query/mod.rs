//! `forge query "SQL"` (cargo feature `query`): read-only SQL over the tables of the
//! catalogs forge.yaml declares, with Apache DataFusion on Iceberg Rust.
//!
//! Each declared Polaris catalog is opened as an Iceberg REST catalog
//! (`iceberg-catalog-rest`), authenticated as forge.yaml's connection says (client
//! credentials, `PRINCIPAL_ROLE:ALL`, the `Polaris-Realm` header), and registered in a
//! DataFusion session under its own name (`iceberg-datafusion`); its data files are read
//! with the keys of the catalog's store from forge.yaml, never with credentials from the
//! environment. Unqualified `namespace.table` names resolve in the default catalog (the
//! first declared, or `--catalog`). DDL, DML and `SET`-like statements are refused, so
//! nothing is written.

mod error;
mod output;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use iceberg::CatalogBuilder;
use iceberg_catalog_rest::{
    REST_CATALOG_PROP_URI, REST_CATALOG_PROP_WAREHOUSE, RestCatalogBuilder,
};
use iceberg_datafusion::IcebergCatalogProvider;
use iceberg_storage_opendal::OpenDalStorageFactory;

pub use error::QueryError;
pub use output::{Format, render};

use crate::providers::polaris::{Connection, TableStorage};
use crate::secret::Secrets;

/// What to query: forge.yaml's Polaris and its catalogs with their stores.
#[derive(Debug, Clone)]
pub struct Target {
    /// How to reach Polaris.
    pub connection: Connection,
    /// Declared catalogs, in order, with their store (`None`: no keys in forge.yaml).
    pub catalogs: Vec<(String, Option<TableStorage>)>,
    /// The catalog unqualified names resolve in; the first declared when `None`.
    pub default: Option<String>,
}

/// Runs `sql` and returns its rows.
pub async fn run(
    target: &Target,
    secrets: &Secrets,
    sql: &str,
) -> Result<Vec<RecordBatch>, QueryError> {
    let known = || {
        target
            .catalogs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let default = match &target.default {
        Some(d) if target.catalogs.iter().any(|(n, _)| n == d) => d.clone(),
        Some(d) => {
            return Err(QueryError::UnknownCatalog {
                name: d.clone(),
                known: known(),
            });
        }
        None => target
            .catalogs
            .first()
            .map(|(n, _)| n.clone())
            .ok_or(QueryError::NoCatalog)?,
    };
    let config = SessionConfig::new()
        .with_create_default_catalog_and_schema(false)
        .with_default_catalog_and_schema(&default, "default");
    let ctx = SessionContext::new_with_config(config);
    let secret = secrets
        .resolve(&target.connection.client_secret)
        .map_err(crate::provider::ProviderError::from)?;
    for (name, storage) in &target.catalogs {
        let storage = storage
            .as_ref()
            .ok_or_else(|| QueryError::NoKeys(name.clone()))?;
        let catalog = open(&target.connection, &secret, name, storage, secrets).await?;
        ctx.register_catalog(name, Arc::new(catalog));
    }
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let plan = ctx
        .state()
        .create_logical_plan(sql)
        .await
        .map_err(QueryError::Sql)?;
    options.verify_plan(&plan).map_err(QueryError::ReadOnly)?;
    let frame = ctx
        .execute_logical_plan(plan)
        .await
        .map_err(QueryError::Sql)?;
    frame.collect().await.map_err(QueryError::Sql)
}

/// One catalog as DataFusion sees it: its namespaces as schemas, its tables in them.
async fn open(
    conn: &Connection,
    secret: &str,
    catalog: &str,
    storage: &TableStorage,
    secrets: &Secrets,
) -> Result<IcebergCatalogProvider, QueryError> {
    let mut props: HashMap<String, String> = storage.properties(secrets)?;
    props.extend([
        (
            REST_CATALOG_PROP_URI.to_string(),
            format!("{}/api/catalog", conn.url.trim_end_matches('/')),
        ),
        (REST_CATALOG_PROP_WAREHOUSE.to_string(), catalog.to_string()),
        (
            "credential".to_string(),
            format!("{}:{secret}", conn.client_id),
        ),
        ("scope".to_string(), "PRINCIPAL_ROLE:ALL".to_string()),
        ("header.Polaris-Realm".to_string(), conn.realm.clone()),
    ]);
    let failed = |source| QueryError::Catalog {
        catalog: catalog.to_string(),
        source: Box::new(source),
    };
    let rest = RestCatalogBuilder::default()
        .with_storage_factory(Arc::new(OpenDalStorageFactory::S3 {
            customized_credential_load: None,
        }))
        .load(catalog, props)
        .await
        .map_err(failed)?;
    IcebergCatalogProvider::try_new(Arc::new(rest))
        .await
        .map_err(failed)
}
