//! `l2c_table_sync`: one table's copy from the local store to the L2C bucket.

use serde::{Deserialize, Serialize};

use crate::provider::{Kind, PlannedKind};
use crate::providers::aws::StoreSpec;

/// The `l2c_table_sync` kind.
pub struct TableSync;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSyncSpec {
    /// Where the table is now (the catalog's bucket on the local store).
    pub source: Side,
    /// Where it goes (the L2C bucket).
    pub target: Side,
    /// The Polaris catalog holding the table.
    pub catalog: String,
    /// Its namespace (dotted).
    pub namespace: String,
    /// Its name.
    pub table: String,
}

/// One end of a sync: a bucket on a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Bucket.
    pub bucket: String,
    /// The store; `None` when forge.yaml declares none (the table cannot be read then).
    pub store: Option<StoreSpec>,
}

impl Kind for TableSync {
    const KIND: &'static str = "l2c_table_sync";
    type Spec = TableSyncSpec;
}

impl PlannedKind for TableSync {
    const CONNECTION: Option<&'static str> = None;
}
