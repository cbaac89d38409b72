//! [`rewrite_dir`]: a whole table's `metadata/` directory, in dependency order and on
//! every core.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::RewriteError;
use super::classify::{Kind, kind};
use super::io::{gunzip, gzip, read, write};
use super::manifest::{rewrite_manifest, rewrite_manifest_list};
use super::metadata::rewrite_metadata_json;
use super::parallel::par_map;
use super::paths::PathMap;

/// What a rewrite did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Manifests rewritten.
    pub manifests: usize,
    /// Manifest lists rewritten.
    pub manifest_lists: usize,
    /// metadata.json files rewritten.
    pub metadata_json: usize,
    /// Other files copied as they are.
    pub copied: usize,
    /// Manifest and manifest-list entries rewritten.
    pub entries: usize,
}

/// Rewrites `in_dir/metadata/*` into `out_dir/metadata/*` (same names): the table moves
/// from `map`'s source location to its destination. Manifests first (their new sizes
/// go into the manifest lists), then manifest lists, then metadata.json files, each
/// step on every core. Data files are not touched.
pub fn rewrite_dir(map: &PathMap, in_dir: &Path, out_dir: &Path) -> Result<Report, RewriteError> {
    let md_in = in_dir.join("metadata");
    let md_out = out_dir.join("metadata");
    std::fs::create_dir_all(&md_out).map_err(|source| RewriteError::Io {
        op: "create",
        path: md_out.clone(),
        source,
    })?;
    let mut names: Vec<String> = std::fs::read_dir(&md_in)
        .map_err(|source| RewriteError::Io {
            op: "list",
            path: md_in.clone(),
            source,
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let files: Vec<(String, Vec<u8>, Kind)> = par_map(
        &names,
        |_| 0,
        |n| {
            let bytes = read(&md_in.join(n))?;
            let k = kind(n, &bytes);
            Ok((n.clone(), bytes, k))
        },
    )?;
    let of = |k: Kind| files.iter().filter(move |f| f.2 == k).collect::<Vec<_>>();
    let mut report = Report::default();
    let manifests = par_map(
        &of(Kind::Manifest),
        |f| f.1.len(),
        |(name, bytes, _)| {
            let (out, entries) = rewrite_manifest(name, bytes, map)?;
            write(&md_out.join(name), &out)?;
            Ok((
                format!("{}/metadata/{name}", map.to()),
                out.len() as u64,
                entries,
            ))
        },
    )?;
    report.manifests = manifests.len();
    report.entries += manifests.iter().map(|m| m.2).sum::<usize>();
    let lengths: HashMap<String, u64> = manifests.into_iter().map(|(p, l, _)| (p, l)).collect();
    let lists = par_map(
        &of(Kind::List),
        |f| f.1.len(),
        |(name, bytes, _)| {
            let (out, entries) = rewrite_manifest_list(name, bytes, map, &lengths)?;
            write(&md_out.join(name), &out)?;
            Ok(entries)
        },
    )?;
    report.manifest_lists = lists.len();
    report.entries += lists.iter().sum::<usize>();
    for (name, bytes, _) in of(Kind::Other) {
        write(&md_out.join(name), bytes)?;
        report.copied += 1;
    }
    // metadata.json last: a reader that finds the new metadata finds everything it names.
    report.metadata_json = par_map(
        &of(Kind::Json),
        |f| f.1.len(),
        |(name, bytes, _)| {
            let gz = name.ends_with(".gz.metadata.json");
            let text = if gz {
                gunzip(bytes, &md_in.join(name))?
            } else {
                String::from_utf8_lossy(bytes).into_owned()
            };
            let out = rewrite_metadata_json(name, &text, map)?;
            let out = if gz {
                gzip(&out, &md_out.join(name))?
            } else {
                out.into_bytes()
            };
            write(&md_out.join(name), &out)
        },
    )?
    .len();
    Ok(report)
}
