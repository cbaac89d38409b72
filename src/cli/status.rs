//! `forge status`: where each migrated table stands — the catalog's current version, the
//! copy's, what a sync would move, and warnings (prefix drift, format change) — read
//! live like a plan, restricted to the `l2c_table` resources. `--json` prints one object
//! per table.

use tokio_util::sync::CancellationToken;

use super::global::Global;
use super::{Error, StatusArgs, exit};
use crate::engine::{Mode, PlanRequest};
use crate::provider::Kind;
use crate::providers::l2c::source::version_of;
use crate::providers::l2c::status::{Point, TableStatus, status};
use crate::providers::l2c::{L2cTable, TableState, bytes_words};

pub async fn run(g: &Global, args: StatusArgs) -> Result<i32, Error> {
    let engine = g.engine(args.lock_timeout)?;
    let tables: Vec<String> = engine
        .declared()
        .resources
        .iter()
        .filter(|r| r.addr.kind() == L2cTable::KIND)
        .map(|r| r.addr.to_string())
        .filter(|a| args.targets.is_empty() || args.targets.iter().any(|t| t == a))
        .collect();
    if tables.is_empty() {
        if !args.json {
            println!(
                "No tables migrate: forge.yaml has no `l2c:` section, or it names no tables{}.",
                if args.targets.is_empty() {
                    ""
                } else {
                    " among the targets"
                }
            );
        }
        return Ok(exit::OK);
    }
    let ctx = engine.context(Mode::Plan, args.timeout, CancellationToken::new());
    let req = PlanRequest {
        targets: tables,
        ..PlanRequest::default()
    };
    let plan = engine.plan(&ctx, &req).await?;
    let rows: Vec<TableStatus> = plan
        .changes
        .iter()
        .filter(|c| c.addr.kind() == L2cTable::KIND)
        .map(|c| {
            let state: TableState = c
                .before
                .clone()
                .and_then(|b| serde_json::from_value(b).ok())
                .unwrap_or_else(|| TableState {
                    source: None,
                    synced: None,
                    pending: Default::default(),
                    rewritten: Default::default(),
                    registered: None,
                });
            status(c.addr.name(), &state)
        })
        .collect();
    if args.json {
        for r in &rows {
            println!("{}", serde_json::to_string(r).expect("a status serializes"));
        }
    } else {
        // What could not be read, and the tables' own warnings (e.g. not in its catalog).
        let notes: Vec<String> = plan
            .blocked
            .iter()
            .map(|b| match &b.hint {
                Some(h) => format!("{} ({h})", b.message),
                None => b.message.clone(),
            })
            .chain(
                plan.warnings
                    .iter()
                    .filter(|w| w.addr.as_ref().is_some_and(|a| a.kind() == L2cTable::KIND))
                    .map(|w| w.message.clone()),
            )
            .collect();
        print!("{}", render(&rows, &notes));
    }
    Ok(exit::OK)
}

fn point(p: &Option<Point>) -> String {
    match p {
        None => "-".into(),
        Some(p) => format!(
            "v{} snap {}",
            p.version.map_or_else(|| "?".into(), |v| v.to_string()),
            p.snapshot_id
                .map_or_else(|| "none".into(), |s| s.to_string())
        ),
    }
}

fn render(rows: &[TableStatus], notes: &[String]) -> String {
    let mut out = String::new();
    let w = rows.iter().map(|r| r.table.len()).max().unwrap_or(5).max(5);
    out.push_str(&format!(
        "{:<w$}  {:<22}  {:<32}  {:<32}  {:<10}  {}\n",
        "TABLE", "STANDING", "SOURCE", "COPY", "SNOWFLAKE", "A SYNC WOULD"
    ));
    for r in rows {
        let work = if r.pending_objects + r.pending_rewrites == 0 {
            "-".to_string()
        } else {
            format!(
                "copy {} ({}), rewrite {}",
                r.pending_objects,
                bytes_words(r.pending_bytes),
                r.pending_rewrites
            )
        };
        let registered = r.registered.as_deref().map_or_else(
            || "-".to_string(),
            |m| version_of(m).map_or_else(|| "?".into(), |v| format!("v{v}")),
        );
        out.push_str(&format!(
            "{:<w$}  {:<22}  {:<32}  {:<32}  {:<10}  {}\n",
            r.table,
            r.standing.words(),
            point(&r.source),
            point(&r.synced),
            registered,
            work
        ));
    }
    for r in rows {
        for warning in &r.warnings {
            out.push_str(&format!("\nWarning: {}: {warning}\n", r.table));
        }
    }
    for n in notes {
        out.push_str(&format!("\nNote: {n}\n"));
    }
    out
}
