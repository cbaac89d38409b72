use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a secret comes from. Secrets are never written in forge.yaml itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretRef {
    /// Read from an environment variable.
    Env(String),
    /// Read from a file (relative to the work directory); a trailing newline is dropped.
    File(String),
    /// Generated once by forge and kept in its state file (mode 0600).
    Generate(Generate),
}

/// How a generated secret looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    /// Length in characters (default 24).
    #[serde(default)]
    pub length: Option<u16>,
}

impl SecretRef {
    /// A generated secret with the default length.
    pub fn generated() -> Self {
        SecretRef::Generate(Generate::default())
    }
}
