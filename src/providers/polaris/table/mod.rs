//! `polaris_table`: a table created through the catalog's Iceberg REST API with its
//! dataset's columns and filled with its rows: Parquet data files and one commit of a
//! new snapshot, written with Apache Iceberg Rust using the catalog store's own keys.
//!
//! The dataset's digest is kept in the table's `forge.dataset-sha256` property, set in
//! the same commit as the data. Plan compares it with the digest of the dataset
//! forge.yaml names: equal is nothing to do; different (or missing) is an update that
//! replaces the table's data with a new snapshot (`overwrite`: the old files are no longer
//! in it). So does a current snapshot other than the one forge wrote (its id is kept in
//! `forge.snapshot-id`): the data was changed outside forge. A table that exists but is
//! not in state is imported, then filled if it does not hold the dataset. After every
//! fill the table is read back through the catalog
//! ([`check`]), and the apply fails if it does not hold the dataset. Delete drops the
//! table with its files (`purgeRequested`), or without them where the server refuses
//! to purge.
//!
//! One module per concern: [`dataset`] (sources and reading), [`columns`] (types and
//! schemas), [`storage`] (the store's FileIO), [`rest`] (catalog calls), [`snapshot`]
//! (the overwrite), [`check`] (the read-back), [`error`].

pub mod check;
pub mod columns;
pub mod dataset;
mod error;
#[cfg(test)]
mod fill_tests;
pub mod rest;
pub mod snapshot;
pub mod storage;

use std::collections::HashMap;

use async_trait::async_trait;
use iceberg::spec::TableMetadata;
use iceberg::table::Table;
use iceberg::{NamespaceIdent, Runtime, TableIdent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, api_error};
use super::common::{Reach, client, reach, unavailable_or};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
pub use dataset::Dataset;
pub use error::DataError;
use rest::TableRef;
pub use storage::TableStorage;

/// The `polaris_table` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisTable {
    clients: Clients,
}

impl PolarisTable {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// The namespace levels.
    pub namespace: Vec<String>,
    /// Table name.
    pub name: String,
    /// The dataset it is filled with, and its digest.
    pub dataset: Dataset,
    /// The catalog's store, where the data files are written.
    pub storage: TableStorage,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableState {
    /// Namespace levels.
    pub namespace: Vec<String>,
    /// Table name.
    pub name: String,
    /// The dataset it was last filled with (`forge.dataset`), if forge filled it.
    pub dataset: Option<String>,
    /// That dataset's digest (`forge.dataset-sha256`).
    pub dataset_sha256: Option<String>,
    /// The snapshot forge wrote (`forge.snapshot-id`); another current snapshot means
    /// the data was changed outside forge.
    #[serde(default)]
    pub filled_snapshot_id: Option<i64>,
    /// Where its files are.
    #[serde(default)]
    pub location: String,
    /// Its current snapshot.
    #[serde(default)]
    pub snapshot_id: Option<i64>,
    /// Rows in the current snapshot (its summary's `total-records`).
    #[serde(default)]
    pub rows: Option<u64>,
}

impl Kind for PolarisTable {
    const KIND: &'static str = "polaris_table";
    type Spec = TableSpec;
}

impl TableSpec {
    fn table<'a>(&'a self, prefix: &'a str) -> TableRef<'a> {
        TableRef {
            prefix,
            namespace: &self.namespace,
            name: &self.name,
        }
    }

    fn display(&self) -> String {
        format!("{}.{}", self.namespace.join("."), self.name)
    }
}

impl TableState {
    /// Whether forge last filled it with this dataset (same digest).
    fn holds(&self, dataset: &Dataset) -> bool {
        self.dataset_sha256.as_deref() == Some(dataset.sha256.as_str())
    }

    /// Whether its current snapshot is not the one forge wrote.
    fn changed_outside(&self) -> bool {
        self.snapshot_id != self.filled_snapshot_id
    }
}

/// The state a `LoadTableResult` describes.
fn state_of(spec: &TableSpec, body: &Value) -> TableState {
    let m = &body["metadata"];
    let prop = |k: &str| m["properties"][k].as_str().map(str::to_string);
    let snapshot_id = m["current-snapshot-id"].as_i64().filter(|id| *id >= 0);
    let rows = m["snapshots"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["snapshot-id"].as_i64() == snapshot_id)
        .and_then(|s| s["summary"]["total-records"].as_str())
        .and_then(|n| n.parse().ok());
    TableState {
        namespace: spec.namespace.clone(),
        name: spec.name.clone(),
        dataset: prop(check::DATASET),
        dataset_sha256: prop(check::DIGEST),
        filled_snapshot_id: prop(check::SNAPSHOT).and_then(|id| id.parse().ok()),
        location: m["location"].as_str().unwrap_or_default().to_string(),
        snapshot_id,
        rows,
    }
}

/// The Iceberg table a `LoadTableResult` describes, reading and writing through `io`.
fn iceberg_table(
    spec: &TableSpec,
    body: &Value,
    io: iceberg::io::FileIO,
) -> Result<Table, ProviderError> {
    let decode = |e: &dyn std::fmt::Display| ProviderError::Failed {
        what: format!("load table {}", spec.display()),
        reason: format!("the catalog's answer is not Iceberg table metadata: {e}"),
        hint: None,
    };
    let metadata: TableMetadata =
        serde_json::from_value(body["metadata"].clone()).map_err(|e| decode(&e))?;
    let ident = NamespaceIdent::from_vec(spec.namespace.clone())
        .map(|ns| TableIdent::new(ns, spec.name.clone()))
        .map_err(|e| decode(&e))?;
    let mut b = Table::builder()
        .metadata(metadata)
        .identifier(ident)
        .file_io(io)
        .runtime(Runtime::current());
    if let Some(loc) = body["metadata-location"].as_str() {
        b = b.metadata_location(loc);
    }
    b.build().map_err(|e| decode(&e))
}

impl PolarisTable {
    async fn get(c: &Client, spec: &TableSpec) -> Result<Option<TableState>, ProviderError> {
        let Some(prefix) = c.prefix(&spec.catalog).await? else {
            return Ok(None);
        };
        Ok(rest::load(c, spec.table(&prefix))
            .await?
            .map(|body| state_of(spec, &body)))
    }

