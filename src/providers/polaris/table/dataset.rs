//! [`Dataset`]: where a table's rows come from — a dataset shipped inside forge
//! (`penguins`) or a user's CSV or Parquet file — with the SHA-256 of its bytes, and
//! [`Rows`]: the dataset read into Arrow record batches.
//!
//! The digest is taken when forge.yaml is expanded, so `plan` compares it with the
//! table's `forge.dataset-sha256` property without reading anything; `apply` reads the
//! bytes again and refuses a file that changed since the plan.
//!
//! CSV files have a header line; a column's type is inferred from its values (integers,
//! floats, booleans, dates, timestamps, else strings), and an empty field or `NA` is null.
//! Parquet files keep their own schema.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_csv::reader::{Format, ReaderBuilder};
use arrow_schema::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::DataError;

/// The Palmer Penguins CSV (CC0 data), from PyPI's `palmerpenguins` 0.1.6: see
/// `datasets/README.md`.
const PENGUINS_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/datasets/penguins.csv"
));

/// The built-in datasets, by the name forge.yaml gives them.
pub const BUILTIN: &[&str] = &["penguins"];

/// Rows read per Arrow batch.
const BATCH_ROWS: usize = 8192;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A dataset shipped inside forge, by name.
    Builtin(String),
    /// A CSV file with a header line (absolute path).
    Csv(PathBuf),
    /// A Parquet file (absolute path).
    Parquet(PathBuf),
}

/// A table's dataset as its spec records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// What forge.yaml says: a built-in name or the path as written.
    pub label: String,
    /// Where its bytes are.
    pub source: Source,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Why forge.yaml's `dataset:` cannot be used (reported as a config problem).
#[derive(Debug, thiserror::Error)]
pub enum DatasetProblem {
    /// Neither a built-in name nor a `.csv` / `.parquet` path.
    #[error(
        "`{0}` is neither a built-in dataset ({builtin}) nor a path ending in .csv or .parquet",
        builtin = BUILTIN.join(", ")
    )]
    Unknown(String),
    /// The file cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A dataset read into memory: its columns as the file has them, and its rows.
#[derive(Debug, Clone)]
pub struct Rows {
    /// Column names and Arrow types, without Iceberg field ids.
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// How many rows.
    pub count: u64,
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Dataset {
    /// Resolves forge.yaml's `dataset:` (relative paths against `work_dir`) and digests it.
    pub fn resolve(label: &str, work_dir: &Path) -> Result<Dataset, DatasetProblem> {
        let source = if BUILTIN.contains(&label) {
            Source::Builtin(label.to_string())
        } else {
            let path = work_dir.join(label);
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            match ext.as_deref() {
                Some("csv") => Source::Csv(path),
                Some("parquet") => Source::Parquet(path),
                _ => return Err(DatasetProblem::Unknown(label.to_string())),
            }
        };
        let bytes =
            read(&source).map_err(|(path, source)| DatasetProblem::Unreadable { path, source })?;
        Ok(Dataset {
            label: label.to_string(),
            sha256: digest(&bytes),
            source,
        })
    }

    /// Reads the rows, after checking that the bytes are still the ones planned.
    pub fn load(&self) -> Result<Rows, DataError> {
        let bytes = read(&self.source).map_err(|(_, e)| self.read_error(e))?;
        let now = digest(&bytes);
        if now != self.sha256 {
            return Err(DataError::Changed {
                dataset: self.label.clone(),
                now,
                planned: self.sha256.clone(),
            });
        }
        let (schema, batches) = match &self.source {
            Source::Builtin(_) => csv(&bytes, Some(penguins_schema()), Some(7)),
            Source::Csv(_) => csv(&bytes, None, None),
            Source::Parquet(_) => parquet_rows(bytes.into_owned()),
        }
        .map_err(|e| self.read_error(e))?;
        let count: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if count == 0 || schema.fields().is_empty() {
            return Err(DataError::Empty {
                dataset: self.label.clone(),
            });
        }
        Ok(Rows {
            schema,
            batches,
            count,
        })
    }

    fn read_error(&self, e: impl Into<crate::provider::Cause>) -> DataError {
        DataError::Read {
            dataset: self.label.clone(),
            source: e.into(),
        }
    }
}

/// The bytes of a source (a built-in one is in the binary).
fn read(source: &Source) -> Result<Cow<'static, [u8]>, (PathBuf, std::io::Error)> {
    match source {
        Source::Builtin(_) => Ok(Cow::Borrowed(PENGUINS_CSV.as_bytes())),
        Source::Csv(p) | Source::Parquet(p) => {
            std::fs::read(p).map(Cow::Owned).map_err(|e| (p.clone(), e))
        }
    }
}

