//! `metadata.json` files: only their path fields change; formatting and key order stay.

use super::RewriteError;
use super::paths::{PathMap, Paths};

/// Rewrites a table metadata JSON document: only its path fields change; formatting and
/// key order stay as they were.
pub fn rewrite_metadata_json(
    name: &str,
    text: &str,
    map: &PathMap,
) -> Result<String, RewriteError> {
    let mut paths = Paths::new(map);
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
