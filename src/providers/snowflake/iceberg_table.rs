//! Iceberg tables registered from a metadata file on the external volume: the
//! operations a table's migration calls ([`describe`], [`register`], [`refresh`],
//! [`drop`]). They are not a kind of their own: `l2c_table` carries them out after the
//! copy passed its integrity check (see `providers::l2c::register`).
//!
//! Every statement runs as the table's least-privilege role (it owns what it registers,
//! and only the owner may refresh or drop), in the table's database and schema, with the
//! table's name fully qualified. Registering never uses `OR REPLACE` (that would drop the
//! table's grants and hide a name clash): an existing table registered from the same file
//! is adopted, any other is refused. A metadata file path is relative to the volume's
//! base URL (`ns/t/metadata/00003-....metadata.json`), as Snowflake takes it.
//!
//! Snowflake's refusals come back as `ProviderError::Api` whose `code` is Snowflake's
//! (see [`codes`]): a missing metadata or data file, a path outside the volume, an IAM
//! role Snowflake cannot assume, or a format version that changed
//! ([`codes::FORMAT_VERSION_CHANGED`]: register the table again).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Context, codes};
use super::common::{exact, name, run, run_if_exists, shown};
use super::sql::ObjectType;
use crate::provider::ProviderError;

/// Which table, where, and as whom: names as forge.yaml writes them (resolved as
/// Snowflake would, see [`super::names`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRef {
    /// The account.
    pub connection: Connection,
    /// Its database.
    pub database: String,
    /// Its schema.
    pub schema: String,
    /// The table.
    pub name: String,
    /// The least-privilege role that registers, owns and refreshes it.
    pub role: String,
    /// The external volume its files are on.
    pub external_volume: String,
    /// The catalog integration (`CATALOG_SOURCE = OBJECT_STORE`).
    pub catalog_integration: String,
}

/// A registered table, as Snowflake shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The role that owns it.
    pub owner: String,
    /// Its external volume.
    pub external_volume: String,
    /// Its catalog integration.
    pub catalog_integration: String,
    /// The metadata file it was last registered or refreshed from, as a full URL
    /// (`s3://bucket/ns/t/metadata/00003-....metadata.json`), from
    /// `SYSTEM$GET_ICEBERG_TABLE_INFORMATION`; `None` if Snowflake did not say.
    pub metadata_location: Option<String>,
}

impl Registered {
    /// Whether it was last registered or refreshed from `metadata_file_path` (relative to
    /// the volume's base URL).
    pub fn is_at(&self, metadata_file_path: &str) -> bool {
        let path = metadata_file_path.trim_start_matches('/');
        self.metadata_location.as_deref().is_some_and(|loc| {
            loc.split_once("://")
                .and_then(|(_, rest)| rest.split_once('/'))
                .is_some_and(|(_, key)| key == path)
        })
    }
}

/// The table's stored names: database, schema, table, role, volume, integration.
struct Stored {
    database: String,
    schema: String,
    name: String,
    role: String,
    volume: String,
    integration: String,
}

impl Stored {
    fn of(t: &TableRef) -> Result<Self, ProviderError> {
        Ok(Self {
            database: name(&t.database, "database")?,
            schema: name(&t.schema, "schema")?,
            name: name(&t.name, "table")?,
            role: name(&t.role, "role")?,
            volume: name(&t.external_volume, "external volume")?,
            integration: name(&t.catalog_integration, "catalog integration")?,
        })
    }

    fn cx(&self) -> Context<'_> {
        Context {
            role: &self.role,
            database: Some(&self.database),
            schema: Some(&self.schema),
        }
    }

    fn fq(&self) -> String {
        format!("{}.{}.{}", self.database, self.schema, self.name)
    }

    fn params(&self) -> Value {
        json!({"database": self.database, "schema": self.schema, "name": self.name})
    }
}

