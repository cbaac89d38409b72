//! Replacing a table's data: the rows written as Parquet data files, a manifest of them,
//! a manifest marking every file of the current snapshot deleted, a manifest list, and
//! the snapshot (`overwrite`, or `append` for the first fill) with the updates and
//! requirements that commit it.
//!
//! Iceberg Rust 0.10 appends only (`Transaction::fast_append`) and keeps its commit
//! builder private, so forge produces the overwrite itself from the crate's public
//! writers (`DataFileWriter`, `ManifestWriter`, `ManifestListWriter`) and commits it
//! through the REST API as one atomic change: the new snapshot, the `main` branch moved
//! to it, the dataset's digest and the snapshot's id in the table's properties, and — when the dataset's
//! columns differ from the table's — the new schema.

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::spec::{
    DataContentType, DataFile, DataFileFormat, FormatVersion, MAIN_BRANCH, ManifestContentType,
    ManifestFile, ManifestListWriter, ManifestWriterBuilder, Operation, Schema, SchemaRef,
    Snapshot, SnapshotReference, SnapshotRetention, SnapshotSummaryCollector, Summary,
};
use iceberg::table::Table;
use iceberg::writer::base_writer::data_file_writer::DataFileWriterBuilder;
use iceberg::writer::file_writer::ParquetWriterBuilder;
use iceberg::writer::file_writer::location_generator::{
    DefaultFileNameGenerator, DefaultLocationGenerator,
};
use iceberg::writer::file_writer::rolling_writer::RollingFileWriterBuilder;
use iceberg::writer::{IcebergWriter, IcebergWriterBuilder};
use iceberg::{TableRequirement, TableUpdate};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use uuid::Uuid;

use super::columns::{self, Column};
use super::dataset::Rows;
use super::error::DataError;

/// A snapshot written and ready to commit.
#[derive(Debug)]
pub struct Prepared {
    /// Its id.
    pub snapshot_id: i64,
    /// The changes to commit (schema, snapshot, branch, properties).
    pub updates: Vec<TableUpdate>,
    /// What must still hold on the server (same table, `main` where it was).
    pub requirements: Vec<TableRequirement>,
    /// The data files written.
    pub data_files: usize,
}

