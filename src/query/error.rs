//! [`QueryError`]: why `forge query` could not answer.

use crate::provider::ProviderError;

/// A failure of `forge query`.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// forge.yaml declares no catalog to query.
    #[error("forge.yaml declares no Polaris catalog to query")]
    NoCatalog,
    /// `--catalog` names a catalog forge.yaml does not declare.
    #[error("catalog `{name}` is not declared in forge.yaml (declared: {known})")]
    UnknownCatalog {
        /// The name asked for.
        name: String,
        /// The declared ones.
        known: String,
    },
    /// The catalog's store has no keys in forge.yaml, so its files cannot be read.
    #[error(
        "the store of catalog `{0}` has no `access_key` and `secret_key` in forge.yaml: forge reads table data only with the keys forge.yaml names"
    )]
    NoKeys(String),
    /// Reading a secret or reaching Polaris failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The catalog could not be opened through its REST API.
    #[error("cannot open catalog `{catalog}` (is it applied? `forge apply` makes it)")]
    Catalog {
        /// The catalog.
        catalog: String,
        /// Iceberg's error (boxed: it is large).
        #[source]
        source: Box<iceberg::Error>,
    },
    /// The statement would write or change the session.
    #[error(
        "forge query only reads: INSERT, UPDATE, DELETE, COPY, CREATE, DROP and SET are not allowed"
    )]
    ReadOnly(#[source] datafusion::error::DataFusionError),
    /// The SQL failed (parse, plan, or reading the data).
    #[error("the query failed")]
    Sql(#[source] datafusion::error::DataFusionError),
    /// The rows could not be printed in the format asked for.
    #[error("cannot format the result")]
    Format(#[source] datafusion::arrow::error::ArrowError),
}
