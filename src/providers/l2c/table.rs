//! `l2c_table`: one Iceberg table migrated from the local lakehouse to the L2C bucket —
//! its files copied (smart sync), its metadata rewritten for the new location, the copy
//! checked for completeness.
//!
//! `read` asks the catalog for the table's current metadata and compares both sides, so
//! `plan` (pure) can say what a sync would do: objects and bytes to copy, metadata files
//! to rewrite, the snapshot and metadata version it moves to. The resource is always
//! read as present while its source exists: "not migrated yet" is a create of a table
//! that is there to be read, and a table dropped from the catalog after it was migrated
//! plans as a removal of its copy.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::integrity;
use super::migrate::{self, MigrateError, Rewritten, Work};
use super::register::{self, Step};
use super::source::{self, Source};
use crate::iceberg::PathMap;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
use crate::providers::aws::StoreSpec;
use crate::providers::aws::client::{ClientError, Clients};
use crate::providers::aws::sync::{self, Location, Options};
use crate::providers::polaris;
use crate::providers::polaris::common::{Reach, reach, unavailable_or};
use crate::providers::snowflake;
use crate::providers::snowflake::{Registered, TableRef};

/// The `l2c_table` kind.
#[derive(Debug, Clone, Default)]
pub struct L2cTable {
    stores: Clients,
    polaris: polaris::client::Clients,
    snowflake: snowflake::client::Clients,
}

impl L2cTable {
    /// The kind, sharing the Polaris and Snowflake clients with their kinds.
    pub fn new(polaris: polaris::client::Clients, snowflake: snowflake::client::Clients) -> Self {
        Self {
            stores: Clients::default(),
            polaris,
            snowflake,
        }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The catalog server the table is read from.
    pub polaris: polaris::Connection,
    /// The Polaris catalog holding the table.
    pub catalog: String,
    /// Its namespace (dotted).
    pub namespace: String,
    /// Its name.
    pub table: String,
    /// Where the table is now (the catalog's bucket on the local store).
    pub source: Side,
    /// Where it goes (the L2C bucket).
    pub target: Side,
    /// The Snowflake table registered from the copy (`l2c.snowflake`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snowflake: Option<TableRef>,
}

/// One end of a migration: a bucket on a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Bucket.
    pub bucket: String,
    /// The store; `None` when forge.yaml declares none (the table cannot be read then).
    pub store: Option<StoreSpec>,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableState {
    /// The table in its catalog now (`None`: the catalog has no such table).
    pub source: Option<Source>,
    /// The copy at the destination, as forge made it (`None`: not migrated, or its
    /// metadata is gone from the bucket).
    pub synced: Option<Synced>,
    /// What a sync would do now.
    pub pending: Pending,
    /// Rewritten metadata copies at the destination, by path relative to the table's
    /// location: kept while their source is unchanged.
    #[serde(default)]
    pub rewritten: BTreeMap<String, Rewritten>,
    /// The Snowflake table as Snowflake shows it (with `l2c.snowflake`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<Registered>,
}

/// A migrated copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    /// The source metadata file it was made from.
    pub from: String,
    /// Its metadata file, relative to the bucket (what Snowflake's
    /// `METADATA_FILE_PATH` and `REFRESH` take).
    pub metadata_file_path: String,
    /// The table's location at the destination.
    pub location: String,
    /// Its current snapshot.
    pub snapshot_id: Option<i64>,
    /// Its format version.
    pub format_version: u8,
    /// Files the integrity check found in place for the current snapshot.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Work a sync would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Data files to copy.
    pub objects: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Metadata files to rewrite.
    pub rewrite: usize,
}

