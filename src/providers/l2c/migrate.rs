//! Moving one table's files from the local store to the L2C bucket: data files by the
//! smart sync (new or resized objects only, many at once, large ones streamed), metadata
//! files rewritten for the new location (manifests, then manifest lists with the new
//! manifest sizes, then `metadata.json` last, so a reader that finds the new metadata
//! finds everything it names).
//!
//! forge remembers each rewritten copy (its source size and its own size) and skips it
//! while the source file is unchanged and the copy is still there: Iceberg never
//! changes a metadata file in place, so a table with one new snapshot costs one new
//! `metadata.json`, one manifest list and its new manifests, not every file again (the
//! replaced tool re-uploaded and re-rewrote all of them on every sync).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::graph::walk::{Outcome, walk};
use crate::iceberg::{FileKind, PathMap, RewriteError, rewrite_file};
use crate::providers::aws::sync::{self, CopyList, Listing, Location, Options, SyncError};

/// A rewritten copy at the destination, remembered in state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewritten {
    /// The source file's size when it was rewritten.
    pub source_size: u64,
    /// The copy's size.
    pub size: u64,
}

/// What a migration has to do now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Work {
    /// Data (and other unrewritten) files to copy.
    pub data: CopyList,
    /// Metadata files to rewrite: relative key and source size.
    pub rewrite: Vec<(String, u64)>,
    /// Rewritten copies already there and still current.
    pub kept: usize,
}

/// Whether a file (relative to the table's location) is metadata that names paths.
pub fn is_metadata(rel: &str) -> bool {
    rel.starts_with("metadata/") && (rel.ends_with(".metadata.json") || rel.ends_with(".avro"))
}

/// Compares the two sides and what forge remembers into the work to do.
pub fn work(src: &Listing, dst: &Listing, rewritten: &BTreeMap<String, Rewritten>) -> Work {
    let data = sync::diff(src, dst, |k| !is_metadata(k));
    let mut rewrite = Vec::new();
    let mut kept = 0;
    for (k, size) in src.iter().filter(|(k, _)| is_metadata(k)) {
        let current = rewritten
            .get(k)
            .is_some_and(|r| r.source_size == *size && dst.get(k) == Some(&r.size));
        if current {
            kept += 1;
        } else {
            rewrite.push((k.clone(), *size));
        }
    }
    Work {
        data,
        rewrite,
        kept,
    }
}

/// What a migration did.
#[derive(Debug, Clone, Default)]
pub struct Moved {
    /// Data files copied and their bytes.
    pub copied: usize,
    /// Bytes copied.
    pub bytes: u64,
    /// Metadata files rewritten this time.
    pub rewrote: usize,
    /// Rewritten copies kept from earlier runs.
    pub kept: usize,
    /// Every rewritten copy now at the destination (what state remembers).
    pub rewritten: BTreeMap<String, Rewritten>,
}

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A side could not be listed, or a metadata file read or written.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Some data files could not be copied (the others were).
    #[error("{failed} of {total} files could not be copied; the first: {first}")]
    Copy {
        /// How many failed.
        failed: usize,
        /// How many were to be copied.
        total: usize,
        /// The first failure, on one line.
        first: String,
        /// What to do about the first failure, where forge knows (expired credentials:
        /// `aws sso login`).
        hint: Option<String>,
    },
    /// Stopped by the user before every file was copied.
    #[error("interrupted")]
    Interrupted,
    /// A metadata file could not be rewritten.
    #[error(transparent)]
    Rewrite(#[from] RewriteError),
}

/// Files at once while fetching and writing metadata.
const METADATA_CONCURRENCY: usize = 16;

/// Moves the table under `src` to `dst`, its paths mapped by `map`; `prior` is what
/// forge remembers of earlier rewrites.
pub async fn migrate(
    src: &Location,
    dst: &Location,
    map: &PathMap,
    prior: &BTreeMap<String, Rewritten>,
    opts: &Options,
    cancel: &CancellationToken,
) -> Result<Moved, MigrateError> {
    let (sl, dl) = tokio::join!(sync::list(src), sync::list(dst));
    let (sl, dl) = (sl?, dl?);
    let w = work(&sl, &dl, prior);
    // Data first: metadata must never name a file that is not there yet.
    let report = sync::copy(src, dst, &w.data, opts, cancel, None).await;
    if let Some((key, e)) = report.failed.first() {
        return Err(MigrateError::Copy {
            failed: report.failed.len(),
            total: w.data.copy.len(),
            first: format!("{key}: {}", crate::render::error_chain(e)),
            hint: match e {
                SyncError::Call(p) => p.hint(),
                _ => None,
            },
        });
    }
    if report.not_run > 0 {
        return Err(MigrateError::Interrupted);
    }
    let fetched = fetch(src, &w.rewrite, opts, cancel).await?;
    let mut files: Vec<(String, u64, FileKind, bytes::Bytes)> = fetched
        .into_iter()
        .map(|(rel, size, b)| {
            let k = FileKind::of(&rel, &b);
            (rel, size, k, b)
        })
        .collect();
    files.sort_by_key(|f| match f.2 {
        FileKind::Manifest => 0,
        FileKind::ManifestList => 1,
        FileKind::Other => 2,
        FileKind::MetadataJson => 3,
    });
    // Every manifest's size at its new path: those kept from earlier runs as listed,
    // those rewritten now as written.
    let mut lengths: HashMap<String, u64> = dl
        .iter()
        .filter(|(k, _)| k.ends_with(".avro"))
        .map(|(k, s)| (format!("{}/{k}", map.to()), *s))
        .collect();
    let mut rewritten: BTreeMap<String, Rewritten> = prior
        .iter()
        .filter(|(k, _)| sl.contains_key(*k))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let mut rewrote = 0;
    for phase in [
        FileKind::Manifest,
        FileKind::ManifestList,
        FileKind::Other,
        FileKind::MetadataJson,
    ] {
        let mut out = Vec::new();
        for (rel, size, _, bytes) in files.iter().filter(|f| f.2 == phase) {
            let (_, new) = rewrite_file(rel, bytes, map, &lengths)?;
            out.push((rel.clone(), *size, bytes::Bytes::from(new)));
        }
        put_all(dst, &out, opts, cancel).await?;
        for (rel, source_size, b) in out {
            let size = b.len() as u64;
            lengths.insert(format!("{}/{rel}", map.to()), size);
            rewritten.insert(rel, Rewritten { source_size, size });
            rewrote += 1;
        }
    }
    Ok(Moved {
        copied: report.copied,
        bytes: report.bytes,
        rewrote,
        kept: w.kept,
        rewritten,
    })
}