/// The seed's `wildlife.penguins` columns and types, then the file's `year` (left out).
fn penguins_schema() -> SchemaRef {
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let num = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(ArrowSchema::new(vec![
        text("species"),
        text("island"),
        num("bill_length_mm"),
        num("bill_depth_mm"),
        num("flipper_length_mm"),
        num("body_mass_g"),
        text("sex"),
        Field::new("year", DataType::Int64, true),
    ]))
}

/// CSV with a header line: the given schema (and only its first `keep` columns), or one
/// inferred from the values. Empty fields and `NA` are null.
fn csv(
    bytes: &[u8],
    schema: Option<SchemaRef>,
    keep: Option<usize>,
) -> Result<(SchemaRef, Vec<RecordBatch>), crate::provider::Cause> {
    let format = Format::default()
        .with_header(true)
        .with_null_regex(regex::Regex::new("^(NA)?$")?);
    let schema = match schema {
        Some(s) => s,
        None => Arc::new(format.infer_schema(bytes, None)?.0),
    };
    let mut builder = ReaderBuilder::new(schema.clone())
        .with_format(format)
        .with_batch_size(BATCH_ROWS);
    let schema = match keep {
        Some(n) => {
            let projection: Vec<usize> = (0..n.min(schema.fields().len())).collect();
            builder = builder.with_projection(projection.clone());
            Arc::new(schema.project(&projection)?)
        }
        None => schema,
    };
    let batches = builder
        .build(std::io::Cursor::new(bytes))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// A Parquet file's own schema (field ids and metadata dropped) and rows.
fn parquet_rows(bytes: Vec<u8>) -> Result<(SchemaRef, Vec<RecordBatch>), crate::provider::Cause> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))?
        .with_batch_size(BATCH_ROWS)
        .build()?;
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    let plain =
        |f: &arrow_schema::FieldRef| Field::new(f.name(), f.data_type().clone(), f.is_nullable());
    let schema = match batches.first() {
        Some(b) => Arc::new(ArrowSchema::new(
            b.schema().fields().iter().map(plain).collect::<Vec<_>>(),
        )),
        None => Arc::new(ArrowSchema::empty()),
    };
    Ok((schema, batches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penguins_are_the_seeds_columns_with_every_row() {
        let d = Dataset::resolve("penguins", Path::new("/nowhere")).expect("built in");
        assert_eq!(d.source, Source::Builtin("penguins".into()));
        let rows = d.load().expect("rows");
        assert_eq!(rows.count, 344);
        let names: Vec<&str> = rows
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            [
                "species",
                "island",
                "bill_length_mm",
                "bill_depth_mm",
                "flipper_length_mm",
                "body_mass_g",
                "sex"
            ]
        );
        // `NA` is null: 2 penguins were not measured, 11 have no sex.
        let nulls = |col: usize| -> usize {
            rows.batches
                .iter()
                .map(|b| b.column(col).null_count())
                .sum()
        };
        assert_eq!(nulls(5), 2);
        assert_eq!(nulls(6), 11);
    }

    #[test]
    fn a_csv_file_is_typed_by_its_values_and_digested() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("f.csv"),
            "id,name,price,ripe\n1,apple,0.5,true\n2,,NA,false\n",
        )
        .expect("write");
        let d = Dataset::resolve("f.csv", dir.path()).expect("csv");
        let rows = d.load().expect("rows");
        assert_eq!(rows.count, 2);
        let types: Vec<&DataType> = rows.schema.fields().iter().map(|f| f.data_type()).collect();
        assert_eq!(
            types,
            [
                &DataType::Int64,
                &DataType::Utf8,
                &DataType::Float64,
                &DataType::Boolean
            ]
        );
        assert_eq!(rows.batches[0].column(1).null_count(), 1);
        assert_eq!(rows.batches[0].column(2).null_count(), 1);

        // A changed file is refused, not loaded silently.
        std::fs::write(dir.path().join("f.csv"), "id\n1\n").expect("write");
        assert!(matches!(d.load(), Err(DataError::Changed { .. })));
    }

    #[test]
    fn names_that_are_neither_built_in_nor_files_are_problems() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(matches!(
            Dataset::resolve("fruits", dir.path()),
            Err(DatasetProblem::Unknown(_))
        ));
        assert!(matches!(
            Dataset::resolve("missing.csv", dir.path()),
            Err(DatasetProblem::Unreadable { .. })
        ));
    }
}