/// Writes `rows` as the table's whole content and prepares the commit that makes it
/// current, setting `properties` on the table in the same commit, with the new
/// snapshot's id as [`SNAPSHOT`](super::check::SNAPSHOT).
pub async fn replace(
    table: &Table,
    dataset: &str,
    rows: &Rows,
    mut properties: HashMap<String, String>,
) -> Result<Prepared, DataError> {
    let meta = table.metadata();
    let cols = columns::columns(dataset, &rows.schema)?;
    let (schema, new_schema) = target_schema(table, &cols)?;
    let commit_uuid = Uuid::new_v4();
    let snapshot_id = snapshot_id(table);
    properties.insert(super::check::SNAPSHOT.to_string(), snapshot_id.to_string());
    let seq = meta.next_sequence_number();

    let written = write_data(table, dataset, rows, &schema, commit_uuid).await?;
    let removed = live_entries(table).await?;

    // The summary: what was added and removed, and the table's totals afterwards.
    let spec = meta.default_partition_spec().clone();
    let mut collector = SnapshotSummaryCollector::default();
    for f in &written {
        collector.add_file(f, schema.clone(), spec.clone());
    }
    for e in &removed {
        collector.remove_file(&e.file, schema.clone(), spec.clone());
    }
    let mut summary = collector.build();
    let sum = |f: fn(&DataFile) -> u64| written.iter().map(f).sum::<u64>().to_string();
    summary.insert("total-records".into(), sum(DataFile::record_count));
    summary.insert("total-files-size".into(), sum(DataFile::file_size_in_bytes));
    summary.insert("total-data-files".into(), written.len().to_string());
    for k in [
        "total-delete-files",
        "total-position-deletes",
        "total-equality-deletes",
    ] {
        summary.insert(k.into(), "0".into());
    }
    let operation = if meta.current_snapshot().is_some() {
        Operation::Overwrite
    } else {
        Operation::Append
    };

    // Manifests: the new files, then the old ones marked deleted (by content).
    let mut manifests = Vec::new();
    let mut writer = manifest_writer(
        table,
        &schema,
        snapshot_id,
        commit_uuid,
        0,
        ManifestContentType::Data,
    )?;
    for f in &written {
        writer
            .add_file(f.clone(), seq)
            .map_err(DataError::iceberg("list the new data files in a manifest"))?;
    }
    manifests.push(
        writer
            .write_manifest_file()
            .await
            .map_err(DataError::iceberg(
                "write the manifest of the new data files",
            ))?,
    );
    for (n, content) in [ManifestContentType::Data, ManifestContentType::Deletes]
        .into_iter()
        .enumerate()
    {
        let of_kind: Vec<&Removed> = removed.iter().filter(|e| e.content == content).collect();
        if of_kind.is_empty() {
            continue;
        }
        let mut writer = manifest_writer(table, &schema, snapshot_id, commit_uuid, n + 1, content)?;
        for e in of_kind {
            writer
                .add_delete_file(e.file.clone(), e.sequence_number, e.file_sequence_number)
                .map_err(DataError::iceberg("list the replaced files in a manifest"))?;
        }
        manifests.push(
            writer
                .write_manifest_file()
                .await
                .map_err(DataError::iceberg(
                    "write the manifest of the replaced files",
                ))?,
        );
    }
    let snapshot = manifest_list_and_snapshot(
        table,
        manifests,
        snapshot_id,
        commit_uuid,
        Summary {
            operation,
            additional_properties: summary,
        },
        schema.schema_id(),
    )
    .await?;

    let mut updates = Vec::new();
    if new_schema {
        updates.push(TableUpdate::AddSchema {
            schema: (*schema).clone(),
        });
        updates.push(TableUpdate::SetCurrentSchema { schema_id: -1 });
    }
    updates.push(TableUpdate::AddSnapshot { snapshot });
    updates.push(TableUpdate::SetSnapshotRef {
        ref_name: MAIN_BRANCH.to_string(),
        reference: SnapshotReference::new(snapshot_id, SnapshotRetention::branch(None, None, None)),
    });
    updates.push(TableUpdate::SetProperties {
        updates: properties,
    });
    let mut requirements = vec![
        TableRequirement::UuidMatch { uuid: meta.uuid() },
        TableRequirement::RefSnapshotIdMatch {
            r#ref: MAIN_BRANCH.to_string(),
            snapshot_id: meta.current_snapshot_id(),
        },
    ];
    if new_schema {
        requirements.push(TableRequirement::CurrentSchemaIdMatch {
            current_schema_id: meta.current_schema_id(),
        });
    }
    Ok(Prepared {
        snapshot_id,
        updates,
        requirements,
        data_files: written.len(),
    })
}

/// The schema to write with: the table's current one when it has the dataset's columns,
/// else a new one (next schema id, field ids after the table's last) — and whether it is new.
fn target_schema(table: &Table, cols: &[Column]) -> Result<(SchemaRef, bool), DataError> {
    let meta = table.metadata();
    if columns::matches(meta.current_schema(), cols) {
        return Ok((meta.current_schema().clone(), false));
    }
    let next_id = meta
        .schemas_iter()
        .map(|s| s.schema_id())
        .max()
        .unwrap_or(-1)
        + 1;
    let schema: Schema = columns::schema(cols, next_id, meta.last_column_id() + 1)?;
    Ok((Arc::new(schema), true))
}

/// A snapshot id not used by the table yet (positive, random).
fn snapshot_id(table: &Table) -> i64 {
    loop {
        let (a, b) = Uuid::new_v4().as_u64_pair();
        let id = ((a ^ b) >> 1) as i64;
        if table.metadata().snapshot_by_id(id).is_none() {
            return id;
        }
    }
}

/// Writes the rows as Parquet data files (zstd) under the table's data location.
async fn write_data(
    table: &Table,
    dataset: &str,
    rows: &Rows,
    schema: &SchemaRef,
    commit_uuid: Uuid,
) -> Result<Vec<DataFile>, DataError> {
    let batches = columns::fit(dataset, rows, schema)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let locations = DefaultLocationGenerator::new(table.metadata())
        .map_err(DataError::iceberg("find the table's data location"))?;
    let names = DefaultFileNameGenerator::new(
        format!("forge-{commit_uuid}"),
        None,
        DataFileFormat::Parquet,
    );
    let rolling = RollingFileWriterBuilder::new_with_default_file_size(
        ParquetWriterBuilder::new(props, schema.clone()),
        table.file_io().clone(),
        locations,
        names,
    );
    let mut writer = DataFileWriterBuilder::new(rolling)
        .build(None)
        .await
        .map_err(DataError::iceberg("open a data file"))?;
    for b in batches {
        writer
            .write(b)
            .await
            .map_err(DataError::iceberg("write a Parquet data file"))?;
    }
    writer
        .close()
        .await
        .map_err(DataError::iceberg("finish the Parquet data files"))
}

