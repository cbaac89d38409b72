//! `forge iceberg rewrite-paths`.

use super::exit;
use super::{Error, RewritePathsArgs};
use crate::iceberg::{PathMap, rewrite_dir};

pub fn rewrite_paths(a: RewritePathsArgs) -> Result<i32, Error> {
    let start = std::time::Instant::now();
    let report = rewrite_dir(&PathMap::new(&a.from, &a.to), &a.input, &a.output)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"report": report, "seconds": start.elapsed().as_secs_f64()})
        );
    } else {
        println!(
            "Rewrote {} metadata.json, {} manifest list(s), {} manifest(s) ({} entries), copied {} other file(s) in {:.3}s.",
            report.metadata_json,
            report.manifest_lists,
            report.manifests,
            report.entries,
            report.copied,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(exit::OK)
}
