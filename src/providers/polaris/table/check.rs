//! The check after a fill (what the seed's `verify-sql` did with DuckDB, here without
//! a query engine): the table is loaded again through the catalog, and its current
//! snapshot must be the one forge committed (and recorded), carry the dataset's digest, say in its
//! summary that it holds the dataset's row count, plan data files whose record counts add
//! up to it, and read back (a scan of every Parquet file) to exactly that many rows.

use futures::TryStreamExt;
use iceberg::table::Table;

use super::error::DataError;

/// The table property holding the dataset's SHA-256.
pub const DIGEST: &str = "forge.dataset-sha256";
/// The table property naming the dataset as forge.yaml does.
pub const DATASET: &str = "forge.dataset";
/// The table property holding the id of the snapshot forge wrote: a current snapshot
/// with another id means the data was changed outside forge.
pub const SNAPSHOT: &str = "forge.snapshot-id";

/// What the table must show after the fill.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The snapshot forge committed.
    pub snapshot_id: i64,
    /// The dataset's rows.
    pub rows: u64,
    /// The dataset's digest.
    pub sha256: &'a str,
}

/// Checks `table` (freshly loaded) against `expected`; the error says what differs.
pub async fn verify(table: &Table, expected: &Expected<'_>) -> Result<(), DataError> {
    let meta = table.metadata();
    let mismatch = |what: String| Err(DataError::Mismatch(what));
    let Some(current) = meta.current_snapshot() else {
        return mismatch("it has no current snapshot".into());
    };
    if current.snapshot_id() != expected.snapshot_id {
        return mismatch(format!(
            "its current snapshot is {}, not {} which forge committed",
            current.snapshot_id(),
            expected.snapshot_id
        ));
    }
    let digest = meta.properties().get(DIGEST).map(String::as_str);
    if digest != Some(expected.sha256) {
        return mismatch(format!(
            "its `{DIGEST}` is {}, not {}",
            digest.unwrap_or("not set"),
            expected.sha256
        ));
    }
    let ours = meta.properties().get(SNAPSHOT).map(String::as_str);
    if ours != Some(expected.snapshot_id.to_string().as_str()) {
        return mismatch(format!(
            "its `{SNAPSHOT}` is {}, not {}",
            ours.unwrap_or("not set"),
            expected.snapshot_id
        ));
    }
    let total = current
        .summary()
        .additional_properties
        .get("total-records")
        .and_then(|v| v.parse::<u64>().ok());
    if total != Some(expected.rows) {
        return mismatch(format!(
            "its snapshot summary counts {} rows, the dataset has {}",
            total.map_or("no".to_string(), |t| t.to_string()),
            expected.rows
        ));
    }
    let scan = table
        .scan()
        .select_all()
        .build()
        .map_err(DataError::iceberg("plan a scan of the table"))?;
    let tasks: Vec<_> = scan
        .plan_files()
        .await
        .map_err(DataError::iceberg("plan a scan of the table"))?
        .try_collect()
        .await
        .map_err(DataError::iceberg("plan a scan of the table"))?;
    let planned: u64 = tasks.iter().filter_map(|t| t.record_count).sum();
    if planned != expected.rows {
        return mismatch(format!(
            "its {} data files hold {planned} rows by their metadata, the dataset has {}",
            tasks.len(),
            expected.rows
        ));
    }
    let read: u64 = scan
        .to_arrow()
        .await
        .map_err(DataError::iceberg("read the table's data files"))?
        .try_fold(0u64, |n, b| async move { Ok(n + b.num_rows() as u64) })
        .await
        .map_err(DataError::iceberg("read the table's data files"))?;
    if read != expected.rows {
        return mismatch(format!(
            "reading its data files gives {read} rows, the dataset has {}",
            expected.rows
        ));
    }
    Ok(())
}
