//! Building and caching S3 clients: one per store, each with the credentials its own
//! store spec names (never another store's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde::{Deserialize, Serialize};

use super::sync::Location;
use crate::provider::{Ctx, ProviderError};
use crate::secret::{SecretError, SecretSpec};

/// An S3 endpoint and how to authenticate to it. Fields left out are not serialized,
/// so plans show only what forge.yaml gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct StoreSpec {
    /// Endpoint URL; `None` for AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// AWS profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Path-style addressing.
    #[serde(default)]
    pub path_style: Option<bool>,
    /// Access key id, by reference; `None`: the default credential chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<SecretSpec>,
    /// Secret access key, by reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<SecretSpec>,
}

impl StoreSpec {
    /// The region to use.
    pub fn region(&self) -> String {
        self.region
            .clone()
            .unwrap_or_else(|| crate::config::defaults::REGION.to_string())
    }

    /// Whether buckets are addressed in the path (`http://host/bucket/key`): as given,
    /// else for any endpoint but AWS's.
    pub fn path_style(&self) -> bool {
        self.path_style.unwrap_or(self.endpoint.is_some())
    }

    /// Whether the store is reached over plain `http://` (a local store).
    pub fn plain_http(&self) -> bool {
        self.endpoint
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"))
    }

    /// A label for messages: the endpoint, or `AWS`.
    pub fn label(&self) -> String {
        self.endpoint.clone().unwrap_or_else(|| "AWS S3".into())
    }
}

/// Why a client could not be had: the secrets it needs do not exist yet, or cannot be read.
#[derive(Debug)]
pub enum ClientError {
    /// Generated keys are not generated yet: whatever they protect cannot exist yet.
    NotYet(String),
    /// A real error.
    Provider(ProviderError),
}

/// A store's client and the credentials provider it was built with (which the client
/// does not hand out).
type Entry = (aws_sdk_s3::Client, Option<SharedCredentialsProvider>);

/// One client per store, built on first use.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    cache: Arc<Mutex<HashMap<String, Entry>>>,
}

impl Clients {
    /// The client for `store`.
    pub async fn get(
        &self,
        ctx: &Ctx,
        store: &StoreSpec,
    ) -> Result<aws_sdk_s3::Client, ClientError> {
        Ok(self.entry(ctx, store).await?.0)
    }

    /// `bucket`/`prefix` on `store`, for syncs and single objects, with the store's
    /// client and credentials.
    pub async fn location(
        &self,
        ctx: &Ctx,
        store: &StoreSpec,
        bucket: &str,
        prefix: &str,
    ) -> Result<Location, ClientError> {
        let (client, credentials) = self.entry(ctx, store).await?;
        Ok(Location::for_store(
            client,
            store,
            credentials,
            bucket,
            prefix,
        ))
    }

    async fn entry(&self, ctx: &Ctx, store: &StoreSpec) -> Result<Entry, ClientError> {
        let key = serde_json::to_string(store).expect("a store spec is plain data");
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let shared = shared_config(ctx, store).await?;
        let mut conf = aws_sdk_s3::config::Builder::from(&shared);
        if store.plain_http() {
            // A local store (RustFS) over plain HTTP: without it, every GET waits 40 ms
            // for a delayed acknowledgement (see `quickack`).
            conf = conf.http_client(super::quickack::client());
        }
        let conf = conf
            .force_path_style(store.path_style())
            // Checksums only where S3 requires them (the SDK's behaviour before 2025): the
            // CRC trailers cost CPU on every request and some S3-compatible stores reject them.
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        let entry = (
            aws_sdk_s3::Client::from_conf(conf),
            shared.credentials_provider(),
        );
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, entry.clone());
        Ok(entry)
    }
}

/// The SDK configuration for `store`: its region and profile, its own keys when the
/// store names them (else the default credential chain), its endpoint when it has one,
/// standard retries and short connect timeouts. Shared by the S3, IAM and STS clients
/// of one store, so an account's clients always agree.
pub async fn shared_config(
    ctx: &Ctx,
    store: &StoreSpec,
) -> Result<aws_config::SdkConfig, ClientError> {
    let secret = |s: &SecretSpec| match ctx.secrets.resolve(s) {
        Ok(v) => Ok(v),
        Err(SecretError::NotGenerated(k)) => Err(ClientError::NotYet(format!(
            "its access keys (`{k}`) are not generated yet"
        ))),
        Err(e) => Err(ClientError::Provider(e.into())),
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(store.region()))
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(p) = &store.profile {
        loader = loader.profile_name(p);
    }
    if let (Some(ak), Some(sk)) = (&store.access_key, &store.secret_key) {
        loader = loader.credentials_provider(Credentials::new(
            secret(ak)?,
            secret(sk)?,
            None,
            None,
            "forge.yaml",
        ));
    }
    if let Some(e) = &store.endpoint {
        loader = loader.endpoint_url(e);
    }
    Ok(loader.load().await)
}
