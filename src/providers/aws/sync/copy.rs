//! [`copy`]: carries out a [`CopyList`], each object a unit of the walker: one PUT
//! below the multipart threshold (by the [`direct`](super::direct) path between two
//! plain-HTTP stores), a multipart upload above it ([`transfer`](super::transfer)).

use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::direct::Direct;
use super::transfer::{copy_multipart, copy_whole};
use super::{CopyList, Location, Options, SyncError};
use crate::graph::walk::{Outcome, walk};

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
    Multipart { key: String, size: u64 },
}

impl Unit {
    fn key(&self) -> &str {
        match self {
            Unit::Whole { key, .. } | Unit::Multipart { key, .. } => key,
        }
    }
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
    // S3's smallest part (but the last).
    let part = opts.part_size.max(5 * 1024 * 1024);
    let threshold = opts.multipart_threshold.max(part);
    let mut units: Vec<Unit> = list
        .copy
        .iter()
        .map(|(key, size)| {
            let (key, size) = (key.clone(), *size);
            if size < threshold {
                Unit::Whole { key, size }
            } else {
                Unit::Multipart { key, size }
            }
        })
        .collect();
    // Large objects first, so they are not the tail of the run.
    units.sort_by_key(|u| {
        std::cmp::Reverse(match u {
            Unit::Whole { size, .. } | Unit::Multipart { size, .. } => *size,
        })
    });
    let units = Arc::new(units);
    let direct = match opts.direct {
        true => Direct::new(src, dst).await.map(Arc::new),
        false => None,
    };
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
            let direct = direct.clone();
            async move {
                let size = match &unit {
                    Unit::Whole { key, size } => {
                        match &direct {
                            Some(d) => d.copy(key, *size, &backoff).await?,
                            None => copy_whole(&src, &dst, key, *size, &backoff).await?,
                        }
                        *size
                    }
                    Unit::Multipart { key, size } => {
                        copy_multipart(&src, &dst, key, *size, part, &backoff).await?;
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
