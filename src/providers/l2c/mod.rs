//! Local to cloud: the table migration kind, `l2c_table_sync` — one Iceberg table copied
//! from the local store to the L2C bucket (smart sync) with its metadata rewritten for
//! the new location. Planned in this version.

mod table_sync;

pub use table_sync::{Side, TableSync, TableSyncSpec};