impl Pending {
    fn of(w: &Work) -> Self {
        Self {
            objects: w.data.copy.len(),
            bytes: w.data.bytes,
            rewrite: w.rewrite.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.objects == 0 && self.rewrite == 0
    }
}

impl Kind for L2cTable {
    const KIND: &'static str = "l2c_table";
    type Spec = TableSpec;
}

/// `s3://bucket/key` (or `s3a://`) → (bucket, key without trailing `/`).
pub(super) fn split_s3(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("s3://")
        .or_else(|| url.strip_prefix("s3a://"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, key.trim_end_matches('/')))
}

/// The table's key prefix in its bucket, from its location.
fn table_prefix(source: &Source) -> Result<String, ProviderError> {
    split_s3(&source.location)
        .map(|(_, key)| key.to_string())
        .ok_or_else(|| ProviderError::Conflict {
            message: format!(
                "the table's location `{}` is not an S3 location",
                source.location
            ),
            hint: Some("only tables stored on S3-compatible stores can be migrated".into()),
        })
}

/// Where the copy lives: `s3://<target bucket>/<prefix>`.
fn target_location(spec: &TableSpec, prefix: &str) -> String {
    format!("s3://{}/{prefix}", spec.target.bucket)
}

/// A short snapshot id for plans: its first ten digits.
fn short(id: Option<i64>) -> String {
    match id {
        None => "none".into(),
        Some(i) => {
            let s = i.to_string();
            if s.len() > 10 {
                format!("{}…", &s[..10])
            } else {
                s
            }
        }
    }
}

fn version(path: &str) -> String {
    source::version_of(path).map_or_else(|| "?".into(), |v| format!("v{v}"))
}

/// `12 objects (3.4 MiB), rewrite 3 metadata files`.
fn work_words(p: &Pending) -> String {
    let mut parts = Vec::new();
    if p.objects > 0 {
        parts.push(format!(
            "copy {} object{} ({})",
            p.objects,
            if p.objects == 1 { "" } else { "s" },
            bytes_words(p.bytes)
        ));
    }
    if p.rewrite > 0 {
        parts.push(format!(
            "rewrite {} metadata file{}",
            p.rewrite,
            if p.rewrite == 1 { "" } else { "s" }
        ));
    }
    if parts.is_empty() {
        "nothing to copy".into()
    } else {
        parts.join(", ")
    }
}

/// Bytes for people (binary units, one decimal).
pub fn bytes_words(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// What Snowflake will show after the table's apply: its registration at the copy's
/// metadata file (`None` without `l2c.snowflake` or without a source).
fn registered_after(spec: &TableSpec, cur: Option<&TableState>) -> serde_json::Value {
    let (Some(_), Some(src)) = (&spec.snowflake, cur.and_then(|c| c.source.as_ref())) else {
        return serde_json::Value::Null;
    };
    let url =
        split_s3(&src.metadata_location).map(|(_, k)| format!("s3://{}/{k}", spec.target.bucket));
    let mut r = cur
        .and_then(|c| c.registered.as_ref())
        .map_or_else(|| json!({}), |r| json!(r));
    r["metadata_location"] = json!(url);
    r
}

impl L2cTable {
    async fn location(
        &self,
        ctx: &Ctx,
        side: &Side,
        bucket: &str,
        prefix: &str,
        what: &str,
    ) -> Result<Result<Location, String>, ProviderError> {
        let Some(store) = &side.store else {
            return Ok(Err(format!("no store is declared for the {what}")));
        };
        match self.stores.location(ctx, store, bucket, prefix).await {
            Ok(l) => Ok(Ok(l)),
            Err(ClientError::NotYet(why)) => Ok(Err(why)),
            Err(ClientError::Provider(e)) => Err(e),
        }
    }

    async fn client(&self, ctx: &Ctx, spec: &TableSpec) -> Result<Reach, ProviderError> {
        reach(&self.polaris, ctx, &spec.polaris)
    }
}

#[async_trait]
impl Resource for L2cTable {
    type State = TableState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        prior: Option<&TableState>,
    ) -> Result<Observed<TableState>, ProviderError> {
        let c = match self.client(ctx, spec).await? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let found = source::load(&c, &spec.catalog, &spec.namespace, &spec.table).await;
        let source = match unavailable_or(found)? {
            Ok(s) => s,
            Err(why) => return Ok(Observed::Unavailable(why)),
        };
        let remembered = prior.map(|p| p.rewritten.clone()).unwrap_or_default();
        let synced_before = prior.and_then(|p| p.synced.clone());
        let registered = match &spec.snowflake {
            Some(t) => register::read(&self.snowflake, ctx, t).await?,
            None => None,
        };
        let Some(src) = source else {
            return Ok(Observed::Present(TableState {
                source: None,
                synced: synced_before,
                pending: Pending::default(),
                rewritten: remembered,
                registered,
            }));
        };
        let prefix = table_prefix(&src)?;
        let src_bucket = split_s3(&src.location).map_or("", |(b, _)| b).to_string();
        let from = match self
            .location(ctx, &spec.source, &src_bucket, &prefix, "local store")
            .await?
        {
            Ok(l) => l,
            Err(why) => return Ok(Observed::Unavailable(why)),
        };
        let to = match self
            .location(
                ctx,
                &spec.target,
                &spec.target.bucket,
                &prefix,
                "L2C bucket",
            )
            .await?
        {
            Ok(l) => l,
            Err(why) => return Ok(Observed::Unavailable(why)),
        };
        let (sl, dl) = tokio::join!(sync::list(&from), sync::list(&to));
        let sl = sl.map_err(sync_error)?;
        // A bucket that is not there yet holds nothing.
        let dl = match dl {
            Ok(l) => l,
            Err(sync::SyncError::Call(e)) if e.code() == Some("NoSuchBucket") => Default::default(),
            Err(e) => return Err(sync_error(e)),
        };
        let w = migrate::work(&sl, &dl, &remembered);
        // The copy is there as long as its metadata file is.
        let synced = synced_before.filter(|s| {
            let rel = s
                .metadata_file_path
                .strip_prefix(&prefix)
                .map(|r| r.trim_start_matches('/'));
            rel.is_some_and(|r| dl.contains_key(r))
        });
        Ok(Observed::Present(TableState {
            source: Some(src),
            synced,
            pending: Pending::of(&w),
            rewritten: remembered,
            registered,
        }))
    }

    fn plan(&self, spec: &TableSpec, current: Option<&TableState>) -> Planned {
        let after = |cur: Option<&TableState>| {
            let src = cur.and_then(|c| c.source.as_ref());
            // What the integrity check will count is only known after the copy: the
            // last count is shown unchanged rather than as removed.
            let counted = cur.and_then(|c| c.synced.as_ref());
            json!({
                "source": src,
                "synced": src.map(|s| json!({
                    "from": s.metadata_location,
                    "metadata_file_path": split_s3(&s.metadata_location).map(|(_, k)| k),
                    "location": table_prefix(s).ok().map(|p| target_location(spec, &p)),
                    "snapshot_id": s.snapshot_id,
                    "format_version": s.format_version,
                    "files": counted.map(|c| c.files),
                    "bytes": counted.map(|c| c.bytes),
                })),
                "pending": Pending::default(),
                "registered": registered_after(spec, cur),
            })
        };
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after: after(None),
                reasons: vec![],
            };
        };
        let (mut action, mut reasons) = match (&cur.source, &cur.synced) {
            (None, None) => (Action::NoOp, vec![]),
            (None, Some(_)) => (
                Action::Delete,
                vec![format!(
                    "{}.{} no longer exists in catalog {}: its copy is removed",
                    spec.namespace, spec.table, spec.catalog
                )],
            ),
            (Some(s), None) => (
                Action::Create,
                vec![format!(
                    "migrate {} (snapshot {}): {}",
                    version(&s.metadata_location),
                    short(s.snapshot_id),
                    work_words(&cur.pending)
                )],
            ),
            (Some(s), Some(d)) if d.from == s.metadata_location => {
                if cur.pending.is_empty() {
                    (Action::NoOp, vec![])
                } else {
                    (
                        Action::Update,
                        vec![format!(
                            "the copy is incomplete: {}",
                            work_words(&cur.pending)
                        )],
                    )
                }
            }
            (Some(s), Some(d)) => {
                let mut reasons = vec![format!(
                    "sync {} → {} (snapshot {} → {}): {}",
                    version(&d.from),
                    version(&s.metadata_location),
                    short(d.snapshot_id),
                    short(s.snapshot_id),
                    work_words(&cur.pending)
                )];
                if d.format_version != s.format_version {
                    reasons.push(format!(
                        "format version {} → {}: readers must open the table anew",
                        d.format_version, s.format_version
                    ));
                }
                (Action::Update, reasons)
            }
        };
        // The Snowflake table follows the copy: registered, refreshed or registered again.
        if let (Some(t), Some(src), false) =
            (&spec.snowflake, &cur.source, action == Action::Delete)
        {
            let to = split_s3(&src.metadata_location).map_or("", |(_, k)| k);
            let format_changed = cur
                .synced
                .as_ref()
                .is_some_and(|d| d.format_version != src.format_version);
            let step = register::step(cur.registered.as_ref(), to, format_changed);
            if step != Step::Current {
                reasons.push(register::words(&step, t, cur.registered.as_ref(), to));
                if action == Action::NoOp {
                    action = Action::Update;
                }
            }
        }
        if let (Some(t), Some(_), Action::Delete) = (&spec.snowflake, &cur.registered, action) {
            reasons.push(format!(
                "drop {} in Snowflake",
                snowflake::iceberg_table::display_name(t)
            ));
        }
        Planned {
            action,
            after: after(Some(cur)),
            reasons,
        }
    }

    fn warnings(&self, spec: &TableSpec, current: Option<&TableState>) -> Vec<String> {
        match current {
            Some(TableState {
                source: None,
                synced: None,
                ..
            }) => vec![format!(
                "table {}.{} is not in catalog {}: there is nothing to migrate",
                spec.namespace, spec.table, spec.catalog
            )],
            _ => vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        current: Option<&TableState>,
        _: Action,
    ) -> Result<TableState, ProviderError> {
        let c = polaris::common::client(&self.polaris, ctx, &spec.polaris)?;
        let name = format!("{}.{}", spec.namespace, spec.table);
        let Some(src) = source::load(&c, &spec.catalog, &spec.namespace, &spec.table).await? else {
            // Planned with no table to move (recorded so, with the plan's warning): still
            // nothing to do. Planned with one that has gone since: the plan no longer holds.
            return match current {
                Some(cur) if cur.source.is_none() => Ok(cur.clone()),
                _ => Err(ProviderError::Conflict {
                    message: format!("table {name} is not in catalog {}", spec.catalog),
                    hint: Some("create it first, or remove it from `l2c.tables`".into()),
                }),
            };
        };
        // A saved plan promised to move a given snapshot; moving another would do what
        // the user did not approve.
        if let Some(planned) = current.and_then(|c| c.source.as_ref())
            && planned.metadata_location != src.metadata_location
        {
            return Err(ProviderError::Conflict {
                message: format!(
                    "table {name} moved on since the plan was made ({} → {})",
                    version(&planned.metadata_location),
                    version(&src.metadata_location)
                ),
                hint: Some("run `forge plan` again to see what a sync does now".into()),
            });
        }
        let prefix = table_prefix(&src)?;
        let src_bucket = split_s3(&src.location).map_or("", |(b, _)| b).to_string();
        let not_ready = |what: &str, why: String| ProviderError::NotReady {
            what: what.to_string(),
            reason: why,
        };
        let from = self
            .location(ctx, &spec.source, &src_bucket, &prefix, "local store")
            .await?
            .map_err(|w| not_ready("the local store", w))?;
        let to = self
            .location(
                ctx,
                &spec.target,
                &spec.target.bucket,
                &prefix,
                "L2C bucket",
            )
            .await?
            .map_err(|w| not_ready("the L2C bucket", w))?;
        let metadata_rel = src
            .metadata_location
            .strip_prefix(&src.location)
            .map(|r| r.trim_start_matches('/').to_string())
            .ok_or_else(|| ProviderError::Conflict {
                message: format!(
                    "the metadata file `{}` lies outside the table's location `{}`",
                    src.metadata_location, src.location
                ),
                hint: None,
            })?;
        let opts = Options::default();
        // The source, checked like the copy will be: a table that is incomplete where it
        // is, or whose position deletes name files by their old paths, is not moved.
        let at_source = integrity::check(&from, &src.location, &metadata_rel, &opts.backoff)
            .await
            .map_err(|e| ProviderError::Failed {
                what: format!("reading {name} at its source"),
                reason: crate::render::error_chain(&e),
                hint: None,
            })?;
        if at_source.position_deletes > 0 {
            return Err(ProviderError::Conflict {
                message: format!(
                    "table {name} has {} position-delete file(s) in its current snapshot: they name data files by their local paths, which a copy cannot keep valid",
                    at_source.position_deletes
                ),
                hint: Some(
                    "compact the table first (rewrite its data files so no delete files remain), then apply again".into(),
                ),
            });
        }
        let location = target_location(spec, &prefix);
        let map = PathMap::new(&src.location, &location);
        let remembered = current.map(|c| c.rewritten.clone()).unwrap_or_default();
        let moved = migrate::migrate(&from, &to, &map, &remembered, &opts, &ctx.cancel)
            .await
            .map_err(|e| migrate_error(&name, e))?;
        let checked = integrity::check(&to, &location, &metadata_rel, &opts.backoff)
            .await
            .map_err(|e| ProviderError::Failed {
                what: format!("the integrity check of {name}'s copy"),
                reason: crate::render::error_chain(&e),
                hint: None,
            })?;
        let metadata_file_path = format!("{prefix}/{metadata_rel}");
        // Only a copy that passed its check is shown to Snowflake.
        let registered = match &spec.snowflake {
            Some(t) => {
                let format_changed = current
                    .and_then(|c| c.synced.as_ref())
                    .is_some_and(|d| d.format_version != src.format_version);
                Some(
                    register::apply(&self.snowflake, ctx, t, &metadata_file_path, format_changed)
                        .await?,
                )
            }
            None => None,
        };
        Ok(TableState {
            registered,
            synced: Some(Synced {
                from: src.metadata_location.clone(),
                metadata_file_path,
                location,
                snapshot_id: src.snapshot_id,
                format_version: src.format_version,
                files: checked.files,
                bytes: checked.bytes,
            }),
            source: Some(src),
            pending: Pending::default(),
            rewritten: moved.rewritten,
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &TableSpec,
        state: &TableState,
    ) -> Result<(), ProviderError> {
        // Snowflake first: it must never read a table whose files are going.
        if let Some(t) = &spec.snowflake {
            register::drop(&self.snowflake, ctx, t).await?;
        }
        let prefix = match (&state.synced, &state.source) {
            (Some(s), _) => split_s3(&s.location).map(|(_, k)| k.to_string()),
            (None, Some(src)) => table_prefix(src).ok(),
            (None, None) => None,
        };
        let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let to = self
            .location(
                ctx,
                &spec.target,
                &spec.target.bucket,
                &prefix,
                "L2C bucket",
            )
            .await?
            .map_err(|why| ProviderError::NotReady {
                what: "the L2C bucket".into(),
                reason: why,
            })?;
        match to.delete_all().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchBucket") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn sync_error(e: sync::SyncError) -> ProviderError {
    match e {
        sync::SyncError::Call(p) => p,
        other => ProviderError::Client {
            operation: "list the table's files".into(),
            source: Box::new(other),
        },
    }
}

fn migrate_error(name: &str, e: MigrateError) -> ProviderError {
    let reason = crate::render::error_chain(&e);
    match e {
        MigrateError::Sync(sync::SyncError::Call(p)) => p,
        MigrateError::Interrupted => ProviderError::Interrupted,
        MigrateError::Rewrite(_) => ProviderError::Failed {
            what: format!("rewriting {name}'s metadata"),
            reason,
            hint: None,
        },
        MigrateError::Copy { hint, .. } => ProviderError::Failed {
            what: format!("copying {name}"),
            reason,
            hint,
        },
        MigrateError::Sync(_) => ProviderError::Failed {
            what: format!("copying {name}"),
            reason,
            hint: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TableSpec {
        TableSpec {
            polaris: polaris::Connection {
                url: "http://localhost:18181".into(),
                realm: "POLARIS".into(),
                client_id: "root".into(),
                client_secret: crate::secret::SecretSpec::Env("S".into()),
            },
            catalog: "polardb".into(),
            namespace: "wildlife".into(),
            table: "penguins".into(),
            source: Side {
                bucket: "polardb".into(),
                store: None,
            },
            target: Side {
                bucket: "l2c".into(),
                store: None,
            },
            snowflake: None,
        }
    }

    fn with_snowflake() -> TableSpec {
        TableSpec {
            snowflake: Some(TableRef {
                connection: snowflake::Connection {
                    connection: Some("emu".into()),
                    admin_role: "ACCOUNTADMIN".into(),
                },
                database: "DB".into(),
                schema: "L2C".into(),
                name: "WILDLIFE_PENGUINS".into(),
                role: "R".into(),
                external_volume: "V".into(),
                catalog_integration: "I".into(),
            }),
            ..spec()
        }
    }

    fn registered_at(v: u32) -> Registered {
        Registered {
            owner: "R".into(),
            external_volume: "V".into(),
            catalog_integration: "I".into(),
            metadata_location: Some(format!(
                "s3://l2c/wildlife/penguins/metadata/0000{v}-u.metadata.json"
            )),
        }
    }

    #[test]
    fn the_snowflake_table_follows_the_copy() {
        let t = L2cTable::default();
        let spec = with_snowflake();
        let pending = Pending {
            objects: 1,
            bytes: 10,
            rewrite: 3,
        };
        // Copied but never registered: register, even with nothing to copy.
        let mut s = state(
            Some(src(3, 1, 2)),
            Some(synced(3, 1, 2)),
            Pending::default(),
        );
        let p = t.plan(&spec, Some(&s));
        assert_eq!(p.action, Action::Update);
        assert_eq!(
            p.reasons,
            vec!["register in Snowflake as DB.L2C.WILDLIFE_PENGUINS (v3)"]
        );
        // Registered where the copy is: nothing to do.
        s.registered = Some(registered_at(3));
        assert_eq!(t.plan(&spec, Some(&s)).action, Action::NoOp);
        // A newer snapshot: sync, then refresh from the old metadata to the new.
        let newer = TableState {
            registered: Some(registered_at(3)),
            ..state(Some(src(5, 2, 2)), Some(synced(3, 1, 2)), pending)
        };
        let p = t.plan(&spec, Some(&newer));
        assert_eq!(p.reasons[1], "refresh DB.L2C.WILDLIFE_PENGUINS v3 → v5");
        // Across a format version: registered again.
        let upgraded = TableState {
            registered: Some(registered_at(3)),
            ..state(Some(src(5, 2, 3)), Some(synced(3, 1, 2)), pending)
        };
        let p = t.plan(&spec, Some(&upgraded));
        assert!(
            p.reasons
                .iter()
                .any(|r| r.starts_with("register DB.L2C.WILDLIFE_PENGUINS again")),
            "{:?}",
            p.reasons
        );
        // Dropped at the source: the Snowflake table goes with the copy.
        let dropped = TableState {
            registered: Some(registered_at(3)),
            ..state(None, Some(synced(3, 1, 2)), Pending::default())
        };
        let p = t.plan(&spec, Some(&dropped));
        assert_eq!(p.action, Action::Delete);
        assert!(
            p.reasons
                .iter()
                .any(|r| r == "drop DB.L2C.WILDLIFE_PENGUINS in Snowflake"),
            "{:?}",
            p.reasons
        );
    }

    fn src(v: u32, snap: i64, fv: u8) -> Source {
        Source {
            metadata_location: format!(
                "s3://polardb/wildlife/penguins/metadata/0000{v}-u.metadata.json"
            ),
            location: "s3://polardb/wildlife/penguins".into(),
            snapshot_id: Some(snap),
            format_version: fv,
        }
    }

    fn synced(v: u32, snap: i64, fv: u8) -> Synced {
        Synced {
            from: src(v, snap, fv).metadata_location,
            metadata_file_path: format!("wildlife/penguins/metadata/0000{v}-u.metadata.json"),
            location: "s3://l2c/wildlife/penguins".into(),
            snapshot_id: Some(snap),
            format_version: fv,
            files: 3,
            bytes: 100,
        }
    }

    fn state(source: Option<Source>, s: Option<Synced>, pending: Pending) -> TableState {
        TableState {
            source,
            synced: s,
            pending,
            rewritten: BTreeMap::new(),
            registered: None,
        }
    }

    #[test]
    fn a_new_table_plans_its_copy_with_counts() {
        let p = L2cTable::default().plan(
            &spec(),
            Some(&state(
                Some(src(3, 1234567890123, 2)),
                None,
                Pending {
                    objects: 12,
                    bytes: 3 * 1024 * 1024 + 400 * 1024,
                    rewrite: 9,
                },
            )),
        );
        assert_eq!(p.action, Action::Create);
        assert_eq!(
            p.reasons,
            vec![
                "migrate v3 (snapshot 1234567890…): copy 12 objects (3.4 MiB), rewrite 9 metadata files"
            ]
        );
    }

    #[test]
    fn a_newer_snapshot_plans_a_sync_and_flags_a_format_change() {
        let t = L2cTable::default();
        let pending = Pending {
            objects: 1,
            bytes: 10,
            rewrite: 3,
        };
        let p = t.plan(
            &spec(),
            Some(&state(
                Some(src(5, 456, 2)),
                Some(synced(3, 123, 2)),
                pending,
            )),
        );
        assert_eq!(p.action, Action::Update);
        assert_eq!(
            p.reasons,
            vec![
                "sync v3 → v5 (snapshot 123 → 456): copy 1 object (10 B), rewrite 3 metadata files"
            ]
        );
        let p = t.plan(
            &spec(),
            Some(&state(
                Some(src(5, 456, 3)),
                Some(synced(3, 123, 2)),
                pending,
            )),
        );
        assert!(
            p.reasons[1].contains("format version 2 → 3"),
            "{:?}",
            p.reasons
        );
    }

    #[test]
    fn an_unchanged_table_is_a_no_op_and_a_dropped_one_a_removal() {
        let t = L2cTable::default();
        let same = state(
            Some(src(3, 123, 2)),
            Some(synced(3, 123, 2)),
            Pending::default(),
        );
        assert_eq!(t.plan(&spec(), Some(&same)).action, Action::NoOp);
        let dropped = state(None, Some(synced(3, 123, 2)), Pending::default());
        let p = t.plan(&spec(), Some(&dropped));
        assert_eq!(p.action, Action::Delete);
        assert!(p.reasons[0].contains("no longer exists"), "{:?}", p.reasons);
        let nothing = state(None, None, Pending::default());
        assert_eq!(t.plan(&spec(), Some(&nothing)).action, Action::NoOp);
        assert_eq!(t.warnings(&spec(), Some(&nothing)).len(), 1);
        // Someone deleted files of the copy: repaired.
        let holes = state(
            Some(src(3, 123, 2)),
            Some(synced(3, 123, 2)),
            Pending {
                objects: 2,
                bytes: 20,
                rewrite: 0,
            },
        );
        let p = t.plan(&spec(), Some(&holes));
        assert_eq!(p.action, Action::Update);
        assert!(p.reasons[0].contains("incomplete"), "{:?}", p.reasons);
    }

    #[test]
    fn s3_locations_split_into_bucket_and_key() {
        assert_eq!(split_s3("s3://b/ns/t/"), Some(("b", "ns/t")));
        assert_eq!(split_s3("s3a://b/ns/t"), Some(("b", "ns/t")));
        assert_eq!(split_s3("s3://b"), Some(("b", "")));
        assert_eq!(split_s3("file:///tmp/t"), None);
        assert_eq!(bytes_words(512), "512 B");
        assert_eq!(bytes_words(1536), "1.5 KiB");
    }
}
