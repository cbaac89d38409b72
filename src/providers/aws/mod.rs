//! AWS and S3-compatible stores: client construction (one client per store, built once
//! and reused), the `s3_bucket` kind, the IAM kinds of L2C, and the smart sync engine
//! that copies objects between two stores.
//!
//! AWS stores use the default credential chain (profiles, SSO, env, instance roles);
//! S3-compatible stores take keys by reference and path-style addressing. Each client
//! gets its credentials explicitly from its own store spec, so the local store's keys
//! never reach an AWS client and the other way round.

pub mod account;
pub mod client;
pub mod error;
mod iam_policy;
mod iam_role;
mod iam_role_trust;
pub mod policy_doc;
mod quickack;
mod s3_bucket;
pub mod sync;
#[cfg(test)]
mod test_server;

pub use account::{Account, Accounts};
pub use client::{Clients, StoreSpec};
pub use iam_policy::{IamPolicy, IamPolicySpec, PolicyState};
pub use iam_role::{IamRole, IamRoleSpec, RoleState};
pub use iam_role_trust::{IamRoleTrust, IamRoleTrustSpec, TrustState};
pub use s3_bucket::{BucketSpec, BucketState, S3Bucket};
