//! Smart sync between two S3 locations (e.g. the local RustFS and an AWS bucket): copy
//! the objects that are new at the destination or whose size differs, many at once,
//! never holding more than a part of a large object in memory.
//!
//! Small objects go as one GET and one PUT; large ones as a multipart upload whose
//! parts are ranged GETs. Every object and every part is a unit of work for the engine's
//! walker ([`crate::apply::walk`]), so concurrency is bounded by one number and a failed
//! part skips only the completion of its own upload. Calls are retried with backoff on
//! errors worth retrying (the SDK's own retries cover throttling); a failed object is
//! reported while the others go on, so a re-run resumes where this one stopped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::apply::walk::{Outcome, walk};
use crate::providers::s3::client::{Failure, classify};

/// One side of a sync.
#[derive(Debug, Clone)]
pub struct Location {
    /// The client for its store.
    pub client: aws_sdk_s3::Client,
    /// Bucket.
    pub bucket: String,
    /// Key prefix (empty, or ending in `/`).
    pub prefix: String,
}

impl Location {
    /// A location; `prefix` gets a trailing `/` if it has none.
    pub fn new(client: aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Self {
        let p = prefix.trim_start_matches('/');
        let prefix = if p.is_empty() || p.ends_with('/') {
            p.to_string()
        } else {
            format!("{p}/")
        };
        Self {
            client,
            bucket: bucket.to_string(),
            prefix,
        }
    }

    fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct Options {
    /// Units of work (objects or parts) in flight at once.
    pub concurrency: usize,
    /// Objects at least this big go as multipart uploads of parts this big.
    pub part_size: u64,
    /// Tries per call (connection resets mid-body included).
    pub attempts: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 12,
            part_size: 8 * 1024 * 1024,
            attempts: 5,
        }
    }
}

/// What a listing found: relative key → size.
pub type Listing = BTreeMap<String, u64>;

/// What to copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Relative keys and sizes to copy.
    pub copy: Vec<(String, u64)>,
    /// Objects already there with the same size.
    pub unchanged: usize,
    /// Bytes to copy.
    pub bytes: u64,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Objects copied.
    pub copied: usize,
    /// Bytes copied.
    pub bytes: u64,
    /// Objects that failed, with why.
    pub failed: Vec<(String, String)>,
    /// Objects not started (interrupted).
    pub not_run: usize,
}

/// A sync error that stops everything (a listing failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot list s3://{bucket}/{prefix}: {message}")]
pub struct ListError {
    /// Bucket.
    pub bucket: String,
    /// Prefix.
    pub prefix: String,
    /// Why.
    pub message: String,
}

/// Lists every object under a location (paginated).
pub async fn list(loc: &Location) -> Result<Listing, ListError> {
    let mut out = Listing::new();
    let mut token = None;
    loop {
        let mut req = loc
            .client
            .list_objects_v2()
            .bucket(&loc.bucket)
            .prefix(&loc.prefix)
            .max_keys(1000);
        if let Some(t) = token.take() {
            req = req.continuation_token(t);
        }
        let page = req.send().await.map_err(|e| ListError {
            bucket: loc.bucket.clone(),
            prefix: loc.prefix.clone(),
            message: crate::render::error_chain(&classify(e).into_error("ListObjectsV2".into())),
        })?;
        for o in page.contents() {
            if let Some(k) = o.key().and_then(|k| k.strip_prefix(loc.prefix.as_str())) {
                out.insert(k.to_string(), o.size().unwrap_or(0).max(0) as u64);
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Plans a sync: what is missing at the destination or has another size. `keep` can
/// leave keys out (e.g. metadata that is rewritten rather than copied).
pub fn plan(src: &Listing, dst: &Listing, keep: impl Fn(&str) -> bool) -> Plan {
    let mut p = Plan::default();
    for (k, size) in src.iter().filter(|(k, _)| keep(k)) {
        if dst.get(k) == Some(size) {
            p.unchanged += 1;
        } else {
            p.copy.push((k.clone(), *size));
            p.bytes += size;
        }
    }
    p
}

/// Progress of a sync.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    /// An object is fully copied.
    Copied {
        /// Relative key.
        key: String,
        /// Its size.
        bytes: u64,
    },
    /// An object failed.
    Failed {
        /// Relative key.
        key: String,
        /// Why.
        error: String,
    },
}

#[derive(Debug, Clone)]
enum Unit {
    Whole {
        key: String,
        size: u64,
    },
    Create {
        obj: usize,
    },
    Part {
        obj: usize,
        number: i32,
        start: u64,
        end: u64,
    },
    Complete {
        obj: usize,
    },
}

#[derive(Debug, Default)]
struct Upload {
    id: Option<String>,
    parts: BTreeMap<i32, String>,
}

/// Whether an S3 failure is worth another try.
fn retryable(f: &Failure) -> bool {
    match f {
        Failure::Unreachable(_) => true,
        Failure::Service { status, code, .. } => {
            *status >= 500 || *status == 429 || code == "SlowDown" || code == "RequestTimeout"
        }
    }
}

async fn with_retry<T, F, Fut>(attempts: u32, what: &str, mut f: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    let mut delay = Duration::from_millis(200);
    let mut tries = 1;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if tries < attempts && retryable(&e) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                tries += 1;
            }
            Err(e) => return Err(crate::render::error_chain(&e.into_error(what.to_string()))),
        }
    }
}

