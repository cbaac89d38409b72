//! Smart sync between two S3 locations (e.g. the local RustFS and an AWS bucket): copy
//! the objects that are new at the destination or whose size differs, many at once,
//! never holding more than a few chunks of any object in memory.
//!
//! [`list`] both sides, [`diff`] them into a [`CopyList`], then [`copy`] it. An object
//! below the multipart threshold is read as one streaming GET ([`reader`]) whose chunks
//! are handed, as they arrive, to the body of one PUT ([`relay`]); a larger one goes as a
//! multipart upload whose parts, a few at once, are each streamed the same way from
//! their own ranged GET
//! ([`transfer`]). Nothing is buffered whole, copied or hashed on the way: the body goes
//! out as `UNSIGNED-PAYLOAD`, with the source's MD5 as `Content-MD5` when its ETag is
//! one. Every object is a unit of work for the engine's walker
//! ([`crate::graph::walk`]), so concurrency is bounded by one number. Calls are retried
//! with the shared backoff on errors worth retrying (a GET cut mid-way resumes from where
//! it broke, pinned to the same ETag; a refused PUT or part is sent again from a ranged
//! GET); a failed object is reported while the others go on, so a re-run resumes where
//! this one stopped. Between two plain-HTTP stores, objects below the multipart
//! threshold take the [`direct`] path instead: the same steps and checks without the
//! SDK, the body moved in the kernel.

mod copy;
mod direct;
mod endpoint;
mod error;
mod listing;
mod object;
mod reader;
mod relay;
mod transfer;
mod upload_time;

pub use copy::{Report, SyncEvent, copy};
pub use error::SyncError;
pub use listing::{CopyList, Listing, diff, list};

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;

use crate::providers::retry::Backoff;

/// One side of a sync: a bucket and key prefix on one store, with that store's client.
#[derive(Debug, Clone)]
pub struct Location {
    client: aws_sdk_s3::Client,
    label: String,
    bucket: String,
    prefix: String,
    /// The store's endpoint URL and credentials when it is plain `http://` with
    /// path-style buckets, so the [`direct`] path may serve it.
    plain: Option<(String, SharedCredentialsProvider)>,
}

impl Location {
    /// A location reached with `client` (whose store `label` names in errors);
    /// `prefix` gets a trailing `/` if it has none. The client keeps its credentials,
    /// HTTP client and settings; only its endpoint resolution is memoized ([`endpoint`]).
    pub fn new(client: aws_sdk_s3::Client, label: &str, bucket: &str, prefix: &str) -> Self {
        let client = aws_sdk_s3::Client::from_conf(
            client
                .config()
                .to_builder()
                .endpoint_resolver(endpoint::Memo::default())
                .build(),
        );
        let p = prefix.trim_start_matches('/');
        let prefix = if p.is_empty() || p.ends_with('/') {
            p.to_string()
        } else {
            format!("{p}/")
        };
        Self {
            client,
            label: label.to_string(),
            bucket: bucket.to_string(),
            prefix,
            plain: None,
        }
    }

    /// [`Location::new`] for a client built from `store` with `credentials`, labelled
    /// as the store is; a plain-HTTP path-style store may be served by the [`direct`]
    /// path.
    pub fn for_store(
        client: aws_sdk_s3::Client,
        store: &crate::providers::aws::StoreSpec,
        credentials: Option<SharedCredentialsProvider>,
        bucket: &str,
        prefix: &str,
    ) -> Self {
        let mut loc = Self::new(client, &store.label(), bucket, prefix);
        let plain = store
            .endpoint
            .clone()
            .filter(|_| store.plain_http() && store.path_style());
        loc.plain = plain.zip(credentials);
        loc
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix (empty, or ending in `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct Options {
    /// Objects copied at once.
    pub concurrency: usize,
    /// Objects at least this big go as multipart uploads (never below `part_size`);
    /// smaller ones as one PUT.
    pub multipart_threshold: u64,
    /// The part size of multipart uploads (at least 5 MiB; larger when an object would
    /// need more than 10,000 parts).
    pub part_size: u64,
    /// How often and how patiently each call is retried (connection resets mid-body
    /// included).
    pub backoff: Backoff,
    /// Whether objects below the multipart threshold may take the [`direct`] path when
    /// both stores are plain-HTTP (off: always through the SDK).
    pub direct: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 12,
            // Like rclone's upload cutoff: below it one streamed PUT is cheaper for both
            // stores than parts that must be joined afterwards.
            multipart_threshold: 200 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            backoff: Backoff {
                first: Duration::from_millis(200),
                max: Duration::from_secs(5),
                attempts: 5,
            },
            direct: true,
        }
    }
}
