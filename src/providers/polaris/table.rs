//! `polaris_table`: a demo table created through the Iceberg REST catalog and filled with a dataset.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind};

/// The `polaris_table` kind.
pub struct PolarisTable;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// The namespace levels.
    pub namespace: Vec<String>,
    /// Table name.
    pub name: String,
    /// The dataset it is filled with (`penguins`, or a CSV/Parquet file).
    pub dataset: String,
}

impl Kind for PolarisTable {
    const KIND: &'static str = "polaris_table";
    type Spec = TableSpec;
}

impl PlannedKind for PolarisTable {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
