//! Local to cloud: `l2c_table`, one Iceberg table migrated from the local lakehouse to
//! the L2C bucket. [`source`] asks the catalog where the table is now, [`migrate`]
//! copies its data (smart sync) and rewrites its metadata for the new location,
//! remembering rewritten copies so a later sync moves only what is new, and
//! [`integrity`] checks that every file of the current snapshot arrived before anyone
//! is told to read the copy; [`register`] then registers or refreshes it in Snowflake;
//! [`status`] says where each table stands (`forge status`).

pub mod integrity;
pub mod migrate;
pub mod register;
pub mod source;
pub mod status;
mod table;

pub use table::{L2cTable, Pending, Side, Synced, TableSpec, TableState, bytes_words};
