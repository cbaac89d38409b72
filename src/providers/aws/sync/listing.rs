//! Listing a location and diffing two listings into what to copy.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Location, SyncError};
use crate::providers::aws::error::classify;

/// What a listing found: relative key → size.
pub type Listing = BTreeMap<String, u64>;

/// What to copy: the result of [`diff`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CopyList {
    /// Relative keys and sizes to copy.
    pub copy: Vec<(String, u64)>,
    /// Objects already there with the same size.
    pub unchanged: usize,
    /// Bytes to copy.
    pub bytes: u64,
}

/// Lists every object under a location (paginated).
pub async fn list(loc: &Location) -> Result<Listing, SyncError> {
    let mut out = Listing::new();
    let mut token = None;
    loop {
        let mut req = loc
            .client
            .list_objects_v2()
            .bucket(&loc.bucket)
            .prefix(&loc.prefix)
            .max_keys(1000);
        if let Some(t) = token.take() {
            req = req.continuation_token(t);
        }
        let page = req.send().await.map_err(|e| {
            classify(e).into_error(
                format!("ListObjectsV2 s3://{}/{}", loc.bucket, loc.prefix),
                &loc.label,
            )
        })?;
        for o in page.contents() {
            if let Some(k) = o.key().and_then(|k| k.strip_prefix(loc.prefix.as_str())) {
                out.insert(k.to_string(), o.size().unwrap_or(0).max(0) as u64);
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// What is missing at the destination or has another size. `keep` can leave keys out
/// (e.g. metadata that is rewritten rather than copied).
pub fn diff(src: &Listing, dst: &Listing, keep: impl Fn(&str) -> bool) -> CopyList {
    let mut p = CopyList::default();
    for (k, size) in src.iter().filter(|(k, _)| keep(k)) {
        if dst.get(k) == Some(size) {
            p.unchanged += 1;
        } else {
            p.copy.push((k.clone(), *size));
            p.bytes += size;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_new_and_resized_objects_only() {
        let src: Listing = [
            ("a".to_string(), 1u64),
            ("b".into(), 2),
            ("c".into(), 3),
            ("metadata/x.json".into(), 9),
        ]
        .into();
        let dst: Listing = [("a".to_string(), 1u64), ("b".into(), 20)].into();
        let p = diff(&src, &dst, |k| !k.starts_with("metadata/"));
        assert_eq!(p.copy, vec![("b".to_string(), 2), ("c".to_string(), 3)]);
        assert_eq!(p.unchanged, 1);
        assert_eq!(p.bytes, 5);
    }
}