    /// Replaces the table's data with the dataset, commits, and checks the result.
    async fn fill(
        ctx: &Ctx,
        c: &Client,
        spec: &TableSpec,
        t: TableRef<'_>,
        body: &Value,
        rows: &dataset::Rows,
    ) -> Result<Value, ProviderError> {
        let operation = format!("fill table {} with `{}`", t.display(), spec.dataset.label);
        let data = |e: DataError| ProviderError::Client {
            operation: operation.clone(),
            source: Box::new(e),
        };
        let io = spec.storage.file_io(&ctx.secrets)?;
        let table = iceberg_table(spec, body, io.clone())?;
        let properties = HashMap::from([
            (check::DATASET.to_string(), spec.dataset.label.clone()),
            (check::DIGEST.to_string(), spec.dataset.sha256.clone()),
        ]);
        let prepared = snapshot::replace(&table, &spec.dataset.label, rows, properties)
            .await
            .map_err(data)?;
        if let Err(reply) = rest::commit(c, t, &prepared.requirements, &prepared.updates).await? {
            // A retried commit whose first try went through is fine; anything else is
            // a change made by someone else since forge read the table.
            let now = rest::load(c, t).await?;
            let ours = now
                .as_ref()
                .and_then(|b| b["metadata"]["current-snapshot-id"].as_i64())
                == Some(prepared.snapshot_id);
            if !ours {
                return Err(api_error(
                    &operation,
                    &reply,
                    Some("the table changed while forge wrote it: run `forge apply` again".into()),
                ));
            }
        }
        let after = rest::load(c, t)
            .await?
            .ok_or_else(|| ProviderError::Failed {
                what: operation.clone(),
                reason: "the table is gone after the commit".into(),
                hint: None,
            })?;
        let expected = check::Expected {
            snapshot_id: prepared.snapshot_id,
            rows: rows.count,
            sha256: &spec.dataset.sha256,
        };
        check::verify(&iceberg_table(spec, &after, io)?, &expected)
            .await
            .map_err(|e| ProviderError::Failed {
                what: format!("the check of table {}", t.display()),
                reason: crate::render::error_chain(&e),
                hint: None,
            })?;
        Ok(after)
    }
}

#[async_trait]
impl Resource for PolarisTable {
    type State = TableState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        _: Option<&TableState>,
    ) -> Result<Observed<TableState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        Ok(match unavailable_or(Self::get(&c, spec).await)? {
            Ok(Some(s)) => Observed::Present(s),
            Ok(None) => Observed::Absent,
            Err(why) => Observed::Unavailable(why),
        })
    }

    fn plan(&self, spec: &TableSpec, current: Option<&TableState>) -> Planned {
        let mut reasons = vec![];
        let action = match current {
            None => Action::Create,
            Some(cur) if !cur.holds(&spec.dataset) => Action::Update,
            Some(cur) if cur.changed_outside() => {
                reasons.push(format!(
                    "its data was changed outside forge (current snapshot {}, forge wrote {})",
                    cur.snapshot_id.map_or("none".into(), |id| id.to_string()),
                    cur.filled_snapshot_id
                        .map_or("none".into(), |id| id.to_string())
                ));
                Action::Update
            }
            Some(_) => Action::NoOp,
        };
        Planned {
            action,
            after: json!({
                "namespace": spec.namespace,
                "name": spec.name,
                "dataset": spec.dataset.label,
                "dataset_sha256": spec.dataset.sha256,
            }),
            reasons,
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        _: Option<&TableState>,
        _: Action,
    ) -> Result<TableState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let prefix = c
            .prefix(&spec.catalog)
            .await?
            .ok_or_else(|| ProviderError::NotReady {
                what: format!("catalog {}", spec.catalog),
                reason: "it does not exist".into(),
            })?;
        let t = spec.table(&prefix);
        let dataset = spec.dataset.clone();
        let operation = format!("read dataset `{}`", dataset.label);
        let rows = tokio::task::spawn_blocking(move || dataset.load())
            .await
            .map_err(|e| ProviderError::Client {
                operation: operation.clone(),
                source: Box::new(e),
            })?
            .map_err(|e| ProviderError::Client {
                operation,
                source: Box::new(e),
            })?;
        // What is there now decides, not what state remembers: an interrupted earlier
        // run may have created or even filled it.
        let body = match rest::load(&c, t).await? {
            Some(b) => b,
            None => {
                let cols = columns::columns(&spec.dataset.label, &rows.schema).map_err(|e| {
                    ProviderError::Client {
                        operation: format!("create table {}", t.display()),
                        source: Box::new(e),
                    }
                })?;
                let schema = columns::schema(&cols, 0, 1).map_err(|e| ProviderError::Client {
                    operation: format!("create table {}", t.display()),
                    source: Box::new(e),
                })?;
                match rest::create(&c, t, &schema).await? {
                    Some(b) => b,
                    None => rest::load(&c, t)
                        .await?
                        .ok_or_else(|| ProviderError::Failed {
                            what: format!("create table {}", t.display()),
                            reason: "it exists, then it does not".into(),
                            hint: None,
                        })?,
                }
            }
        };
        let now = state_of(spec, &body);
        if now.holds(&spec.dataset) && !now.changed_outside() {
            return Ok(now);
        }
        let after = Self::fill(ctx, &c, spec, t, &body, &rows).await?;
        Ok(state_of(spec, &after))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        _: &TableState,
    ) -> Result<(), ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let Some(prefix) = c.prefix(&spec.catalog).await? else {
            return Ok(());
        };
        rest::drop(&c, spec.table(&prefix)).await
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::secret::SecretSpec;

    fn spec() -> TableSpec {
        TableSpec {
            polaris: Connection {
                url: "http://localhost:18181".into(),
                realm: "POLARIS".into(),
                client_id: "root".into(),
                client_secret: SecretSpec::Env("X".into()),
            },
            catalog: "polardb".into(),
            namespace: vec!["wildlife".into()],
            name: "penguins".into(),
            dataset: Dataset::resolve("penguins", Path::new("/")).expect("built in"),
            storage: TableStorage {
                endpoint: None,
                region: "us-east-1".into(),
                path_style: true,
                access_key: SecretSpec::Env("A".into()),
                secret_key: SecretSpec::Env("S".into()),
            },
        }
    }

    fn state(sha: Option<&str>) -> TableState {
        TableState {
            namespace: vec!["wildlife".into()],
            name: "penguins".into(),
            dataset: sha.map(|_| "penguins".into()),
            dataset_sha256: sha.map(str::to_string),
            filled_snapshot_id: Some(1),
            location: "s3://polardb/wildlife/penguins".into(),
            snapshot_id: Some(1),
            rows: Some(344),
        }
    }

    #[test]
    fn the_digest_decides_between_nothing_and_a_new_snapshot() {
        let k = PolarisTable::default();
        let s = spec();
        assert_eq!(k.plan(&s, None).action, Action::Create);
        assert_eq!(
            k.plan(&s, Some(&state(Some(&s.dataset.sha256)))).action,
            Action::NoOp
        );
        assert_eq!(k.plan(&s, Some(&state(Some("0ld")))).action, Action::Update);
        // A table forge never filled (made by hand, or a create interrupted before
        // its commit) is filled.
        assert_eq!(k.plan(&s, Some(&state(None))).action, Action::Update);
        // Written to by someone else since: filled again, and the plan says why.
        let mut hand = state(Some(&s.dataset.sha256));
        hand.snapshot_id = Some(2);
        let p = k.plan(&s, Some(&hand));
        assert_eq!(p.action, Action::Update);
        assert!(p.reasons[0].contains("changed outside forge"), "{p:?}");
    }

    #[test]
    fn state_comes_from_the_current_snapshot_and_forges_properties() {
        let body = json!({
            "metadata-location": "s3://b/t/metadata/2.json",
            "metadata": {
                "location": "s3://b/t",
                "current-snapshot-id": 7,
                "properties": {"forge.dataset": "penguins", "forge.dataset-sha256": "abc", "forge.snapshot-id": "7"},
                "snapshots": [
                    {"snapshot-id": 6, "summary": {"operation": "append", "total-records": "9"}},
                    {"snapshot-id": 7, "summary": {"operation": "overwrite", "total-records": "344"}}
                ]
            }
        });
        let s = state_of(&spec(), &body);
        assert_eq!(s.snapshot_id, Some(7));
        assert_eq!(s.rows, Some(344));
        assert_eq!(s.dataset_sha256.as_deref(), Some("abc"));
        assert!(!s.changed_outside());
        let empty = state_of(
            &spec(),
            &json!({"metadata": {"location": "s3://b/t", "current-snapshot-id": -1}}),
        );
        assert_eq!(
            (empty.snapshot_id, empty.rows, empty.dataset),
            (None, None, None)
        );
    }
}
