//! One metadata file at a time, for callers that move a table file by file (the L2C
//! table migration): [`rewrite_file`] rewrites whichever kind of metadata file it is
//! given, and [`referenced`] lists what a manifest list or manifest points at, so a
//! copy can be checked for completeness before anyone is told to read it.

use std::collections::HashMap;
use std::path::Path;

use super::RewriteError;
use super::avro::{Patch, patch_block, read_container};
use super::classify::{Kind, kind};
use super::io::{gunzip, gzip};
use super::manifest::{rewrite_manifest, rewrite_manifest_list};
use super::metadata::rewrite_metadata_json;
use super::paths::PathMap;

/// What kind of metadata file a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A manifest (lists data and delete files).
    Manifest,
    /// A manifest list (lists a snapshot's manifests).
    ManifestList,
    /// A table metadata JSON (possibly gzipped).
    MetadataJson,
    /// Anything else (statistics, version hints): moved as it is.
    Other,
}

impl FileKind {
    /// The kind of the file named `name` holding `bytes`.
    pub fn of(name: &str, bytes: &[u8]) -> Self {
        match kind(name, bytes) {
            Kind::Manifest => FileKind::Manifest,
            Kind::List => FileKind::ManifestList,
            Kind::Json => FileKind::MetadataJson,
            Kind::Other => FileKind::Other,
        }
    }
}

/// Rewrites one metadata file named `name` for its table's move along `map`.
/// `manifest_lengths` gives the size of every manifest at its new path (needed by
/// manifest lists; the others ignore it). Returns the new bytes (the same bytes for
/// [`FileKind::Other`]).
pub fn rewrite_file(
    name: &str,
    bytes: &[u8],
    map: &PathMap,
    manifest_lengths: &HashMap<String, u64>,
) -> Result<(FileKind, Vec<u8>), RewriteError> {
    let k = FileKind::of(name, bytes);
    let out = match k {
        FileKind::Manifest => rewrite_manifest(name, bytes, map)?.0,
        FileKind::ManifestList => rewrite_manifest_list(name, bytes, map, manifest_lengths)?.0,
        FileKind::MetadataJson => {
            if name.ends_with(".gz.metadata.json") {
                let text = gunzip(bytes, Path::new(name))?;
                gzip(&rewrite_metadata_json(name, &text, map)?, Path::new(name))?
            } else {
                rewrite_metadata_json(name, &String::from_utf8_lossy(bytes), map)?.into_bytes()
            }
        }
        FileKind::Other => bytes.to_vec(),
    };
    Ok((k, out))
}

/// A file a manifest list or manifest points at, with the size it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referenced {
    /// Its absolute path.
    pub path: String,
    /// Its size in bytes as recorded (`manifest_length`, `file_size_in_bytes`).
    pub size: u64,
    /// What it holds as recorded (`content`): in a manifest 0 for data, 1 for position
    /// deletes, 2 for equality deletes; in a manifest list 0 for data manifests, 1 for
    /// delete manifests. Format v1 files have no such field: 0.
    pub content: u8,
}

/// Collects (path, size, content) from the targets of a patch walk, changing nothing.
/// A record's fields come in schema order, which differs between the two kinds of file
/// (a manifest entry's `content` precedes its path; a manifest list's follows its
/// length), so each record is kept pending until the next one starts.
#[derive(Default)]
struct Collect {
    out: Vec<Referenced>,
    pending: Option<Referenced>,
    path: Option<String>,
    /// Manifest entries with status 2 (DELETED) name files that are no longer live.
    deleted: bool,
    /// The record's `content`, when it came before its path.
    content: u8,
}

impl Collect {
    fn flush(&mut self) {
        self.out.extend(self.pending.take());
    }
}

