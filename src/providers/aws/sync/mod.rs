//! Smart sync between two S3 locations (e.g. the local RustFS and an AWS bucket): copy
//! the objects that are new at the destination or whose size differs, many at once,
//! never holding more than a part of a large object in memory.
//!
//! Small objects go as one GET and one PUT. A large one is read as one streaming GET,
//! cut into parts as it arrives, and sent as a multipart upload whose next part is read
//! while the previous one uploads: at most two parts of it are in memory. Every object is
//! a unit of work for the engine's walker ([`crate::graph::walk`]), so concurrency is
//! bounded by one number. Calls are retried with backoff on errors worth retrying (a GET
//! cut mid-way resumes from where it broke); a failed object is reported while the others
//! go on, so a re-run resumes where this one stopped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::graph::walk::{Outcome, walk};
use crate::providers::aws::client::{Failure, classify};

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
    Whole { key: String, size: u64 },
    Large { key: String, size: u64 },
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

/// Reads `[from, to)` of an object as it streams in, resuming with a ranged GET if the
/// stream breaks; returns exactly `to - from` bytes.
struct Reader<'a> {
    src: &'a Location,
    key: &'a str,
    size: u64,
    pos: u64,
    body: Option<ByteStream>,
    pending: bytes::Bytes,
    attempts: u32,
}

impl Reader<'_> {
    async fn open(&mut self) -> Result<(), String> {
        let (src, key, pos) = (self.src, self.key, self.pos);
        let out = with_retry(self.attempts, &format!("GetObject {key}"), || async {
            let mut req = src
                .client
                .get_object()
                .bucket(&src.bucket)
                .key(src.key(key));
            if pos > 0 {
                req = req.range(format!("bytes={pos}-"));
            }
            req.send().await.map_err(classify)
        })
        .await?;
        self.body = Some(out.body);
        Ok(())
    }

    /// The next `n` bytes (fewer only at the end of the object).
    async fn read(&mut self, n: u64) -> Result<bytes::Bytes, String> {
        let want = n.min(self.size - self.pos) as usize;
        let mut buf = bytes::BytesMut::with_capacity(want);
        let mut failures = 0;
        while buf.len() < want {
            if !self.pending.is_empty() {
                let take = self.pending.len().min(want - buf.len());
                buf.extend_from_slice(&self.pending.split_to(take));
                self.pos += take as u64;
                continue;
            }
            if self.body.is_none() {
                self.open().await?;
            }
            let Some(body) = self.body.as_mut() else {
                return Err(format!("GetObject {}: no body", self.key));
            };
            let next = body.try_next().await;
            match next {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => {
                    return Err(format!(
                        "GetObject {}: the object ended at byte {} of {}",
                        self.key, self.pos, self.size
                    ));
                }
                Err(e) => {
                    // Cut mid-body: resume from here.
                    failures += 1;
                    if failures >= self.attempts {
                        return Err(format!("GetObject {}: {e}", self.key));
                    }
                    self.body = None;
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(failures))).await;
                }
            }
        }
        Ok(buf.freeze())
    }
}

async fn upload_part(
    dst: &Location,
    key: &str,
    id: &str,
    number: i32,
    body: bytes::Bytes,
    attempts: u32,
) -> Result<CompletedPart, String> {
    let etag = with_retry(attempts, &format!("UploadPart {key} #{number}"), || async {
        let out = dst
            .client
            .upload_part()
            .bucket(&dst.bucket)
            .key(dst.key(key))
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .map_err(classify)?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    })
    .await?;
    Ok(CompletedPart::builder()
        .part_number(number)
        .e_tag(etag)
        .build())
}

/// Copies a large object as a multipart upload, reading the next part while the
/// previous one uploads. Aborts the upload if anything fails.
async fn copy_large(
    src: &Location,
    dst: &Location,
    key: &str,
    size: u64,
    part: u64,
    attempts: u32,
) -> Result<(), String> {
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
    let result: Result<(), String> = async {
        let mut reader = Reader {
            src,
            key,
            size,
            pos: 0,
            body: None,
            pending: bytes::Bytes::new(),
            attempts,
        };
        let mut parts = Vec::new();
        let mut current = reader.read(part).await?;
        let mut number = 1;
        loop {
            let last = reader.pos >= size;
            if last {
                parts.push(upload_part(dst, key, &id, number, current, attempts).await?);
                break;
            }
            let (uploaded, next) = tokio::join!(
                upload_part(dst, key, &id, number, current, attempts),
                reader.read(part)
            );
            parts.push(uploaded?);
            current = next?;
            number += 1;
        }
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
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
        .await
    }
    .await;
    if result.is_err() {
        // So the store drops the parts it holds.
        let _ = dst
            .client
            .abort_multipart_upload()
            .bucket(&dst.bucket)
            .key(dst.key(key))
            .upload_id(&id)
            .send()
            .await;
    }
    result
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
    // Large objects first, so they are not the tail of the run.
    let mut units: Vec<Unit> = plan
        .copy
        .iter()
        .map(|(key, size)| {
            if *size < part {
                Unit::Whole {
                    key: key.clone(),
                    size: *size,
                }
            } else {
                Unit::Large {
                    key: key.clone(),
                    size: *size,
                }
            }
        })
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(matches!(u, Unit::Large { .. })));
    let units = Arc::new(units);
    let (src2, dst2, attempts, us, ev) = (
        src.clone(),
        dst.clone(),
        opts.attempts,
        units.clone(),
        events.clone(),
    );
    let outcomes = walk(
        units.len(),
        &vec![vec![]; units.len()],
        opts.concurrency.max(1),
        cancel,
        move |i| {
            let (src, dst, unit, ev) = (src2.clone(), dst2.clone(), us[i].clone(), ev.clone());
            async move {
                let (key, size) = match &unit {
                    Unit::Whole { key, size } => {
                        let body = get(&src, key, None, attempts).await?;
                        with_retry(attempts, &format!("PutObject {key}"), || async {
                            dst.client
                                .put_object()
                                .bucket(&dst.bucket)
                                .key(dst.key(key))
                                .body(ByteStream::from(body.clone()))
                                .send()
                                .await
                                .map(|_| ())
                                .map_err(classify)
                        })
                        .await?;
                        (key, *size)
                    }
                    Unit::Large { key, size } => {
                        copy_large(&src, &dst, key, *size, part, attempts).await?;
                        (key, *size)
                    }
                };
                if let Some(tx) = &ev {
                    let _ = tx.send(SyncEvent::Copied {
                        key: key.clone(),
                        bytes: size,
                    });
                }
                Ok::<u64, String>(size)
            }
        },
    )
    .await;
    let mut report = Report::default();
    for (i, o) in outcomes.into_iter().enumerate() {
        let key = match &units[i] {
            Unit::Whole { key, .. } | Unit::Large { key, .. } => key.clone(),
        };
        match o {
            Outcome::Done(bytes) => {
                report.copied += 1;
                report.bytes += bytes;
            }
            Outcome::Failed(e) => {
                if let Some(tx) = &events {
                    let _ = tx.send(SyncEvent::Failed {
                        key: key.clone(),
                        error: e.clone(),
                    });
                }
                report.failed.push((key, e));
            }
            Outcome::Skipped { .. } => {}
            Outcome::NotRun => report.not_run += 1,
        }
    }
    report.failed.sort();
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
