//! `forge query "SQL"`: read-only SQL over the catalog's tables. Built only with the
//! cargo feature `query` (DataFusion makes the cold build much longer); without it the
//! command says how to build a forge that has it.

use super::global::Global;
use super::{Error, QueryArgs};

/// How to get a forge with `forge query`.
#[cfg(not(feature = "query"))]
const BUILD_HINT: &str = "build forge with the `query` feature: `cargo build --release --features query` (or `cargo install --path . --features query`)";

/// `forge query`.
#[cfg(feature = "query")]
pub async fn run(g: &Global, a: QueryArgs) -> Result<i32, Error> {
    use crate::query::{Format, Target};
    use crate::secret::Secrets;
    use crate::state::StateStore;

    let declared = g.declared()?;
    let connection = crate::expand::polaris_connection(&declared).ok_or_else(|| {
        Error::Usage(
            "forge.yaml declares no Polaris (no `catalog:` section and no `stack.polaris`)".into(),
        )
    })?;
    let target = Target {
        connection,
        catalogs: crate::expand::catalog_stores(&declared),
        default: a.catalog.clone(),
    };
    let saved = StateStore::peek(&g.work_dir)?.unwrap_or_default().secrets;
    let secrets = Secrets::read_only(saved);
    let format = if a.json {
        Format::Json
    } else if a.csv {
        Format::Csv
    } else {
        Format::Table
    };
    let failed = |e| Error::Query(Box::new(e));
    let batches = crate::query::run(&target, &secrets, &a.sql)
        .await
        .map_err(failed)?;
    print!(
        "{}",
        crate::query::render(&batches, format).map_err(failed)?
    );
    Ok(super::exit::OK)
}

/// `forge query` in a forge built without the `query` feature.
#[cfg(not(feature = "query"))]
pub async fn run(_: &Global, _: QueryArgs) -> Result<i32, Error> {
    Err(Error::NotBuilt {
        command: "query",
        hint: BUILD_HINT,
    })
}
