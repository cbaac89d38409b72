//! Which kind of Iceberg metadata file a file is: `*.metadata.json`, or an Avro manifest
//! or manifest list, told apart by their schema; anything else is copied as it is.

use super::avro::read_meta;

/// A metadata file's kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// A manifest (lists data files).
    Manifest,
    /// A manifest list (lists manifests).
    List,
    /// A table metadata JSON.
    Json,
    /// Anything else (statistics, version hints): copied unchanged.
    Other,
}

/// The kind of the file named `name` holding `bytes`.
pub(super) fn kind(name: &str, bytes: &[u8]) -> Kind {
    if name.ends_with(".metadata.json") {
        return Kind::Json;
    }
    if !name.ends_with(".avro") {
        return Kind::Other;
    }
    match read_meta(bytes) {
        Ok((meta, _)) => {
            let schema = meta
                .get("avro.schema")
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            if schema.contains("\"manifest_path\"") {
                Kind::List
            } else if schema.contains("\"data_file\"") {
                Kind::Manifest
            } else {
                Kind::Other
            }
        }
        Err(_) => Kind::Other,
    }
}
