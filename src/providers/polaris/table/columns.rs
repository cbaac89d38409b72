//! A dataset's columns as an Iceberg schema: Arrow types mapped to Iceberg's, field ids
//! assigned (or kept, when the table already has the same columns), and record batches
//! cast to the Arrow form of that schema (the field ids in each field's metadata, as
//! Iceberg's Parquet writer needs them).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Schema as ArrowSchema, SchemaRef};
use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};

use super::dataset::Rows;
use super::error::DataError;

/// One column: its name and Iceberg type (every column is optional).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Iceberg type.
    pub ty: PrimitiveType,
}

/// The Iceberg type of an Arrow one, if forge maps it.
fn iceberg_type(dt: &DataType) -> Option<PrimitiveType> {
    Some(match dt {
        DataType::Boolean => PrimitiveType::Boolean,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            PrimitiveType::Int
        }
        DataType::Int64 | DataType::UInt32 => PrimitiveType::Long,
        DataType::Float16 | DataType::Float32 => PrimitiveType::Float,
        DataType::Float64 => PrimitiveType::Double,
        DataType::Decimal128(p, s) if *s >= 0 => PrimitiveType::Decimal {
            precision: u32::from(*p),
            scale: u32::try_from(*s).ok()?,
        },
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => PrimitiveType::String,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => PrimitiveType::Binary,
        DataType::Date32 | DataType::Date64 => PrimitiveType::Date,
        DataType::Timestamp(_, None) => PrimitiveType::Timestamp,
        DataType::Timestamp(_, Some(_)) => PrimitiveType::Timestamptz,
        _ => return None,
    })
}

/// The columns of a dataset, or the first one forge cannot map.
pub fn columns(dataset: &str, schema: &ArrowSchema) -> Result<Vec<Column>, DataError> {
    schema
        .fields()
        .iter()
        .map(|f| {
            iceberg_type(f.data_type())
                .map(|ty| Column {
                    name: f.name().clone(),
                    ty,
                })
                .ok_or_else(|| DataError::UnsupportedType {
                    dataset: dataset.to_string(),
                    column: f.name().clone(),
                    arrow_type: f.data_type().to_string(),
                })
        })
        .collect()
}

/// Whether `schema` has exactly these columns, in this order, all optional.
pub fn matches(schema: &Schema, columns: &[Column]) -> bool {
    let fields = schema.as_struct().fields();
    fields.len() == columns.len()
        && fields.iter().zip(columns).all(|(f, c)| {
            !f.required && f.name == c.name && *f.field_type == Type::Primitive(c.ty.clone())
        })
}

/// A schema of these columns with id `schema_id`, field ids from `first_field_id` on.
pub fn schema(
    columns: &[Column],
    schema_id: i32,
    first_field_id: i32,
) -> Result<Schema, DataError> {
    let fields = columns.iter().zip(first_field_id..).map(|(c, id)| {
        Arc::new(NestedField::optional(
            id,
            &c.name,
            Type::Primitive(c.ty.clone()),
        ))
    });
    Schema::builder()
        .with_schema_id(schema_id)
        .with_fields(fields)
        .build()
        .map_err(DataError::iceberg("build the table schema"))
}

/// The rows cast to `schema`'s Arrow form (column by column, in order).
pub fn fit(dataset: &str, rows: &Rows, schema: &Schema) -> Result<Vec<RecordBatch>, DataError> {
    let target: SchemaRef = Arc::new(
        iceberg::arrow::schema_to_arrow_schema(schema)
            .map_err(DataError::iceberg("convert the table schema to Arrow"))?,
    );
    rows.batches
        .iter()
        .map(|b| {
            let cols = b
                .columns()
                .iter()
                .zip(target.fields())
                .map(|(c, f)| arrow_cast::cast(c, f.data_type()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DataError::Read {
                    dataset: dataset.to_string(),
                    source: e.into(),
                })?;
            RecordBatch::try_new(target.clone(), cols).map_err(|e| DataError::Read {
                dataset: dataset.to_string(),
                source: e.into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use arrow_schema::{Field, TimeUnit};

    use super::*;

    #[test]
    fn arrow_types_map_to_iceberg_and_the_rest_is_named() {
        let s = ArrowSchema::new(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Utf8View, true),
            Field::new(
                "c",
                DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                true,
            ),
            Field::new("d", DataType::Decimal128(10, 2), true),
        ]);
        let cols = columns("x", &s).expect("columns");
        let types: Vec<_> = cols.iter().map(|c| c.ty.clone()).collect();
        assert_eq!(
            types,
            [
                PrimitiveType::Int,
                PrimitiveType::String,
                PrimitiveType::Timestamptz,
                PrimitiveType::Decimal {
                    precision: 10,
                    scale: 2
                }
            ]
        );
        let bad = ArrowSchema::new(vec![Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        )]);
        let e = columns("x", &bad).expect_err("a list");
        assert!(e.to_string().contains("`tags`"), "{e}");
    }

    #[test]
    fn a_schema_matches_only_the_same_columns_in_order() {
        let cols = vec![
            Column {
                name: "id".into(),
                ty: PrimitiveType::Long,
            },
            Column {
                name: "name".into(),
                ty: PrimitiveType::String,
            },
        ];
        let s = schema(&cols, 0, 1).expect("schema");
        assert!(matches(&s, &cols));
        let mut other = cols.clone();
        other[1].ty = PrimitiveType::Binary;
        assert!(!matches(&s, &other));
        assert!(!matches(&s, &cols[..1]));
        let later = schema(&other, 3, 7).expect("schema");
        assert_eq!(later.highest_field_id(), 8);
        assert_eq!(later.schema_id(), 3);
    }
}
