//! forge: one committed `forge.yaml` becomes a running local lakehouse (k3d, RustFS,
//! PostgreSQL, Apache Polaris) and, when asked, Iceberg tables in AWS S3 and Snowflake.
//!
//! The pipeline is `config` → `graph` → `plan` → `apply`, with `state` and the
//! `providers` behind one resource trait in `provider`. Only `cli` and `render` print.

#![warn(missing_docs)]

pub mod addr;
pub mod apply;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod expand;

pub mod graph;
pub mod iceberg;
pub mod plan;
pub mod provider;
pub mod providers;
#[cfg(feature = "query")]
pub mod query;
pub mod render;
pub mod secret;
pub mod state;

pub mod template;
