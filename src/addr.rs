//! Resource addresses: `kind.name`, the one string used in plans, state, logs and `--target`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The address of one resource: its kind and its name, written `kind.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    kind: String,
    name: String,
}

/// Why a string is not a valid address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// No `.` between kind and name.
    #[error("`{0}` is not an address: expected `kind.name`")]
    NoDot(String),
    /// The kind part has characters other than `a-z`, `0-9`, `_`.
    #[error("`{0}` is not a resource kind: kinds are lowercase `a-z`, `0-9` and `_`")]
    BadKind(String),
    /// The name part is empty or has characters outside the allowed set.
    #[error("`{0}` is not a valid resource name: use letters, digits and `_ - . /`")]
    BadName(String),
}

impl ResourceAddr {
    /// Builds an address, checking both parts.
    pub fn new(kind: &str, name: &str) -> Result<Self, AddrError> {
        if kind.is_empty()
            || !kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(AddrError::BadKind(kind.to_string()));
        }
        if !valid_name(name) {
            return Err(AddrError::BadName(name.to_string()));
        }
        Ok(Self {
            kind: kind.to_string(),
            name: name.to_string(),
        })
    }

    /// The kind, e.g. `s3_bucket`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The name, e.g. `polardb`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Whether `name` may be the name part of an address.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl FromStr for ResourceAddr {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        let (kind, name) = s
            .split_once('.')
            .ok_or_else(|| AddrError::NoDot(s.to_string()))?;
        Self::new(kind, name)
    }
}

impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let a: ResourceAddr = "polaris_namespace.polardb/wild.life"
            .parse()
            .expect("valid");
        assert_eq!(a.kind(), "polaris_namespace");
        assert_eq!(a.name(), "polardb/wild.life");
        assert_eq!(a.to_string(), "polaris_namespace.polardb/wild.life");
    }

    #[test]
    fn rejects_bad_addresses() {
        assert_eq!(
            "bucket".parse::<ResourceAddr>(),
            Err(AddrError::NoDot("bucket".into()))
        );
        assert!(matches!(
            "S3.x".parse::<ResourceAddr>(),
            Err(AddrError::BadKind(_))
        ));
        assert!(matches!(
            "s3_bucket.a b".parse::<ResourceAddr>(),
            Err(AddrError::BadName(_))
        ));
    }
}