impl Patch for Collect {
    fn record(&mut self) {
        self.flush();
        self.path = None;
        self.deleted = false;
        self.content = 0;
    }
    fn string(&mut self, _: usize, v: &str) -> Option<String> {
        self.path = Some(v.to_string());
        None
    }
    fn long(&mut self, _: usize, v: i64) -> Option<i64> {
        if let Some(path) = self.path.take()
            && !self.deleted
        {
            self.pending = Some(Referenced {
                path,
                size: u64::try_from(v).unwrap_or(0),
                content: self.content,
            });
        }
        None
    }
    fn int(&mut self, target: usize, v: i64) {
        // Target 0 is a manifest's `status`; the only other int target is `content`.
        if target == 0 {
            self.deleted = v == 2;
            return;
        }
        self.content = u8::try_from(v).unwrap_or(u8::MAX);
        if let Some(p) = self.pending.as_mut() {
            p.content = self.content;
        }
    }
}

/// The manifests a manifest list names, or the live files (data and delete files, not
/// entries marked deleted) a manifest names, with their recorded sizes.
pub fn referenced(name: &str, bytes: &[u8]) -> Result<Vec<Referenced>, RewriteError> {
    let targets: &[&[&str]] = match FileKind::of(name, bytes) {
        FileKind::ManifestList => &[&["manifest_path"], &["manifest_length"], &["content"]],
        FileKind::Manifest => &[
            &["status"],
            &["data_file", "file_path"],
            &["data_file", "file_size_in_bytes"],
            &["data_file", "content"],
        ],
        _ => return Ok(vec![]),
    };
    let err = |source| RewriteError::Avro {
        file: name.to_string(),
        source,
    };
    let c = read_container(bytes).map_err(err)?;
    let mut p = Collect::default();
    for (count, data) in &c.blocks {
        patch_block(&c.schema, targets, data, *count, &mut p).map_err(err)?;
    }
    p.flush();
    Ok(p.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iceberg::avro::write_long;
    use crate::iceberg::fuzz::{container, string};

    const MANIFEST: &str = r#"{"type":"record","name":"manifest_entry","fields":[{"name":"status","type":"int"},{"name":"data_file","type":{"type":"record","name":"r2","fields":[{"name":"content","type":"int"},{"name":"file_path","type":"string"},{"name":"file_size_in_bytes","type":"long"}]}}]}"#;
    const LIST: &str = r#"{"type":"record","name":"manifest_file","fields":[{"name":"manifest_path","type":"string"},{"name":"manifest_length","type":"long"},{"name":"partition_spec_id","type":"int"},{"name":"content","type":"int"}]}"#;

    #[test]
    fn a_manifest_names_its_live_files_with_their_content() {
        let mut recs = Vec::new();
        // (status, content, path, size): added data, added position deletes, a deleted entry.
        for (status, content, path, size) in [
            (1, 0, "s3://a/t/data/0.parquet", 100),
            (1, 1, "s3://a/t/data/d.parquet", 20),
            (2, 0, "s3://a/t/data/gone.parquet", 7),
        ] {
            write_long(&mut recs, status);
            write_long(&mut recs, content);
            string(&mut recs, path);
            write_long(&mut recs, size);
        }
        let got = referenced("m.avro", &container(MANIFEST, 3, &recs)).expect("manifest");
        let seen: Vec<(&str, u64, u8)> = got
            .iter()
            .map(|r| (r.path.as_str(), r.size, r.content))
            .collect();
        assert_eq!(
            seen,
            [
                ("s3://a/t/data/0.parquet", 100, 0),
                ("s3://a/t/data/d.parquet", 20, 1)
            ]
        );
    }

    #[test]
    fn a_manifest_lists_content_follows_its_length_and_still_counts() {
        let mut recs = Vec::new();
        for (path, len, content) in [
            ("s3://a/t/metadata/d.avro", 10, 0),
            ("s3://a/t/metadata/x.avro", 11, 1),
        ] {
            string(&mut recs, path);
            write_long(&mut recs, len);
            write_long(&mut recs, 0);
            write_long(&mut recs, content);
        }
        let got = referenced("snap-1.avro", &container(LIST, 2, &recs)).expect("list");
        let seen: Vec<(u64, u8)> = got.iter().map(|r| (r.size, r.content)).collect();
        assert_eq!(seen, [(10, 0), (11, 1)]);
    }
}
