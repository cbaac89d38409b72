//! The check before Snowflake is told about a copy: every file the current snapshot
//! needs — its manifest list, manifests, data and delete files — is at the destination
//! with the size the metadata records, and every path lies under the table's new
//! location (Snowflake refuses metadata outside its volume). A copy that fails the check
//! is never registered or refreshed, so Snowflake never reads a half-copied table.

use futures::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use crate::iceberg::{RewriteError, referenced};
use crate::providers::aws::sync::{self, Listing, Location, SyncError};
use crate::providers::retry::Backoff;

/// Manifests read at once.
const MANIFEST_READS: usize = 16;

/// What the check looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checked {
    /// Files checked (manifest list, manifests, data and delete files).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Live position-delete files among them: they name data files by absolute path
    /// inside their Parquet rows, which no metadata rewrite reaches.
    pub position_deletes: usize,
}

/// Why a copy is not fit to be read.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// A file could not be listed or read.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// A metadata file could not be parsed.
    #[error(transparent)]
    Parse(#[from] RewriteError),
    /// The metadata JSON is not what Iceberg writes.
    #[error("`{file}` is not table metadata: {why}")]
    Metadata {
        /// The file.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// Paths outside the table's new location.
    #[error("{} path(s) lie outside `{location}`, e.g. `{}`", paths.len(), paths.first().map(String::as_str).unwrap_or(""))]
    Outside {
        /// The table's new location.
        location: String,
        /// The paths.
        paths: Vec<String>,
    },
    /// Files missing at the destination or of the wrong size.
    #[error("{} file(s) of the current snapshot are missing or incomplete at the destination, e.g. {}", missing.len(), missing.first().map(|m| m.to_string()).unwrap_or_default())]
    Missing {
        /// What is wrong, file by file.
        missing: Vec<Missing>,
    },
}

/// One file the snapshot needs that is not right at the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// Relative to the table's location.
    pub rel: String,
    /// The size the metadata records.
    pub want: u64,
    /// The size found (`None`: not there).
    pub found: Option<u64>,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.found {
            None => write!(f, "`{}` is not there", self.rel),
            Some(n) => write!(f, "`{}` has {n} bytes, not {}", self.rel, self.want),
        }
    }
}

/// Checks the copy whose metadata file is `metadata_rel` (relative to `dst`, which is
/// the table's new location `location`). Run on the source first, the same check says
/// whether the table can be moved at all (complete, and without position deletes).
pub async fn check(
    dst: &Location,
    location: &str,
    metadata_rel: &str,
    backoff: &Backoff,
) -> Result<Checked, IntegrityError> {
    let listing = sync::list(dst).await?;
    let text = dst.get(metadata_rel, backoff).await?;
    let md: Value = serde_json::from_slice(&text).map_err(|e| IntegrityError::Metadata {
        file: metadata_rel.to_string(),
        why: e.to_string(),
    })?;
    let loc = md["location"].as_str().unwrap_or_default();
    if loc.trim_end_matches('/') != location {
        return Err(IntegrityError::Outside {
            location: location.to_string(),
            paths: vec![loc.to_string()],
        });
    }
    let Some(current) = md["current-snapshot-id"].as_i64().filter(|s| *s >= 0) else {
        // No snapshot: nothing but the metadata file to read.
        return Ok(Checked::default());
    };
    let snapshot = md["snapshots"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["snapshot-id"].as_i64() == Some(current))
        })
        .ok_or_else(|| IntegrityError::Metadata {
            file: metadata_rel.to_string(),
            why: format!("the current snapshot {current} is not among its snapshots"),
        })?;
    let rel = |path: &str| -> Result<String, IntegrityError> {
        path.strip_prefix(location)
            .and_then(|r| r.strip_prefix('/'))
            .map(str::to_string)
            .ok_or_else(|| IntegrityError::Outside {
                location: location.to_string(),
                paths: vec![path.to_string()],
            })
    };
    let mut checked = Checked::default();
    let mut missing = Vec::new();
    let mut look = |rel: String, want: Option<u64>, listing: &Listing| {
        let found = listing.get(&rel).copied();
        checked.files += 1;
        checked.bytes += found.unwrap_or(0);
        match (found, want) {
            (None, _) => missing.push(Missing {
                rel,
                want: want.unwrap_or(0),
                found: None,
            }),
            (Some(f), Some(w)) if f != w => missing.push(Missing {
                rel,
                want: w,
                found: Some(f),
            }),
            _ => {}
        }
    };
    // Format v1 snapshots may list their manifests inline instead of in a list file.
    let manifests: Vec<(String, Option<u64>)> = match snapshot["manifest-list"].as_str() {
        Some(list) => {
            let list_rel = rel(list)?;
            look(list_rel.clone(), None, &listing);
            if !listing.contains_key(&list_rel) {
                return Err(IntegrityError::Missing { missing });
            }
            let bytes = dst.get(&list_rel, backoff).await?;
            referenced(&list_rel, &bytes)?
                .into_iter()
                .map(|r| Ok((rel(&r.path)?, Some(r.size))))
                .collect::<Result<_, IntegrityError>>()?
        }
        None => snapshot["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|p| Ok((rel(p)?, None)))
            .collect::<Result<_, IntegrityError>>()?,
    };
    // The manifests are read a few at a time: a table with many snapshots has many, and
    // each read is a round trip.
    for (m, want) in &manifests {
        look(m.clone(), *want, &listing);
    }
    let present: Vec<String> = manifests
        .into_iter()
        .map(|(m, _)| m)
        .filter(|m| listing.contains_key(m))
        .collect();
    let read: Vec<(String, bytes::Bytes)> = stream::iter(present)
        .map(|m: String| async move { dst.get(&m, backoff).await.map(|b| (m, b)) })
        .buffer_unordered(MANIFEST_READS)
        .try_collect()
        .await?;
    let mut position_deletes = 0;
    for (m, bytes) in read {
        for f in referenced(&m, &bytes)? {
            position_deletes += usize::from(f.content == 1);
            look(rel(&f.path)?, Some(f.size), &listing);
        }
    }
    checked.position_deletes = position_deletes;
    if missing.is_empty() {
        Ok(checked)
    } else {
        Err(IntegrityError::Missing { missing })
    }
}
