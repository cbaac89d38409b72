//! What a statement returned: the columns of `resultSetMetaData.rowType` and every row of
//! every partition, each value a string (jsonv2) or `None` for SQL NULL.

use serde_json::Value;

/// A statement's result, all partitions joined.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    /// The statement handle.
    pub handle: String,
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Option<String>>>,
    /// Snowflake's message (`Statement executed successfully.`).
    pub message: String,
}

impl ResultSet {
    /// Columns, handle, message and the first partition's rows of a 200 body; the
    /// number of partitions.
    pub fn first(body: &Value) -> (Self, usize) {
        let meta = &body["resultSetMetaData"];
        let columns = meta["rowType"]
            .as_array()
            .map(|cols| {
                cols.iter()
                    .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let partitions = meta["partitionInfo"]
            .as_array()
            .map_or(1, |p| p.len().max(1));
        (
            Self {
                handle: body["statementHandle"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                columns,
                rows: data(body),
                message: body["message"].as_str().unwrap_or_default().to_string(),
            },
            partitions,
        )
    }

    /// The rows as records that find values by column name.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.rows.iter().map(move |row| Record { set: self, row })
    }

    /// The first value of the first row (what a `SELECT f(...)` returns).
    pub fn scalar(&self) -> Option<&str> {
        self.rows.first()?.first()?.as_deref()
    }
}

/// One row of a [`ResultSet`].
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    set: &'a ResultSet,
    row: &'a [Option<String>],
}

impl<'a> Record<'a> {
    /// The value of column `name` (case-insensitive); `None` for NULL or no such column.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let i = self
            .set
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))?;
        self.row.get(i)?.as_deref()
    }

    /// As [`get`](Self::get), `""` when absent.
    pub fn text(&self, name: &str) -> &'a str {
        self.get(name).unwrap_or_default()
    }
}

/// The `data` rows of a body (a first or a later partition).
pub fn data(body: &Value) -> Vec<Vec<Option<String>>> {
    body["data"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .map(|cells| {
                            cells
                                .iter()
                                .map(|c| match c {
                                    Value::Null => None,
                                    Value::String(s) => Some(s.clone()),
                                    other => Some(other.to_string()),
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_are_read_by_column_name() {
        let body = json!({
            "statementHandle": "h", "message": "ok",
            "resultSetMetaData": {"rowType": [{"name": "name"}, {"name": "owner"}],
                                  "partitionInfo": [{}, {}, {}]},
            "data": [["A", null], ["B", "R"]],
        });
        let (rs, parts) = ResultSet::first(&body);
        assert_eq!(parts, 3);
        let recs: Vec<_> = rs.records().collect();
        assert_eq!(recs[0].get("NAME"), Some("A"));
        assert_eq!(recs[0].get("owner"), None);
        assert_eq!(recs[1].text("owner"), "R");
        assert_eq!(recs[1].text("nope"), "");
        assert_eq!(rs.scalar(), Some("A"));
    }
}
