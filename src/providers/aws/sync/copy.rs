//! [`copy`]: carries out a [`CopyList`], each object a unit of the walker; large
//! objects as multipart uploads fed by a [`Reader`].

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::reader::Reader;
use super::{CopyList, Location, Options, SyncError};
use crate::graph::walk::{Outcome, walk};
use crate::providers::aws::error::{Failure, classify};
use crate::providers::retry::Backoff;

/// What a sync did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Objects copied.
    pub copied: usize,
    /// Bytes copied.
    pub bytes: u64,
    /// Objects that failed, with why.
    #[serde(serialize_with = "messages")]
    pub failed: Vec<(String, SyncError)>,
    /// Objects not started (interrupted).
    pub not_run: usize,
}

fn messages<S: serde::Serializer>(failed: &[(String, SyncError)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        failed
            .iter()
            .map(|(k, e)| (k, crate::render::error_chain(e))),
    )
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
        /// Why, on one line.
        error: String,
    },
}

#[derive(Debug, Clone)]
enum Unit {
    Whole { key: String, size: u64 },
    Large { key: String, size: u64 },
}

impl Unit {
    fn key(&self) -> &str {
        match self {
            Unit::Whole { key, .. } | Unit::Large { key, .. } => key,
        }
    }
}

/// One S3 call on `loc`, retried with `backoff` while its failure is transient.
async fn call<T, F, Fut>(
    backoff: &Backoff,
    loc: &Location,
    operation: impl FnOnce() -> String,
    f: F,
) -> Result<T, SyncError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    backoff
        .retry(Failure::is_transient, f)
        .await
        .map_err(|failure| SyncError::Call(failure.into_error(operation(), &loc.label)))
}

async fn get(src: &Location, key: &str, backoff: &Backoff) -> Result<bytes::Bytes, SyncError> {
    call(
        backoff,
        src,
        || format!("GetObject {key}"),
        || async {
            let out = src
                .client
                .get_object()
                .bucket(&src.bucket)
                .key(src.key(key))
                .send()
                .await
                .map_err(classify)?;
            // A body cut off mid-way is a connection failure: try again.
            out.body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .map_err(|e| Failure::Unreachable {
                    reason: format!("the download broke: {e}"),
                })
        },
    )
    .await
}

async fn upload_part(
    dst: &Location,
    key: &str,
    id: &str,
    number: i32,
    body: bytes::Bytes,
    backoff: &Backoff,
) -> Result<CompletedPart, SyncError> {
    let etag = call(
        backoff,
        dst,
        || format!("UploadPart {key} #{number}"),
        || async {
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
        },
    )
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
    backoff: &Backoff,
) -> Result<(), SyncError> {
    let id = call(
        backoff,
        dst,
        || format!("CreateMultipartUpload {key}"),
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
    let result: Result<(), SyncError> = async {
        let mut reader = Reader::new(src, key, size, *backoff);
        let mut parts = Vec::new();
        let mut current = reader.read(part).await?;
        let mut number = 1;
        loop {
            if reader.pos >= size {
                parts.push(upload_part(dst, key, &id, number, current, backoff).await?);
                break;
            }
            let (uploaded, next) = tokio::join!(
                upload_part(dst, key, &id, number, current, backoff),
                reader.read(part)
            );
            parts.push(uploaded?);
            current = next?;
            number += 1;
        }
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
            .build();
        call(
            backoff,
            dst,
            || format!("CompleteMultipartUpload {key}"),
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

/// Copies what `list` names from `src` to `dst`, at most `opts.concurrency` objects at
/// once; stops starting new ones when `cancel` fires.
pub async fn copy(
    src: &Location,
    dst: &Location,
    list: &CopyList,
    opts: &Options,
    cancel: &CancellationToken,
    events: Option<tokio::sync::mpsc::UnboundedSender<SyncEvent>>,
) -> Report {
    let part = opts.part_size.max(5 * 1024 * 1024);
    // Large objects first, so they are not the tail of the run.
    let mut units: Vec<Unit> = list
        .copy
        .iter()
        .map(|(key, size)| {
            let (key, size) = (key.clone(), *size);
            if size < part {
                Unit::Whole { key, size }
            } else {
                Unit::Large { key, size }
            }
        })
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(matches!(u, Unit::Large { .. })));
    let units = Arc::new(units);
    let (src2, dst2, backoff, us, ev) = (
        src.clone(),
        dst.clone(),
        opts.backoff,
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
                let size = match &unit {
                    Unit::Whole { key, size } => {
                        let body = get(&src, key, &backoff).await?;
                        call(
                            &backoff,
                            &dst,
                            || format!("PutObject {key}"),
                            || async {
                                dst.client
                                    .put_object()
                                    .bucket(&dst.bucket)
                                    .key(dst.key(key))
                                    .body(ByteStream::from(body.clone()))
                                    .send()
                                    .await
                                    .map(|_| ())
                                    .map_err(classify)
                            },
                        )
                        .await?;
                        *size
                    }
                    Unit::Large { key, size } => {
                        copy_large(&src, &dst, key, *size, part, &backoff).await?;
                        *size
                    }
                };
                if let Some(tx) = &ev {
                    let _ = tx.send(SyncEvent::Copied {
                        key: unit.key().to_string(),
                        bytes: size,
                    });
                }
                Ok::<u64, SyncError>(size)
            }
        },
    )
    .await;
    let mut report = Report::default();
    for (unit, o) in units.iter().zip(outcomes) {
        let key = unit.key().to_string();
        match o {
            Outcome::Done(bytes) => {
                report.copied += 1;
                report.bytes += bytes;
            }
            Outcome::Failed(e) => {
                if let Some(tx) = &events {
                    let _ = tx.send(SyncEvent::Failed {
                        key: key.clone(),
                        error: crate::render::error_chain(&e),
                    });
                }
                report.failed.push((key, e));
            }
            Outcome::Skipped { .. } => {}
            Outcome::NotRun => report.not_run += 1,
        }
    }
    report.failed.sort_by(|a, b| a.0.cmp(&b.0));
    report
}
