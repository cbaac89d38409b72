//! `iam_role_trust`: the role's trust policy naming Snowflake's IAM user and external id,
//! read from the external volume (planned in this version).

use serde::{Deserialize, Serialize};

use super::StoreSpec;
use crate::provider::{Kind, PlannedKind};

/// The `iam_role_trust` kind.
pub struct IamRoleTrust;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleTrustSpec {
    /// The AWS account.
    pub aws: StoreSpec,
    /// The role whose trust this is.
    pub role: String,
    /// Snowflake's IAM user (`${snowflake_external_volume.NAME.iam_user_arn}`).
    pub iam_user_arn: String,
    /// The external id (`${snowflake_external_volume.NAME.external_id}`).
    pub external_id: String,
}

impl Kind for IamRoleTrust {
    const KIND: &'static str = "iam_role_trust";
    type Spec = IamRoleTrustSpec;
}

impl PlannedKind for IamRoleTrust {
    const CONNECTION: Option<&'static str> = super::CONNECTION;
}