/// Whether the table exists (as its role sees it) and what it was registered from.
pub async fn describe(client: &Client, t: &TableRef) -> Result<Option<Registered>, ProviderError> {
    let s = Stored::of(t)?;
    let Some(rs) = run_if_exists(
        client,
        &s.cx(),
        "show_iceberg_tables",
        s.params(),
        &format!("read Iceberg table {}", s.fq()),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(row) = exact(&rs, &s.name) else {
        return Ok(None);
    };
    let mut found = Registered {
        owner: row.text("owner").to_string(),
        external_volume: row.text("external_volume_name").to_string(),
        catalog_integration: row.text("catalog_name").to_string(),
        metadata_location: None,
    };
    let info = run_if_exists(
        client,
        &s.cx(),
        "iceberg_table_information",
        s.params(),
        &format!("read the metadata location of Iceberg table {}", s.fq()),
    )
    .await?;
    if let Some(v) = info
        .as_ref()
        .and_then(|rs| rs.scalar())
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        found.metadata_location = v["metadataLocation"].as_str().map(str::to_string);
    }
    Ok(Some(found))
}

/// `CREATE ICEBERG TABLE ... METADATA_FILE_PATH = '<path>'` as the table's role. A table
/// already registered from the same file (an interrupted earlier run) is adopted; one
/// registered from another file is refused (refresh it instead).
pub async fn register(
    client: &Client,
    t: &TableRef,
    metadata_file_path: &str,
) -> Result<Registered, ProviderError> {
    let s = Stored::of(t)?;
    let operation = format!("register Iceberg table {}", s.fq());
    let mut params = s.params();
    params["external_volume"] = json!(s.volume);
    params["catalog_integration"] = json!(s.integration);
    params["metadata_file_path"] = json!(metadata_file_path);
    match run(client, &s.cx(), "create_iceberg_table", params, &operation).await {
        Ok(_) => {}
        Err(e) if e.code() == Some(codes::ALREADY_EXISTS) => {
            let there = describe(client, t).await?;
            match there {
                Some(r) if r.is_at(metadata_file_path) => return Ok(r),
                _ => {
                    return Err(ProviderError::Conflict {
                        message: format!(
                            "Iceberg table {} already exists{}; forge does not replace it",
                            s.fq(),
                            there
                                .and_then(|r| r.metadata_location)
                                .map(|l| format!(", registered from {l}"))
                                .unwrap_or_default()
                        ),
                        hint: Some("refresh it to the new metadata file, or drop it first".into()),
                    });
                }
            }
        }
        Err(e) => return Err(e.into()),
    }
    describe(client, t)
        .await?
        .ok_or_else(|| ProviderError::Failed {
            what: operation,
            reason: format!("role {} does not see it after registering it", s.role),
            hint: None,
        })
}

/// `ALTER ICEBERG TABLE ... REFRESH '<path>'` as the table's role (its owner).
pub async fn refresh(
    client: &Client,
    t: &TableRef,
    metadata_file_path: &str,
) -> Result<(), ProviderError> {
    let s = Stored::of(t)?;
    let mut params = s.params();
    params["metadata_file_path"] = json!(metadata_file_path);
    run(
        client,
        &s.cx(),
        "refresh_iceberg_table",
        params,
        &format!("refresh Iceberg table {} to {metadata_file_path}", s.fq()),
    )
    .await?;
    Ok(())
}

/// `DROP ICEBERG TABLE IF EXISTS` as the table's role; already gone (or its schema) is
/// fine. The files on the volume are not touched.
pub async fn drop(client: &Client, t: &TableRef) -> Result<(), ProviderError> {
    let s = Stored::of(t)?;
    super::common::drop(
        client,
        &s.role,
        ObjectType::IcebergTable,
        &[&s.database, &s.schema, &s.name],
        &format!("drop Iceberg table {}", s.fq()),
    )
    .await
}

/// The table's fully qualified name as Snowflake stores it (for plans and messages).
pub fn display_name(t: &TableRef) -> String {
    format!(
        "{}.{}.{}",
        shown(&t.database),
        shown(&t.schema),
        shown(&t.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_is_at_its_path_relative_to_the_volume() {
        let r = Registered {
            owner: "SA".into(),
            external_volume: "V".into(),
            catalog_integration: "C".into(),
            metadata_location: Some("s3://bkt/ns/t/metadata/00002-a.metadata.json".into()),
        };
        assert!(r.is_at("ns/t/metadata/00002-a.metadata.json"));
        assert!(r.is_at("/ns/t/metadata/00002-a.metadata.json"));
        assert!(!r.is_at("ns/t/metadata/00001-a.metadata.json"));
    }
}
