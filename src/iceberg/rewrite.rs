//! Rewriting a table's metadata from one location to another.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::avro::{AvroError, Patch, patch_block, read_container, read_meta, write_container};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    /// A file could not be read or written.
    #[error("cannot {op} `{path}`")]
    Io {
        /// What forge was doing.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An Avro file is not what Iceberg writes.
    #[error("cannot rewrite `{file}`")]
    Avro {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: AvroError,
    },
    /// A metadata.json is not valid JSON.
    #[error("`{file}` is not valid metadata JSON")]
    Json {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Paths outside the source location: the table cannot be moved as a whole.
    #[error("{} path(s) lie outside `{from}`, e.g. `{}`", paths.len(), paths.first().map(String::as_str).unwrap_or(""))]
    Outside {
        /// The source location.
        from: String,
        /// The paths.
        paths: Vec<String>,
    },
    /// The table has position-delete files, whose content names data files.
    #[error(
        "`{file}` lists position-delete files, which hold data-file paths inside their Parquet data; forge does not rewrite those: compact the table (rewrite_data_files) before moving it"
    )]
    PositionDeletes {
        /// The manifest.
        file: String,
    },
}

/// A location prefix mapping: paths under `from` move under `to`. `s3a://` and
/// `s3://` spellings of the same prefix are both recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMap {
    from: String,
    to: String,
    alias: Option<String>,
}

impl PathMap {
    /// Maps `from` to `to` (trailing slashes ignored).
    pub fn new(from: &str, to: &str) -> Self {
        let from = from.trim_end_matches('/').to_string();
        let alias = from
            .strip_prefix("s3://")
            .map(|r| format!("s3a://{r}"))
            .or_else(|| from.strip_prefix("s3a://").map(|r| format!("s3://{r}")));
        Self {
            to: to.trim_end_matches('/').to_string(),
            from,
            alias,
        }
    }

    /// The new path, or `None` if `path` is outside the source location.
    pub fn map(&self, path: &str) -> Option<String> {
        for prefix in std::iter::once(&self.from).chain(self.alias.as_ref()) {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Some(format!("{}{rest}", self.to));
            }
        }
        None
    }

    /// The source location.
    pub fn from(&self) -> &str {
        &self.from
    }
}

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

struct Paths<'a> {
    map: &'a PathMap,
    outside: Vec<String>,
}

impl Paths<'_> {
    fn rewrite(&mut self, p: &str) -> String {
        match self.map.map(p) {
            Some(n) => n,
            None => {
                if self.outside.len() < 10 {
                    self.outside.push(p.to_string());
                }
                p.to_string()
            }
        }
    }

    fn done(self) -> Result<(), RewriteError> {
        if self.outside.is_empty() {
            Ok(())
        } else {
            Err(RewriteError::Outside {
                from: self.map.from.clone(),
                paths: self.outside,
            })
        }
    }
}

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
        paths: Paths {
            map,
            outside: vec![],
        },
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
        paths: Paths {
            map,
            outside: vec![],
        },
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

/// Rewrites a table metadata JSON document: only its path fields change; formatting and
/// key order stay as they were.
pub fn rewrite_metadata_json(
    name: &str,
    text: &str,
    map: &PathMap,
) -> Result<String, RewriteError> {
    let mut paths = Paths {
        map,
        outside: vec![],
    };
    let out =
        super::json::rewrite_paths(text, |p| paths.rewrite(p)).map_err(|e| RewriteError::Json {
            file: name.to_string(),
            source: <serde_json::Error as serde::de::Error>::custom(format!(
                "invalid JSON at byte {}",
                e.0
            )),
        })?;
    paths.done()?;
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Manifest,
    List,
    Json,
    Other,
}

