//! The table to migrate, as its catalog reports it now: `loadTable` on the Iceberg REST
//! API gives the current metadata file (not a guess from the newest file in the bucket,
//! which is what the replaced tool did), the table's location, its current snapshot and
//! format version.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::provider::ProviderError;
use crate::providers::polaris::client::{Client, api_error, namespace_segment, segment};

/// A table's current state in the source catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The current metadata file (`s3://bucket/ns/t/metadata/00003-….metadata.json`).
    pub metadata_location: String,
    /// The table's location (`s3://bucket/ns/t`).
    pub location: String,
    /// The current snapshot (`None`: the table has no data yet).
    pub snapshot_id: Option<i64>,
    /// Iceberg format version (1, 2 or 3).
    pub format_version: u8,
}

impl Source {
    /// The metadata file's version (`3` for `00003-….metadata.json`), when its name has one.
    pub fn version(&self) -> Option<u64> {
        version_of(&self.metadata_location)
    }
}

/// The version number a metadata file's name starts with (`00003-…` or `v3.metadata.json`).
pub fn version_of(path: &str) -> Option<u64> {
    let name = path.rsplit('/').next()?;
    let digits: String = name
        .trim_start_matches('v')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Loads `namespace.table` of `catalog` (namespace levels dotted); `None` when the
/// catalog, namespace or table does not exist.
pub async fn load(
    c: &Client,
    catalog: &str,
    namespace: &str,
    table: &str,
) -> Result<Option<Source>, ProviderError> {
    let operation = format!("load table {namespace}.{table} of catalog {catalog}");
    let Some(prefix) = c.prefix(catalog).await? else {
        return Ok(None);
    };
    let levels: Vec<String> = namespace.split('.').map(str::to_string).collect();
    let path = format!(
        "/api/catalog/v1/{}/namespaces/{}/tables/{}",
        segment(&prefix),
        namespace_segment(&levels),
        segment(table)
    );
    let reply = c.call(Method::GET, &path, None, &operation).await?;
    match reply.status {
        200 => {}
        404 => return Ok(None),
        _ => return Err(api_error(&operation, &reply, None)),
    }
    let body = &reply.body;
    let md = &body["metadata"];
    let bad = |what: &str| ProviderError::Api {
        operation: operation.clone(),
        status: Some(200),
        code: None,
        message: format!("the catalog's answer has no {what}"),
        hint: None,
    };
    let metadata_location = body["metadata-location"]
        .as_str()
        .ok_or_else(|| bad("metadata-location"))?
        .to_string();
    let location = md["location"]
        .as_str()
        .ok_or_else(|| bad("table location"))?
        .trim_end_matches('/')
        .to_string();
    let format_version = md["format-version"]
        .as_u64()
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| bad("format-version"))?;
    // -1 is how format v1 writers say "no current snapshot".
    let snapshot_id = md["current-snapshot-id"].as_i64().filter(|s| *s >= 0);
    Ok(Some(Source {
        metadata_location,
        location,
        snapshot_id,
        format_version,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_versions_are_read_from_file_names() {
        assert_eq!(
            version_of("s3://b/ns/t/metadata/00012-1f2e.metadata.json"),
            Some(12)
        );
        assert_eq!(version_of("s3://b/t/metadata/v3.metadata.json"), Some(3));
        assert_eq!(version_of("s3://b/t/metadata/abc.metadata.json"), None);
    }
}