/// A file of the current snapshot, as the overwrite marks it deleted.
struct Removed {
    content: ManifestContentType,
    file: DataFile,
    sequence_number: i64,
    file_sequence_number: Option<i64>,
}

/// Every live file (data and deletes) of the current snapshot.
async fn live_entries(table: &Table) -> Result<Vec<Removed>, DataError> {
    let Some(current) = table.metadata().current_snapshot() else {
        return Ok(vec![]);
    };
    let list = table
        .manifest_list_reader(current)
        .load()
        .await
        .map_err(DataError::iceberg("read the current manifest list"))?;
    let mut out = Vec::new();
    for m in list.entries() {
        let manifest = m
            .load_manifest(table.file_io())
            .await
            .map_err(DataError::iceberg("read a current manifest"))?;
        for e in manifest.entries().iter().filter(|e| e.is_alive()) {
            out.push(Removed {
                content: match e.content_type() {
                    DataContentType::Data => ManifestContentType::Data,
                    _ => ManifestContentType::Deletes,
                },
                file: e.data_file().clone(),
                sequence_number: e.sequence_number().unwrap_or(m.sequence_number),
                file_sequence_number: e.file_sequence_number.or(Some(m.sequence_number)),
            });
        }
    }
    Ok(out)
}

/// A manifest writer for this commit's `n`-th manifest.
fn manifest_writer(
    table: &Table,
    schema: &SchemaRef,
    snapshot_id: i64,
    commit_uuid: Uuid,
    n: usize,
    content: ManifestContentType,
) -> Result<iceberg::spec::ManifestWriter, DataError> {
    let meta = table.metadata();
    let path = format!("{}/metadata/{commit_uuid}-m{n}.avro", meta.location());
    let output = table
        .file_io()
        .new_output(path)
        .map_err(DataError::iceberg("open a manifest"))?;
    let builder = ManifestWriterBuilder::new(
        output,
        Some(snapshot_id),
        schema.clone(),
        meta.default_partition_spec().as_ref().clone(),
    );
    Ok(match (meta.format_version(), content) {
        (FormatVersion::V1, _) => builder.build_v1(),
        (FormatVersion::V2, ManifestContentType::Data) => builder.build_v2_data(),
        (FormatVersion::V2, ManifestContentType::Deletes) => builder.build_v2_deletes(),
        (FormatVersion::V3, ManifestContentType::Data) => builder.build_v3_data(),
        (FormatVersion::V3, ManifestContentType::Deletes) => builder.build_v3_deletes(),
    })
}

/// Writes the manifest list and describes the snapshot that points to it.
async fn manifest_list_and_snapshot(
    table: &Table,
    manifests: Vec<ManifestFile>,
    snapshot_id: i64,
    commit_uuid: Uuid,
    summary: Summary,
    schema_id: i32,
) -> Result<Snapshot, DataError> {
    let meta = table.metadata();
    let path = format!(
        "{}/metadata/snap-{snapshot_id}-0-{commit_uuid}.avro",
        meta.location()
    );
    let out = table
        .file_io()
        .new_output(path.clone())
        .map_err(DataError::iceberg("open the manifest list"))?
        .writer()
        .await
        .map_err(DataError::iceberg("open the manifest list"))?;
    let parent = meta.current_snapshot_id();
    let seq = meta.next_sequence_number();
    let first_row_id = meta.next_row_id();
    let mut list = match meta.format_version() {
        FormatVersion::V1 => ManifestListWriter::v1(out, snapshot_id, parent),
        FormatVersion::V2 => ManifestListWriter::v2(out, snapshot_id, parent, seq),
        FormatVersion::V3 => {
            ManifestListWriter::v3(out, snapshot_id, parent, seq, Some(first_row_id))
        }
    };
    list.add_manifests(manifests.into_iter())
        .map_err(DataError::iceberg("list the manifests"))?;
    let next_row_id = list.next_row_id();
    list.close()
        .await
        .map_err(DataError::iceberg("write the manifest list"))?;
    let builder = Snapshot::builder()
        .with_manifest_list(path)
        .with_snapshot_id(snapshot_id)
        .with_parent_snapshot_id(parent)
        .with_sequence_number(seq)
        .with_summary(summary)
        .with_schema_id(schema_id)
        .with_timestamp_ms(chrono::Utc::now().timestamp_millis());
    Ok(match next_row_id {
        Some(next) => builder
            .with_row_range(first_row_id, next - first_row_id)
            .build(),
        None => builder.build(),
    })
}
