//! [`DataError`]: what can go wrong on a table's data path (reading the dataset, writing
//! Parquet and manifests, reading the table back), before it becomes a
//! [`ProviderError`](crate::provider::ProviderError) with the table's operation.

use crate::provider::Cause;

/// A failure on the data path of a `polaris_table`.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The dataset's file could not be read or parsed.
    #[error("cannot read dataset `{dataset}`")]
    Read {
        /// The dataset as forge.yaml names it.
        dataset: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// A column has a type no Iceberg column maps to.
    #[error(
        "column `{column}` of dataset `{dataset}` is {arrow_type}, which forge does not put in an Iceberg table (booleans, integers, floats, decimals, strings, binary, dates and timestamps are supported)"
    )]
    UnsupportedType {
        /// The dataset.
        dataset: String,
        /// The column.
        column: String,
        /// Its Arrow type, as text.
        arrow_type: String,
    },
    /// The dataset has no rows (or no columns).
    #[error("dataset `{dataset}` is empty: a table is filled with at least one row and one column")]
    Empty {
        /// The dataset.
        dataset: String,
    },
    /// The file is no longer what the plan saw.
    #[error(
        "dataset `{dataset}` changed since forge planned (sha256 {now}, the plan has {planned})"
    )]
    Changed {
        /// The dataset.
        dataset: String,
        /// Its digest now.
        now: String,
        /// The digest in the plan.
        planned: String,
    },
    /// An Iceberg operation (I/O, Parquet, Avro, metadata) failed.
    #[error("{operation} failed")]
    Iceberg {
        /// What forge was doing.
        operation: String,
        /// The library's error (boxed: it is large).
        #[source]
        source: Box<iceberg::Error>,
    },
    /// Reading the table back found something other than what was written.
    #[error("the table read back does not match the dataset: {0}")]
    Mismatch(String),
}

impl DataError {
    /// A constructor for `map_err`: an Iceberg failure while doing `operation`.
    pub fn iceberg(operation: impl Into<String>) -> impl FnOnce(iceberg::Error) -> DataError {
        let operation = operation.into();
        move |source| DataError::Iceberg {
            operation,
            source: Box::new(source),
        }
    }
}
