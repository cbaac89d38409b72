//! Where each migrated table stands, for `forge status`: derived from what a read of the
//! `l2c_table` found (the catalog's current metadata, the copy forge made, the work a sync
//! would do), so the answer is as fresh as a plan's and costs no more than its reads.

use serde::Serialize;

use super::source::version_of;
use super::table::{TableState, split_s3};

/// One table's standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableStatus {
    /// `catalog/namespace/table`.
    pub table: String,
    /// In one word: see [`Standing`].
    pub standing: Standing,
    /// The source's metadata version and current snapshot, when it has one.
    pub source: Option<Point>,
    /// The copy's, when there is one.
    pub synced: Option<Point>,
    /// Objects a sync would copy.
    pub pending_objects: usize,
    /// Their bytes.
    pub pending_bytes: u64,
    /// Metadata files a sync would rewrite.
    pub pending_rewrites: usize,
    /// The copy's metadata file relative to its bucket (what Snowflake reads).
    pub metadata_file_path: Option<String>,
    /// The metadata file Snowflake's table was last registered or refreshed from (with
    /// `l2c.snowflake`; `None`: not registered).
    pub registered: Option<String>,
    /// Things to look at: the table's location moved (the seed's prefix-drift warning),
    /// its format version changed.
    pub warnings: Vec<String>,
}

/// A table version: metadata file version and snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// The metadata file's version number (`3` for `00003-….metadata.json`).
    pub version: Option<u64>,
    /// The current snapshot.
    pub snapshot_id: Option<i64>,
    /// The Iceberg format version.
    pub format_version: u8,
}

/// Where a table stands, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The copy is the catalog's current version, complete.
    InSync,
    /// The source moved on since the copy was made.
    Behind,
    /// Never copied.
    NotMigrated,
    /// The copy is the current version but objects are missing at the destination.
    Incomplete,
    /// The table is gone from its catalog; its copy is still there.
    SourceDropped,
    /// Neither in its catalog nor copied.
    Absent,
}

impl Standing {
    /// The words `forge status` prints.
    pub fn words(self) -> &'static str {
        match self {
            Standing::InSync => "in sync",
            Standing::Behind => "behind",
            Standing::NotMigrated => "not migrated",
            Standing::Incomplete => "incomplete",
            Standing::SourceDropped => "dropped at the source",
            Standing::Absent => "not in its catalog",
        }
    }
}

/// The standing of table `name` from what its read found.
pub fn status(name: &str, state: &TableState) -> TableStatus {
    let source = state.source.as_ref().map(|s| Point {
        version: version_of(&s.metadata_location),
        snapshot_id: s.snapshot_id,
        format_version: s.format_version,
    });
    let synced = state.synced.as_ref().map(|s| Point {
        version: version_of(&s.from),
        snapshot_id: s.snapshot_id,
        format_version: s.format_version,
    });
    let pending = &state.pending;
    let standing = match (&state.source, &state.synced) {
        (None, None) => Standing::Absent,
        (None, Some(_)) => Standing::SourceDropped,
        (Some(_), None) => Standing::NotMigrated,
        (Some(s), Some(d)) if d.from != s.metadata_location => Standing::Behind,
        (Some(_), Some(_)) if pending.objects > 0 || pending.rewrite > 0 => Standing::Incomplete,
        (Some(_), Some(_)) => Standing::InSync,
    };
    let mut warnings = Vec::new();
    if let (Some(d), Some(r)) = (&state.synced, &state.registered)
        && !r.is_at(&d.metadata_file_path)
    {
        warnings.push(format!(
            "Snowflake reads {} while the copy is at {}: the next apply refreshes it",
            r.metadata_location
                .as_deref()
                .unwrap_or("an unknown metadata file"),
            d.metadata_file_path
        ));
    }
    if let (Some(s), Some(d)) = (&state.source, &state.synced) {
        let now = split_s3(&s.location).map(|(_, k)| k);
        let then = split_s3(&d.location).map(|(_, k)| k);
        if now != then {
            warnings.push(format!(
                "prefix drift: the table now lives at `{}`, its copy at `{}`; the next sync copies it to the new prefix and the old copy stays until the table is destroyed",
                s.location, d.location
            ));
        }
        if s.format_version != d.format_version {
            warnings.push(format!(
                "format version {} → {}: readers of the copy must open it anew",
                d.format_version, s.format_version
            ));
        }
    }
    TableStatus {
        table: name.to_string(),
        standing,
        source,
        synced,
        pending_objects: pending.objects,
        pending_bytes: pending.bytes,
        pending_rewrites: pending.rewrite,
        metadata_file_path: state.synced.as_ref().map(|s| s.metadata_file_path.clone()),
        registered: state
            .registered
            .as_ref()
            .and_then(|r| r.metadata_location.clone()),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::l2c::source::Source;
    use crate::providers::l2c::{Pending, Synced};

    fn source(v: u32, location: &str) -> Source {
        Source {
            metadata_location: format!("{location}/metadata/{v:05}-x.metadata.json"),
            location: location.into(),
            snapshot_id: Some(i64::from(v) * 10),
            format_version: 2,
        }
    }

    fn synced(v: u32, location: &str) -> Synced {
        Synced {
            from: format!("s3://polardb/ns/t/metadata/{v:05}-x.metadata.json"),
            metadata_file_path: format!("ns/t/metadata/{v:05}-x.metadata.json"),
            location: location.into(),
            snapshot_id: Some(i64::from(v) * 10),
            format_version: 2,
            files: 3,
            bytes: 300,
        }
    }

    fn state(src: Option<Source>, dst: Option<Synced>, pending: Pending) -> TableState {
        TableState {
            source: src,
            synced: dst,
            pending,
            rewritten: Default::default(),
            registered: None,
        }
    }

    #[test]
    fn each_standing_follows_from_what_the_read_found() {
        let here = "s3://polardb/ns/t";
        let there = "s3://l2c/ns/t";
        let none = Pending::default();
        let some = Pending {
            objects: 2,
            bytes: 10,
            rewrite: 1,
        };
        let cases = [
            (state(None, None, none), Standing::Absent),
            (
                state(None, Some(synced(3, there)), none),
                Standing::SourceDropped,
            ),
            (
                state(Some(source(3, here)), None, some),
                Standing::NotMigrated,
            ),
            (
                state(Some(source(5, here)), Some(synced(3, there)), some),
                Standing::Behind,
            ),
            (
                state(Some(source(3, here)), Some(synced(3, there)), some),
                Standing::Incomplete,
            ),
            (
                state(Some(source(3, here)), Some(synced(3, there)), none),
                Standing::InSync,
            ),
        ];
        for (s, want) in cases {
            assert_eq!(status("polardb/ns/t", &s).standing, want, "{s:?}");
        }
        let behind = status(
            "polardb/ns/t",
            &state(Some(source(5, here)), Some(synced(3, there)), some),
        );
        assert_eq!(behind.source.and_then(|p| p.version), Some(5));
        assert_eq!(behind.synced.and_then(|p| p.version), Some(3));
        assert!(behind.warnings.is_empty(), "{:?}", behind.warnings);
    }

    #[test]
    fn a_table_whose_location_moved_warns_of_prefix_drift() {
        let s = status(
            "polardb/ns/t",
            &state(
                Some(source(4, "s3://polardb/ns/t_renamed")),
                Some(synced(3, "s3://l2c/ns/t")),
                Pending::default(),
            ),
        );
        assert!(
            s.warnings.iter().any(|w| w.starts_with("prefix drift")),
            "{:?}",
            s.warnings
        );
    }
}