fn kind(name: &str, bytes: &[u8]) -> Kind {
    if name.ends_with(".metadata.json") {
        return Kind::Json;
    }
    if !name.ends_with(".avro") {
        return Kind::Other;
    }
    match read_meta(bytes) {
        Ok((meta, _)) => {
            let schema = meta
                .get("avro.schema")
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            if schema.contains("\"manifest_path\"") {
                Kind::List
            } else if schema.contains("\"data_file\"") {
                Kind::Manifest
            } else {
                Kind::Other
            }
        }
        Err(_) => Kind::Other,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, RewriteError> {
    std::fs::read(path).map_err(|source| RewriteError::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), RewriteError> {
    std::fs::write(path, bytes).map_err(|source| RewriteError::Io {
        op: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `f` over `items` on every core, keeping order; the first error wins. Workers
/// take the next item as they finish one, biggest first, so one large manifest does
/// not leave a core idle.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> usize,
    f: impl Fn(&T) -> Result<R, RewriteError> + Sync,
) -> Result<Vec<R>, RewriteError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&items[i])));
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, items.len().max(1));
    let results: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<Vec<(usize, R)>, RewriteError> {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(k) else {
                            return Ok(done);
                        };
                        done.push((i, f(&items[i])?));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut all: Vec<(usize, R)> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

fn gunzip(bytes: &[u8], path: &Path) -> Result<String, RewriteError> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut s).map_err(
        |source| RewriteError::Io {
            op: "gunzip",
            path: path.to_path_buf(),
            source,
        },
    )?;
    Ok(s)
}

fn gzip(text: &str, path: &Path) -> Result<Vec<u8>, RewriteError> {
    let io = |source| RewriteError::Io {
        op: "gzip",
        path: path.to_path_buf(),
        source,
    };
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, text.as_bytes()).map_err(io)?;
    enc.finish().map_err(io)
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
                format!("{}/metadata/{name}", map.to),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn path_map_keeps_boundaries_and_knows_s3a() {
        let m = PathMap::new("s3://lake/wh/db/t", "s3://cloud/db/t/");
        assert_eq!(
            m.map("s3://lake/wh/db/t/data/a.parquet").as_deref(),
            Some("s3://cloud/db/t/data/a.parquet")
        );
        assert_eq!(
            m.map("s3a://lake/wh/db/t/metadata/x.avro").as_deref(),
            Some("s3://cloud/db/t/metadata/x.avro")
        );
        assert_eq!(
            m.map("s3://lake/wh/db/t2/data/a.parquet"),
            None,
            "a sibling table is outside"
        );
        assert_eq!(
            m.map("s3://lake/wh/db/t").as_deref(),
            Some("s3://cloud/db/t")
        );
    }

    #[test]
    fn metadata_json_fields_are_rewritten_and_outside_paths_refused() {
        let text = r#"{"format-version":2,"location":"s3://a/t","metadata-log":[{"metadata-file":"s3://a/t/metadata/0.json","timestamp-ms":1}],
            "snapshots":[{"snapshot-id":1,"manifest-list":"s3://a/t/metadata/snap-1.avro"}],
            "statistics":[{"statistics-path":"s3://a/t/metadata/s.puffin"}],"properties":{"write.data.path":"s3://a/t/data","owner":"me"}}"#;
        let m = PathMap::new("s3://a/t", "s3://b/x");
        let out: Value =
            serde_json::from_str(&rewrite_metadata_json("m.json", text, &m).expect("rewrite"))
                .expect("json");
        assert_eq!(out["location"], "s3://b/x");
        assert_eq!(
            out["metadata-log"][0]["metadata-file"],
            "s3://b/x/metadata/0.json"
        );
        assert_eq!(
            out["snapshots"][0]["manifest-list"],
            "s3://b/x/metadata/snap-1.avro"
        );
        assert_eq!(
            out["statistics"][0]["statistics-path"],
            "s3://b/x/metadata/s.puffin"
        );
        assert_eq!(out["properties"]["write.data.path"], "s3://b/x/data");
        assert_eq!(out["properties"]["owner"], "me");
        let bad = text.replace("s3://a/t/metadata/s.puffin", "s3://elsewhere/s.puffin");
        assert!(matches!(
            rewrite_metadata_json("m.json", &bad, &m),
            Err(RewriteError::Outside { .. })
        ));
    }
}
