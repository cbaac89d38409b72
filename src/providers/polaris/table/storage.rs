//! [`TableStorage`]: the catalog's bucket store as a table writes to it — endpoint,
//! region, addressing and the store's own keys (by reference) — and the Iceberg
//! [`FileIO`] built from exactly those. Credentials never come from the environment, a
//! profile or instance metadata: the config and EC2-metadata loaders are switched off.

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::io::{
    FileIO, FileIOBuilder, S3_ACCESS_KEY_ID, S3_DISABLE_CONFIG_LOAD, S3_DISABLE_EC2_METADATA,
    S3_ENDPOINT, S3_PATH_STYLE_ACCESS, S3_REGION, S3_SECRET_ACCESS_KEY,
};
use iceberg_storage_opendal::OpenDalStorageFactory;
use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;
use crate::secret::{SecretError, SecretSpec, Secrets};

/// Where a catalog's data files live, and the keys to write them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableStorage {
    /// S3 endpoint as clients on this machine reach it; `None` for AWS.
    pub endpoint: Option<String>,
    /// Region.
    pub region: String,
    /// Path-style addressing (`http://host/bucket/key`), as RustFS and MinIO want.
    pub path_style: bool,
    /// Access key id, by reference.
    pub access_key: SecretSpec,
    /// Secret access key, by reference.
    pub secret_key: SecretSpec,
}

impl TableStorage {
    /// The Iceberg properties of this store, with the keys read from `secrets`.
    pub fn properties(&self, secrets: &Secrets) -> Result<HashMap<String, String>, ProviderError> {
        let key = |s: &SecretSpec| {
            secrets.resolve(s).map_err(|e| match e {
                SecretError::NotGenerated(k) => ProviderError::NotReady {
                    what: "the catalog's store".into(),
                    reason: format!("its keys (`{k}`) are not generated yet"),
                },
                e => e.into(),
            })
        };
        let mut p = HashMap::from([
            (S3_ACCESS_KEY_ID.to_string(), key(&self.access_key)?),
            (S3_SECRET_ACCESS_KEY.to_string(), key(&self.secret_key)?),
            (S3_REGION.to_string(), self.region.clone()),
            (
                S3_PATH_STYLE_ACCESS.to_string(),
                self.path_style.to_string(),
            ),
            (S3_DISABLE_CONFIG_LOAD.to_string(), "true".into()),
            (S3_DISABLE_EC2_METADATA.to_string(), "true".into()),
        ]);
        if let Some(e) = &self.endpoint {
            p.insert(S3_ENDPOINT.to_string(), e.clone());
        }
        Ok(p)
    }

    /// A FileIO for `s3://` locations of this store.
    pub fn file_io(&self, secrets: &Secrets) -> Result<FileIO, ProviderError> {
        let factory = Arc::new(OpenDalStorageFactory::S3 {
            customized_credential_load: None,
        });
        Ok(FileIOBuilder::new(factory)
            .with_props(self.properties(secrets)?)
            .build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_own_keys_and_nothing_from_the_environment() {
        let s = TableStorage {
            endpoint: Some("http://localhost:19000".into()),
            region: "us-east-1".into(),
            path_style: true,
            access_key: SecretSpec::Generate {
                key: "k".into(),
                length: 8,
            },
            secret_key: SecretSpec::Generate {
                key: "s".into(),
                length: 8,
            },
        };
        let none = Secrets::read_only(Default::default());
        assert!(matches!(
            s.properties(&none),
            Err(ProviderError::NotReady { .. })
        ));
        let secrets = Secrets::read_only(
            [
                ("k".to_string(), "AK".to_string()),
                ("s".to_string(), "SK".to_string()),
            ]
            .into(),
        );
        let p = s.properties(&secrets).expect("props");
        assert_eq!(p[S3_ACCESS_KEY_ID], "AK");
        assert_eq!(p[S3_SECRET_ACCESS_KEY], "SK");
        assert_eq!(p[S3_PATH_STYLE_ACCESS], "true");
        assert_eq!(p[S3_DISABLE_CONFIG_LOAD], "true");
        assert_eq!(p[S3_ENDPOINT], "http://localhost:19000");
    }
}
