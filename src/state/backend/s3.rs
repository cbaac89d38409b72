//! [`S3Backend`]: the state as one S3 object, on AWS or any S3-compatible store.
//!
//! - A write is a `PutObject` with `If-Match: <ETag read>` (or `If-None-Match: *` for
//!   the first one), so a concurrent writer gets `412` and is reported, never
//!   overwritten.
//! - The lock is `<key>.lock` ([`super::s3_lock`]), created with `If-None-Match: *`.
//! - The version a run replaces is kept by the bucket's versioning where it is enabled,
//!   else as `<key>.backup`.
//!
//! Requests run on the backend's own [`Runtime`]; the client is the one the `s3_bucket`
//! kind uses (same credentials chain, timeouts and retries).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::BucketVersioningStatus;

use super::runtime::Runtime;
use super::{BackendError, BackendSpec, Expect, LockRecord, RunLock, StateBackend, Stored};
use crate::provider::Ctx;
use crate::providers::aws::client::{ClientError, Clients};
use crate::providers::aws::error::{Failure, HttpStatus, classify};
use crate::secret::Secrets;
use crate::state::lock::{LockError, LockHolder};

/// Longest wait for one backend call (lock waits excepted), beyond the SDK's own timeouts.
pub(super) const CALL_LIMIT: Duration = Duration::from_secs(120);

/// An S3 state object and its lock object.
#[derive(Debug)]
pub struct S3Backend {
    inner: Arc<Inner>,
    rt: Arc<Runtime>,
}

/// What the lock and the state share: the client and the object names.
#[derive(Debug)]
pub(super) struct Inner {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub key: String,
    pub lease: Duration,
    pub allow_unsafe_locking: bool,
    pub location: String,
    pub warnings: Mutex<Vec<String>>,
    versioning: tokio::sync::OnceCell<bool>,
}

/// How a conditional `PutObject` ended.
pub(super) enum Put {
    /// Written; the new ETag.
    Written(String),
    /// The condition did not hold (`412`, or `409` for a conditional write racing another).
    Precondition,
}

/// The condition of a `PutObject`.
#[derive(Debug, Clone)]
pub(super) enum Cond {
    /// `If-None-Match: *`.
    Absent,
    /// `If-Match: <etag>`.
    Matches(String),
    /// None.
    Any,
}

impl S3Backend {
    /// Builds the client for `spec` (an [`BackendSpec::S3`]) on a runtime of its own.
    pub fn open(spec: &BackendSpec) -> Result<Self, BackendError> {
        let BackendSpec::S3 {
            store,
            bucket,
            key,
            lease,
            allow_unsafe_locking,
        } = spec
        else {
            return Err(BackendError::Refused {
                location: "s3".into(),
                message: "not an S3 backend".into(),
            });
        };
        let location = format!("s3://{bucket}/{key}");
        let rt = Runtime::new("s3-state", &location)?;
        let store = store.clone();
        let loc = location.clone();
        let client = rt.block(CALL_LIMIT, async move {
            let ctx = Ctx::new(
                std::env::current_dir().unwrap_or_default(),
                Secrets::read_only(Default::default()),
            );
            Clients::default()
                .get(&ctx, &store)
                .await
                .map_err(|e| match e {
                    ClientError::NotYet(why) => BackendError::Refused {
                        location: loc.clone(),
                        message: why,
                    },
                    ClientError::Provider(p) => BackendError::request("connect to", &loc, p),
                })
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                bucket: bucket.clone(),
                key: key.clone(),
                lease: *lease,
                allow_unsafe_locking: *allow_unsafe_locking,
                location,
                warnings: Mutex::new(Vec::new()),
                versioning: tokio::sync::OnceCell::new(),
            }),
            rt: Arc::new(rt),
        })
    }

    fn call<T, F, Fut>(&self, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: std::future::Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        self.rt.block(CALL_LIMIT, f(self.inner.clone()))
    }

    fn backup_key(&self) -> String {
        format!("{}.backup", self.inner.key)
    }
}