/// Reads the files named in `rels` from `src`, many at once.
async fn fetch(
    src: &Location,
    rels: &[(String, u64)],
    opts: &Options,
    cancel: &CancellationToken,
) -> Result<Vec<(String, u64, bytes::Bytes)>, MigrateError> {
    let items = Arc::new(rels.to_vec());
    let (loc, backoff, it) = (src.clone(), opts.backoff, items.clone());
    let outcomes = walk(
        items.len(),
        &vec![vec![]; items.len()],
        METADATA_CONCURRENCY,
        cancel,
        move |i| {
            let (loc, it) = (loc.clone(), it.clone());
            async move {
                let (rel, size) = &it[i];
                let b = loc.get(rel, &backoff).await?;
                Ok::<_, SyncError>((rel.clone(), *size, b))
            }
        },
    )
    .await;
    collect(outcomes)
}

/// Writes every `(rel, _, bytes)` of `files` to `dst`, many at once.
async fn put_all(
    dst: &Location,
    files: &[(String, u64, bytes::Bytes)],
    opts: &Options,
    cancel: &CancellationToken,
) -> Result<(), MigrateError> {
    let items = Arc::new(files.to_vec());
    let (loc, backoff, it) = (dst.clone(), opts.backoff, items.clone());
    let outcomes = walk(
        items.len(),
        &vec![vec![]; items.len()],
        METADATA_CONCURRENCY,
        cancel,
        move |i| {
            let (loc, it) = (loc.clone(), it.clone());
            async move {
                let (rel, _, b) = &it[i];
                loc.put(rel, b.clone(), &backoff).await
            }
        },
    )
    .await;
    collect(outcomes).map(|_: Vec<()>| ())
}

/// The results of a walk, or its first failure.
fn collect<T>(outcomes: Vec<Outcome<T, SyncError>>) -> Result<Vec<T>, MigrateError> {
    let mut out = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        match o {
            Outcome::Done(v) => out.push(v),
            Outcome::Failed(e) => return Err(e.into()),
            Outcome::Skipped { .. } | Outcome::NotRun => return Err(MigrateError::Interrupted),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(items: &[(&str, u64)]) -> Listing {
        items.iter().map(|(k, s)| (k.to_string(), *s)).collect()
    }

    #[test]
    fn rewritten_copies_are_kept_while_their_source_is_unchanged() {
        let src = listing(&[
            ("data/a.parquet", 100),
            ("metadata/00001-x.metadata.json", 50),
            ("metadata/snap-1.avro", 40),
            ("metadata/00002-y.metadata.json", 60),
        ]);
        // The first run copied data and rewrote two files (their sizes changed).
        let dst = listing(&[
            ("data/a.parquet", 100),
            ("metadata/00001-x.metadata.json", 55),
            ("metadata/snap-1.avro", 44),
        ]);
        let remembered = BTreeMap::from([
            (
                "metadata/00001-x.metadata.json".to_string(),
                Rewritten {
                    source_size: 50,
                    size: 55,
                },
            ),
            (
                "metadata/snap-1.avro".to_string(),
                Rewritten {
                    source_size: 40,
                    size: 44,
                },
            ),
        ]);
        let w = work(&src, &dst, &remembered);
        assert!(w.data.copy.is_empty(), "{:?}", w.data);
        assert_eq!(w.kept, 2);
        assert_eq!(
            w.rewrite,
            vec![("metadata/00002-y.metadata.json".to_string(), 60)]
        );
        // Without the memory, every metadata file differs in size: all are redone.
        let w = work(&src, &dst, &BTreeMap::new());
        assert_eq!(w.rewrite.len(), 3);
        // A copy deleted at the destination is rewritten again.
        let mut gone = dst.clone();
        gone.remove("metadata/snap-1.avro");
        assert_eq!(work(&src, &gone, &remembered).rewrite.len(), 2);
    }

    #[test]
    fn only_metadata_files_are_rewritten() {
        assert!(is_metadata("metadata/00001-x.metadata.json"));
        assert!(is_metadata("metadata/snap-1-0-u.avro"));
        assert!(!is_metadata("data/x.avro"));
        assert!(!is_metadata("metadata/stats.puffin"));
    }
}
