//! `iam_role`: the role Snowflake assumes to reach the L2C bucket, with the policy
//! attached (planned in this version). Its trust is a kind of its own
//! ([`super::IamRoleTrust`]) because it needs values Snowflake knows only once the
//! external volume exists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::StoreSpec;
use crate::provider::{Kind, PlannedKind};

/// The `iam_role` kind.
pub struct IamRole;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    /// Role name.
    pub name: String,
    /// The AWS account.
    pub aws: StoreSpec,
    /// The policy to attach (`${iam_policy.NAME.arn}`).
    pub policy_arn: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl Kind for IamRole {
    const KIND: &'static str = "iam_role";
    type Spec = IamRoleSpec;
}

impl PlannedKind for IamRole {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