impl Inner {
    /// `s3://bucket/<key>`.
    pub fn at(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// The object and its ETag, or `None`.
    pub async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BackendError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match failure(e) {
                    f if is_not_found(&f) => Ok(None),
                    f => Err(self.failed("read", key, f)),
                };
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| BackendError::request("read", &self.at(key), e))?;
        Ok(Some((body.into_bytes().to_vec(), etag)))
    }

    /// A `PutObject` with a condition.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, cond: Cond) -> Result<Put, BackendError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        req = match cond {
            Cond::Absent => req.if_none_match("*"),
            Cond::Matches(etag) => req.if_match(etag),
            Cond::Any => req,
        };
        match req.send().await {
            Ok(out) => Ok(Put::Written(out.e_tag().unwrap_or_default().to_string())),
            Err(e) => match failure(e) {
                Failure::Service { status: 412, .. } => Ok(Put::Precondition),
                Failure::Service { status: 409, .. } => Ok(Put::Precondition),
                // `If-Match` on an object that is gone.
                f if is_not_found(&f) => Ok(Put::Precondition),
                f => Err(self.failed("write", key, f)),
            },
        }
    }

    /// Deletes an object (gone is fine).
    pub async fn delete(&self, key: &str) -> Result<(), BackendError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match failure(e) {
                f if is_not_found(&f) => Ok(()),
                f => Err(self.failed("delete", key, f)),
            },
        }
    }

    /// Whether the bucket keeps versions (asked once; a store without the API: no).
    pub async fn versioning(&self) -> bool {
        *self
            .versioning
            .get_or_init(|| async {
                match self
                    .client
                    .get_bucket_versioning()
                    .bucket(&self.bucket)
                    .send()
                    .await
                {
                    Ok(out) => out.status() == Some(&BucketVersioningStatus::Enabled),
                    // moto answers with a `<GetBucketVersioningResponse>` root where S3
                    // sends `<VersioningConfiguration>` (as the `s3_bucket` kind knows):
                    // read the status from the 200 body. Stores without the API: no.
                    Err(e) => e
                        .raw_response()
                        .filter(|r| r.status().as_u16() == 200)
                        .and_then(|r| r.body().bytes())
                        .is_some_and(|b| {
                            String::from_utf8_lossy(b).contains("<Status>Enabled</Status>")
                        }),
                }
            })
            .await
    }

    fn failed(&self, op: &'static str, key: &str, f: Failure) -> BackendError {
        let endpoint = self.at(key);
        BackendError::request(
            op,
            &endpoint,
            f.into_error(format!("{op} {endpoint}"), &endpoint),
        )
    }
}

fn failure<E, R>(e: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus + 'static,
{
    classify(e)
}

/// The object is not there (a missing bucket is an error, not an empty state).
fn is_not_found(f: &Failure) -> bool {
    match f.code() {
        Some("NoSuchKey" | "NotFound") => true,
        Some(_) => false,
        None => matches!(f, Failure::Service { status: 404, .. }),
    }
}

impl StateBackend for S3Backend {
    fn location(&self) -> String {
        self.inner.location.clone()
    }

    fn lock(&self, holder: &LockHolder, timeout: Duration) -> Result<Box<dyn RunLock>, LockError> {
        let lock = super::s3_lock::S3Lock::acquire(
            self.inner.clone(),
            self.rt.clone(),
            holder.clone(),
            timeout,
        )?;
        Ok(Box::new(lock))
    }

    fn read(&self) -> Result<Option<Stored>, BackendError> {
        self.call(|i| async move {
            Ok(i.get(&i.key)
                .await?
                .map(|(bytes, version)| Stored { bytes, version }))
        })
    }

    fn write(&self, bytes: &[u8], expect: Expect<'_>) -> Result<String, BackendError> {
        let cond = match expect {
            Expect::Absent => Cond::Absent,
            Expect::Version(v) => Cond::Matches(v.to_string()),
            Expect::Any => Cond::Any,
        };
        let bytes = bytes.to_vec();
        self.call(|i| async move {
            match i.put(&i.key, bytes, cond).await? {
                Put::Written(etag) => Ok(etag),
                Put::Precondition => Err(BackendError::Conflict {
                    location: i.location.clone(),
                }),
            }
        })
    }

    fn keep_previous(&self, previous: &Stored) -> Result<(), BackendError> {
        let bytes = previous.bytes.clone();
        let backup = self.backup_key();
        self.call(|i| async move {
            if i.versioning().await {
                return Ok(());
            }
            i.put(&backup, bytes, Cond::Any).await.map(|_| ())
        })
    }

    fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let backup = self.backup_key();
        self.call(|i| async move {
            if !i.versioning().await {
                return Ok(i.get(&backup).await?.map(|(b, _)| b));
            }
            let listed = i
                .client
                .list_object_versions()
                .bucket(&i.bucket)
                .prefix(&i.key)
                .send()
                .await
                .map_err(|e| i.failed("list the versions of", &i.key, failure(e)))?;
            // S3 lists a key's versions newest first.
            let versions: Vec<_> = listed
                .versions()
                .iter()
                .filter(|v| v.key() == Some(i.key.as_str()))
                .collect();
            let Some(id) = versions.get(1).and_then(|v| v.version_id()) else {
                return Ok(None);
            };
            let out = i
                .client
                .get_object()
                .bucket(&i.bucket)
                .key(&i.key)
                .version_id(id)
                .send()
                .await
                .map_err(|e| i.failed("read a version of", &i.key, failure(e)))?;
            let body = out
                .body
                .collect()
                .await
                .map_err(|e| BackendError::request("read", &i.location, e))?;
            Ok(Some(body.into_bytes().to_vec()))
        })
    }

    fn lock_record(&self) -> Result<Option<LockRecord>, BackendError> {
        self.call(|i| async move { Ok(super::s3_lock::read_record(&i).await?.map(|(r, _)| r)) })
    }

    fn force_unlock(&self, id: &str) -> Result<LockRecord, BackendError> {
        let id = id.to_string();
        self.call(|i| async move { super::s3_lock::force_unlock(&i, &id).await })
    }

    fn warnings(&self) -> Vec<String> {
        self.inner
            .warnings
            .lock()
            .map(|w| w.clone())
            .unwrap_or_default()
    }
}
