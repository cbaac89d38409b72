//! The rows of a query as text: a table (box-drawn, as DuckDB and DataFusion's CLI show
//! them), a JSON array of objects (`--json`), or CSV with a header line (`--csv`).

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::json::ArrayWriter;
use datafusion::arrow::util::pretty::pretty_format_batches;

use super::QueryError;

/// How `forge query` prints its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people.
    Table,
    /// `[{"column": value, ...}, ...]`.
    Json,
    /// CSV with a header line.
    Csv,
}

/// The rows in `format`, ending with a newline.
pub fn render(batches: &[RecordBatch], format: Format) -> Result<String, QueryError> {
    let mut out = match format {
        Format::Table => pretty_format_batches(batches)
            .map_err(QueryError::Format)?
            .to_string(),
        Format::Json => {
            let mut w = ArrayWriter::new(Vec::new());
            for b in batches {
                w.write(b).map_err(QueryError::Format)?;
            }
            w.finish().map_err(QueryError::Format)?;
            let bytes = w.into_inner();
            // No rows: arrow writes nothing at all, but an empty result is still an array.
            if bytes.is_empty() {
                "[]".into()
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            }
        }
        Format::Csv => {
            let mut bytes = Vec::new();
            {
                let mut w = WriterBuilder::new().with_header(true).build(&mut bytes);
                for b in batches {
                    w.write(b).map_err(QueryError::Format)?;
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("species", DataType::Utf8, true),
            Field::new("avg_g", DataType::Float64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("Adelie"), Some("Gentoo")])),
                Arc::new(Float64Array::from(vec![Some(3700.5), None])),
            ],
        )
        .expect("batch")
    }

    #[test]
    fn three_formats() {
        let b = [batch()];
        let table = render(&b, Format::Table).expect("table");
        assert!(table.contains("| species | avg_g  |"), "{table}");
        assert!(table.contains("| Adelie  | 3700.5 |"), "{table}");
        let json: serde_json::Value =
            serde_json::from_str(&render(&b, Format::Json).expect("json")).expect("valid");
        assert_eq!(
            json,
            serde_json::json!([{"species": "Adelie", "avg_g": 3700.5}, {"species": "Gentoo"}])
        );
        assert_eq!(
            render(&b, Format::Csv).expect("csv"),
            "species,avg_g\nAdelie,3700.5\nGentoo,\n"
        );
        assert_eq!(render(&[], Format::Json).expect("json"), "[]\n");
    }
}