async fn get(
    src: &Location,
    key: &str,
    range: Option<(u64, u64)>,
    attempts: u32,
) -> Result<bytes::Bytes, String> {
    with_retry(attempts, &format!("GetObject {key}"), || async {
        let mut req = src
            .client
            .get_object()
            .bucket(&src.bucket)
            .key(src.key(key));
        if let Some((a, b)) = range {
            req = req.range(format!("bytes={a}-{}", b - 1));
        }
        let out = req.send().await.map_err(classify)?;
        // A body cut off mid-way is a connection failure: try again.
        out.body
            .collect()
            .await
            .map(|b| b.into_bytes())
            .map_err(|e| Failure::Unreachable(e.to_string()))
    })
    .await
}

/// Copies what `plan` lists from `src` to `dst`.
pub async fn copy(
    src: &Location,
    dst: &Location,
    plan: &Plan,
    opts: &Options,
    cancel: &CancellationToken,
    events: Option<tokio::sync::mpsc::UnboundedSender<SyncEvent>>,
) -> Report {
    let part = opts.part_size.max(5 * 1024 * 1024);
    let mut units = Vec::new();
    let mut deps: Vec<Vec<usize>> = Vec::new();
    let mut objects: Vec<(String, u64)> = Vec::new();
    for (key, size) in &plan.copy {
        if *size < part {
            units.push(Unit::Whole {
                key: key.clone(),
                size: *size,
            });
            deps.push(vec![]);
            continue;
        }
        let obj = objects.len();
        objects.push((key.clone(), *size));
        let create = units.len();
        units.push(Unit::Create { obj });
        deps.push(vec![]);
        let mut parts = Vec::new();
        let mut start = 0;
        let mut number = 1;
        while start < *size {
            let end = (start + part).min(*size);
            parts.push(units.len());
            units.push(Unit::Part {
                obj,
                number,
                start,
                end,
            });
            deps.push(vec![create]);
            start = end;
            number += 1;
        }
        units.push(Unit::Complete { obj });
        deps.push(parts);
    }
    let uploads: Arc<Mutex<Vec<Upload>>> = Arc::new(Mutex::new(
        (0..objects.len()).map(|_| Upload::default()).collect(),
    ));
    let objects = Arc::new(objects);
    let units = Arc::new(units);
    let (src2, dst2, attempts) = (src.clone(), dst.clone(), opts.attempts);
    let (ups, objs, us, ev) = (
        uploads.clone(),
        objects.clone(),
        units.clone(),
        events.clone(),
    );
    let outcomes = walk(
        units.len(),
        &deps,
        opts.concurrency.max(1),
        cancel,
        move |i| {
            let (src, dst, ups, objs, unit, ev) = (
                src2.clone(),
                dst2.clone(),
                ups.clone(),
                objs.clone(),
                us[i].clone(),
                ev.clone(),
            );
            async move {
                let done = |key: &str, bytes: u64| {
                    if let Some(tx) = &ev {
                        let _ = tx.send(SyncEvent::Copied {
                            key: key.to_string(),
                            bytes,
                        });
                    }
                };
                match unit {
                    Unit::Whole { key, size } => {
                        let body = get(&src, &key, None, attempts).await?;
                        with_retry(attempts, &format!("PutObject {key}"), || async {
                            dst.client
                                .put_object()
                                .bucket(&dst.bucket)
                                .key(dst.key(&key))
                                .body(ByteStream::from(body.clone()))
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(classify)
                        })
                        .await?;
                        done(&key, size);
                        Ok::<u64, String>(size)
                    }
                    Unit::Create { obj } => {
                        let key = &objs[obj].0;
                        let id = with_retry(
                            attempts,
                            &format!("CreateMultipartUpload {key}"),
                            || async {
                                let out = dst
                                    .client
                                    .create_multipart_upload()
                                    .bucket(&dst.bucket)
                                    .key(dst.key(key))
                                    .send()
                                    .await
                                    .map_err(classify)?;
                                Ok(out.upload_id().unwrap_or_default().to_string())
                            },
                        )
                        .await?;
                        ups.lock().unwrap_or_else(|e| e.into_inner())[obj].id = Some(id);
                        Ok(0)
                    }
                    Unit::Part {
                        obj,
                        number,
                        start,
                        end,
                    } => {
                        let key = &objs[obj].0;
                        let id = ups.lock().unwrap_or_else(|e| e.into_inner())[obj]
                            .id
                            .clone()
                            .unwrap_or_default();
                        let body = get(&src, key, Some((start, end)), attempts).await?;
                        let etag = with_retry(
                            attempts,
                            &format!("UploadPart {key} #{number}"),
                            || async {
                                let out = dst
                                    .client
                                    .upload_part()
                                    .bucket(&dst.bucket)
                                    .key(dst.key(key))
                                    .upload_id(&id)
                                    .part_number(number)
                                    .body(ByteStream::from(body.clone()))
                                    .send()
                                    .await
                                    .map_err(classify)?;
                                Ok(out.e_tag().unwrap_or_default().to_string())
                            },
                        )
                        .await?;
                        ups.lock().unwrap_or_else(|e| e.into_inner())[obj]
                            .parts
                            .insert(number, etag);
                        Ok(0)
                    }
                    Unit::Complete { obj } => {
                        let (key, size) = &objs[obj];
                        let (id, parts) = {
                            let u = &ups.lock().unwrap_or_else(|e| e.into_inner())[obj];
                            (u.id.clone().unwrap_or_default(), u.parts.clone())
                        };
                        let completed = CompletedMultipartUpload::builder()
                            .set_parts(Some(
                                parts
                                    .iter()
                                    .map(|(n, e)| {
                                        CompletedPart::builder().part_number(*n).e_tag(e).build()
                                    })
                                    .collect(),
                            ))
                            .build();
                        with_retry(
                            attempts,
                            &format!("CompleteMultipartUpload {key}"),
                            || async {
                                dst.client
                                    .complete_multipart_upload()
                                    .bucket(&dst.bucket)
                                    .key(dst.key(key))
                                    .upload_id(&id)
                                    .multipart_upload(completed.clone())
                                    .send()
                                    .await
                                    .map(|_| ())
                                    .map_err(classify)
                            },
                        )
                        .await?;
                        done(key, *size);
                        Ok(*size)
                    }
                }
            }
        },
    )
    .await;
    let mut report = Report::default();
    let mut failed_objects = std::collections::BTreeSet::new();
    for (i, o) in outcomes.into_iter().enumerate() {
        let key = match &units[i] {
            Unit::Whole { key, .. } => key.clone(),
            Unit::Create { obj } | Unit::Part { obj, .. } | Unit::Complete { obj } => {
                objects[*obj].0.clone()
            }
        };
        let last = matches!(units[i], Unit::Whole { .. } | Unit::Complete { .. });
        match o {
            Outcome::Done(bytes) if last => {
                report.copied += 1;
                report.bytes += bytes;
            }
            Outcome::Done(_) => {}
            Outcome::Failed(e) => {
                if failed_objects.insert(key.clone()) {
                    if let Some(tx) = &events {
                        let _ = tx.send(SyncEvent::Failed {
                            key: key.clone(),
                            error: e.clone(),
                        });
                    }
                    report.failed.push((key, e));
                }
            }
            Outcome::Skipped { .. } => {}
            Outcome::NotRun if last => report.not_run += 1,
            Outcome::NotRun => {}
        }
    }
    // Abort multipart uploads that will never complete, so the store drops their parts.
    let pending: Vec<(String, String)> = {
        let ups = uploads.lock().unwrap_or_else(|e| e.into_inner());
        objects
            .iter()
            .zip(ups.iter())
            .filter(|((k, _), u)| u.id.is_some() && failed_objects.contains(k))
            .map(|((k, _), u)| (k.clone(), u.id.clone().unwrap_or_default()))
            .collect()
    };
    for (key, id) in pending {
        let _ = dst
            .client
            .abort_multipart_upload()
            .bucket(&dst.bucket)
            .key(dst.key(&key))
            .upload_id(id)
            .send()
            .await;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_new_and_resized_objects_only() {
        let src: Listing = [
            ("a".to_string(), 1u64),
            ("b".into(), 2),
            ("c".into(), 3),
            ("metadata/x.json".into(), 9),
        ]
        .into();
        let dst: Listing = [("a".to_string(), 1u64), ("b".into(), 20)].into();
        let p = plan(&src, &dst, |k| !k.starts_with("metadata/"));
        assert_eq!(p.copy, vec![("b".to_string(), 2), ("c".to_string(), 3)]);
        assert_eq!(p.unchanged, 1);
        assert_eq!(p.bytes, 5);
    }
}
