//! Integration tests: the real `forge` binary against real servers (moto, s3s-fs),
//! started by the harness in `tests/support`.

#[path = "../support/mod.rs"]
mod support;

mod backends;
mod cli;
mod conformance;
mod errors;
mod iceberg;
mod l2c;
mod l2c_recovery;
mod l2c_snowflake;
mod lock;
mod peers;
mod polaris;
mod polaris_standin;
mod polaris_tables;
mod query;
mod recovery;
mod s3;
mod snowflake;
mod snowflake_emulator;
mod stack;
mod sync;
