//! S3: the `s3_bucket` kind, on AWS or any S3-compatible store (RustFS, MinIO, ...).
//!
//! One client is built per distinct store (endpoint, region, profile, keys) and reused.
//! AWS stores use the default credential chain (profiles, SSO, env, instance roles);
//! S3-compatible stores take keys by reference and path-style addressing.

mod bucket;
pub mod client;

pub use bucket::{BucketSpec, BucketState, S3Bucket};
pub use client::{Clients, StoreSpec};
