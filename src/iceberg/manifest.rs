//! Manifests and manifest lists: Avro files patched record by record (see
//! [`super::avro`]), only their path fields and `manifest_length` re-encoded.

use std::collections::HashMap;

use super::RewriteError;
use super::avro::{AvroError, Patch, patch_block, read_container, write_container};
use super::paths::{PathMap, Paths};

struct ManifestPatch<'a> {
    paths: Paths<'a>,
    entries: usize,
    position_deletes: bool,
}

impl Patch for ManifestPatch<'_> {
    fn string(&mut self, id: usize, v: &str) -> Option<String> {
        if id == 1 {
            self.entries += 1;
        }
        Some(self.paths.rewrite(v))
    }
    fn long(&mut self, _: usize, _: i64) -> Option<i64> {
        None
    }
    fn int(&mut self, _: usize, content: i64) {
        // data_file.content: 1 = position deletes.
        self.position_deletes |= content == 1;
    }
}

const MANIFEST_TARGETS: &[&[&str]] = &[
    &["data_file", "content"],
    &["data_file", "file_path"],
    &["data_file", "referenced_data_file"],
];
const LIST_TARGETS: &[&[&str]] = &[&["manifest_path"], &["manifest_length"]];

fn avro_err(file: &str) -> impl Fn(AvroError) -> RewriteError + '_ {
    move |source| RewriteError::Avro {
        file: file.to_string(),
        source,
    }
}

/// Rewrites a manifest; returns the new bytes and how many entries it holds.
pub fn rewrite_manifest(
    name: &str,
    bytes: &[u8],
    map: &PathMap,
) -> Result<(Vec<u8>, usize), RewriteError> {
    let c = read_container(bytes).map_err(avro_err(name))?;
    let mut p = ManifestPatch {
        paths: Paths::new(map),
        entries: 0,
        position_deletes: false,
    };
    let mut blocks = Vec::with_capacity(c.blocks.len());
    for (count, data) in &c.blocks {
        blocks.push((
            *count,
            patch_block(&c.schema, MANIFEST_TARGETS, data, *count, &mut p)
                .map_err(avro_err(name))?,
        ));
    }
    if p.position_deletes {
        return Err(RewriteError::PositionDeletes {
            file: name.to_string(),
        });
    }
    let entries = p.entries;
    p.paths.done()?;
    Ok((
        write_container(&c.header, &c.sync, c.codec, &blocks).map_err(avro_err(name))?,
        entries,
    ))
}

struct ListPatch<'a> {
    paths: Paths<'a>,
    lengths: &'a HashMap<String, u64>,
    current: Option<String>,
    entries: usize,
}

impl Patch for ListPatch<'_> {
    fn record(&mut self) {
        self.current = None;
    }
    fn string(&mut self, _: usize, v: &str) -> Option<String> {
        self.entries += 1;
        let new = self.paths.rewrite(v);
        self.current = Some(new.clone());
        Some(new)
    }
    fn long(&mut self, _: usize, v: i64) -> Option<i64> {
        let new = self
            .current
            .as_ref()
            .and_then(|p| self.lengths.get(p))
            .map(|l| *l as i64);
        new.filter(|n| *n != v)
    }
    fn int(&mut self, _: usize, _: i64) {}
}

/// Rewrites a manifest list; `lengths` gives the new size of each rewritten manifest
/// (by its new path), so `manifest_length` stays true.
pub fn rewrite_manifest_list(
    name: &str,
    bytes: &[u8],
    map: &PathMap,
    lengths: &HashMap<String, u64>,
) -> Result<(Vec<u8>, usize), RewriteError> {
    let c = read_container(bytes).map_err(avro_err(name))?;
    let mut p = ListPatch {
        paths: Paths::new(map),
        lengths,
        current: None,
        entries: 0,
    };
    let mut blocks = Vec::with_capacity(c.blocks.len());
    for (count, data) in &c.blocks {
        blocks.push((
            *count,
            patch_block(&c.schema, LIST_TARGETS, data, *count, &mut p).map_err(avro_err(name))?,
        ));
    }
    let entries = p.entries;
    p.paths.done()?;
    Ok((
        write_container(&c.header, &c.sync, c.codec, &blocks).map_err(avro_err(name))?,
        entries,
    ))
}
