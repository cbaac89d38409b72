//! `iam_policy`: a least-privilege policy on the L2C bucket (planned in this version).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::StoreSpec;
use crate::provider::{Kind, PlannedKind};

/// The `iam_policy` kind.
pub struct IamPolicy;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamPolicySpec {
    /// Policy name.
    pub name: String,
    /// The AWS account (its store: region, profile).
    pub aws: StoreSpec,
    /// The bucket the policy grants access to.
    pub bucket: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl Kind for IamPolicy {
    const KIND: &'static str = "iam_policy";
    type Spec = IamPolicySpec;
}

impl PlannedKind for IamPolicy {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
