//! Avro schemas, parsed from the JSON in `avro.schema`, with named types resolved.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::AvroError;

/// A schema, as far as walking binary data needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    /// `null`.
    Null,
    /// `boolean`.
    Boolean,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `bytes`.
    Bytes,
    /// `string`.
    String,
    /// A record and its fields, in order.
    Record(Arc<Vec<(String, Schema)>>),
    /// An enum (encoded as an int).
    Enum,
    /// An array of items.
    Array(Box<Schema>),
    /// A map of string keys to values.
    Map(Box<Schema>),
    /// A union of branches.
    Union(Vec<Schema>),
    /// A fixed-size value.
    Fixed(usize),
}

impl Schema {
    /// Parses `avro.schema` JSON.
    pub fn parse(json: &[u8]) -> Result<Self, AvroError> {
        let v: Value =
            serde_json::from_slice(json).map_err(|e| AvroError::Schema(e.to_string()))?;
        let mut named = HashMap::new();
        parse(&v, None, &mut named)
    }

    /// The fields of a record schema.
    pub fn fields(&self) -> Option<&[(String, Schema)]> {
        match self {
            Schema::Record(f) => Some(f),
            _ => None,
        }
    }
}

fn fullname(name: &str, ns: Option<&str>) -> String {
    match ns {
        Some(n) if !name.contains('.') && !n.is_empty() => format!("{n}.{name}"),
        _ => name.to_string(),
    }
}

fn parse(
    v: &Value,
    ns: Option<&str>,
    named: &mut HashMap<String, Schema>,
) -> Result<Schema, AvroError> {
    match v {
        Value::String(s) => primitive(s).map(Ok).unwrap_or_else(|| {
            named
                .get(&fullname(s, ns))
                .or_else(|| named.get(s.as_str()))
                .cloned()
                .ok_or_else(|| AvroError::Schema(format!("unknown type `{s}`")))
        }),
        Value::Array(branches) => Ok(Schema::Union(
            branches
                .iter()
                .map(|b| parse(b, ns, named))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(o) => {
            let ty = o
                .get("type")
                .ok_or_else(|| AvroError::Schema("a schema object without `type`".into()))?;
            let name = o.get("name").and_then(Value::as_str);
            let own_ns = o.get("namespace").and_then(Value::as_str).or(ns);
            match ty.as_str() {
                Some("record") | Some("error") => {
                    let mut fields = Vec::new();
                    let full = name.map(|n| fullname(n, own_ns));
                    for f in o
                        .get("fields")
                        .and_then(Value::as_array)
                        .ok_or_else(|| AvroError::Schema("a record without `fields`".into()))?
                    {
                        let fname = f
                            .get("name")
                            .and_then(Value::as_str)
                            .ok_or_else(|| AvroError::Schema("a field without `name`".into()))?;
                        let fty = f.get("type").ok_or_else(|| {
                            AvroError::Schema(format!("field `{fname}` without `type`"))
                        })?;
                        fields.push((fname.to_string(), parse(fty, own_ns, named)?));
                    }
                    let s = Schema::Record(Arc::new(fields));
                    if let Some(full) = full {
                        named.insert(full, s.clone());
                    }
                    Ok(s)
                }
                Some("enum") => {
                    if let Some(n) = name {
                        named.insert(fullname(n, own_ns), Schema::Enum);
                    }
                    Ok(Schema::Enum)
                }
                Some("fixed") => {
                    let size = o
                        .get("size")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| AvroError::Schema("fixed without `size`".into()))?
                        as usize;
                    if let Some(n) = name {
                        named.insert(fullname(n, own_ns), Schema::Fixed(size));
                    }
                    Ok(Schema::Fixed(size))
                }
                Some("array") => Ok(Schema::Array(Box::new(parse(
                    o.get("items")
                        .ok_or_else(|| AvroError::Schema("array without `items`".into()))?,
                    own_ns,
                    named,
                )?))),
                Some("map") => Ok(Schema::Map(Box::new(parse(
                    o.get("values")
                        .ok_or_else(|| AvroError::Schema("map without `values`".into()))?,
                    own_ns,
                    named,
                )?))),
                // `{"type": "long", "logicalType": ...}` and friends.
                _ => parse(ty, own_ns, named),
            }
        }
        _ => Err(AvroError::Schema(format!("unexpected schema `{v}`"))),
    }
}

fn primitive(s: &str) -> Option<Schema> {
    Some(match s {
        "null" => Schema::Null,
        "boolean" => Schema::Boolean,
        "int" => Schema::Int,
        "long" => Schema::Long,
        "float" => Schema::Float,
        "double" => Schema::Double,
        "bytes" => Schema::Bytes,
        "string" => Schema::String,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_types_and_logical_types() {
        let s = Schema::parse(
            br#"{"type":"record","name":"manifest_entry","fields":[
            {"name":"status","type":"int"},
            {"name":"data_file","type":{"type":"record","name":"r2","fields":[
                {"name":"file_path","type":"string"},
                {"name":"partition","type":{"type":"record","name":"r102","fields":[]}},
                {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
                {"name":"ref","type":["null","string"]}]}},
            {"name":"again","type":["null","r2"]}]}"#,
        )
        .expect("schema");
        let fields = s.fields().expect("record");
        assert_eq!(fields[0].1, Schema::Int);
        let df = fields[1].1.fields().expect("data_file");
        assert_eq!(df[2].1, Schema::Long);
        assert_eq!(df[3].1, Schema::Union(vec![Schema::Null, Schema::String]));
        assert!(matches!(&fields[2].1, Schema::Union(b) if matches!(b[1], Schema::Record(_))));
    }
}
