//! [`RewriteError`]: why a table's metadata could not be rewritten.

use std::path::PathBuf;

use super::avro::AvroError;

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
