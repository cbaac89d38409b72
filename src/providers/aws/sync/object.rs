//! Single objects on a [`Location`], for callers that move files one by one rather
//! than as a sync (the L2C table migration reads metadata files, rewrites them and
//! writes the results): a whole GET, a PUT, and deleting everything under the
//! location. Each call is retried with the location's backoff while it fails in a
//! way worth retrying.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::{Location, SyncError};
use crate::provider::ProviderError;
use crate::providers::aws::error::{Failure, classify};
use crate::providers::retry::Backoff;

impl Location {
    /// The whole object at `rel` (relative to the prefix).
    pub async fn get(&self, rel: &str, backoff: &Backoff) -> Result<bytes::Bytes, SyncError> {
        let key = self.key(rel);
        backoff
            .retry(Failure::is_transient, || async {
                let out = self
                    .client
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(classify)?;
                out.body
                    .collect()
                    .await
                    .map(|b| b.into_bytes())
                    .map_err(|e| Failure::Unreachable {
                        reason: format!("the download broke: {e}"),
                    })
            })
            .await
            .map_err(|f| SyncError::Call(f.into_error(format!("GetObject {key}"), &self.label)))
    }

    /// Writes `body` at `rel` (relative to the prefix).
    pub async fn put(
        &self,
        rel: &str,
        body: bytes::Bytes,
        backoff: &Backoff,
    ) -> Result<(), SyncError> {
        let key = self.key(rel);
        backoff
            .retry(Failure::is_transient, || async {
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .body(ByteStream::from(body.clone()))
                    .customize()
                    .config_override(self.upload_config(body.len() as u64))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(classify)
            })
            .await
            .map_err(|f| SyncError::Call(f.into_error(format!("PutObject {key}"), &self.label)))
    }

    /// Deletes every object under the location (not other versions of them); returns
    /// how many.
    pub async fn delete_all(&self) -> Result<usize, ProviderError> {
        let listing = super::list(self).await.map_err(|e| match e {
            SyncError::Call(p) => p,
            other => ProviderError::Client {
                operation: format!("list s3://{}/{}", self.bucket, self.prefix),
                source: Box::new(other),
            },
        })?;
        let keys: Vec<String> = listing.keys().map(|k| self.key(k)).collect();
        for chunk in keys.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| ProviderError::Client {
                    operation: format!("DeleteObjects s3://{}/{}", self.bucket, self.prefix),
                    source: Box::new(e),
                })?;
            self.client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| {
                    classify(e).into_error(
                        format!("DeleteObjects s3://{}/{}", self.bucket, self.prefix),
                        &self.label,
                    )
                })?;
        }
        Ok(keys.len())
    }
}
