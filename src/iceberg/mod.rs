//! Iceberg metadata path rewriting: the `rewrite_table_path` the Rust ecosystem lacks.
//!
//! Moving a table to another location means rewriting every absolute path in its
//! metadata: `metadata.json` files (location, metadata log, snapshots' manifest lists,
//! statistics, `write.*.path` properties), manifest lists (`manifest_path` and
//! `manifest_length`, which readers trust as the read bound) and manifests
//! (`data_file.file_path`, v3 `referenced_data_file`). Avro files are patched in place
//! (see [`avro`]): schema, header metadata and codec stay as they were. Tables with
//! position-delete files are refused: those Parquet files hold data-file paths too.
//! Pure: no network, no object store; callers move the bytes.

pub mod avro;
mod classify;
mod dir;
mod error;
mod file;
mod io;
mod json;
mod manifest;
mod metadata;
mod parallel;
mod paths;

pub use dir::{Report, rewrite_dir};
pub use error::RewriteError;
pub use file::{FileKind, Referenced, referenced, rewrite_file};
pub use manifest::{rewrite_manifest, rewrite_manifest_list};
pub use metadata::rewrite_metadata_json;
pub use paths::PathMap;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
