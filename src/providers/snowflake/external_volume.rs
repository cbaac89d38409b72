//! `snowflake_external_volume`: an external volume on the L2C bucket, reached through an IAM role.

use serde::{Deserialize, Serialize};

use super::Connection;
use crate::provider::{Kind, PlannedKind, ProviderError};

/// The `snowflake_external_volume` kind.
pub struct SnowflakeExternalVolume;

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalVolumeSpec {
    /// The account.
    pub snowflake: Connection,
    /// Volume name.
    pub name: String,
    /// The S3 bucket it covers.
    pub bucket: String,
    /// The IAM role Snowflake assumes (`${iam_role.NAME.arn}`).
    pub role_arn: String,
}

impl Kind for SnowflakeExternalVolume {
    const KIND: &'static str = "snowflake_external_volume";
    type Spec = ExternalVolumeSpec;
}

impl PlannedKind for SnowflakeExternalVolume {
    const CONNECTION: Option<&'static str> = super::CONNECTION;

    fn preflight(spec: &Self::Spec) -> Result<(), ProviderError> {
        super::check_connection(&spec.snowflake)
    }
}
