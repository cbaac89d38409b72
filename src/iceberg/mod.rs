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
mod json;
mod rewrite;

pub use rewrite::{
    PathMap, Report, RewriteError, rewrite_dir, rewrite_manifest, rewrite_manifest_list,
    rewrite_metadata_json,
};
