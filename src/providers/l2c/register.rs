//! The Snowflake half of a table's migration: the Iceberg table registered from the
//! copy's metadata file when it is new, refreshed (`ALTER ICEBERG TABLE … REFRESH`) when
//! a newer copy was synced, registered again when the format version changed (a refresh
//! cannot cross it), dropped when the table is cleared. It runs only after the copy passed
//! its integrity check, so Snowflake never reads a half-copied table; and it is part of
//! the table's kind, not a kind of its own, so a sync and its refresh are one step that
//! an interrupted apply completes (the replaced tool reset its registration on every sync,
//! so its refresh never fired).

use serde::{Deserialize, Serialize};

use super::source::version_of;
use crate::provider::{Ctx, ProviderError};
use crate::providers::snowflake::client::{Clients, codes};
use crate::providers::snowflake::iceberg_table::{self, Registered, TableRef};

/// What the registration step will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Already registered at the copy's current metadata file.
    Current,
    /// Not registered yet.
    Register,
    /// Registered at an older metadata file.
    Refresh,
    /// Registered under another format version: drop and register again.
    Reregister,
}

/// The step for a table Snowflake shows as `registered` (`None`: not there), whose copy
/// will be at `metadata_file_path` (relative to the volume); `format_changed` says the
/// copy's format version differs from the one Snowflake registered.
pub fn step(
    registered: Option<&Registered>,
    metadata_file_path: &str,
    format_changed: bool,
) -> Step {
    match registered {
        None => Step::Register,
        Some(r) if r.is_at(metadata_file_path) => Step::Current,
        Some(_) if format_changed => Step::Reregister,
        Some(_) => Step::Refresh,
    }
}

/// The plan's words for `step` of table `t`.
pub fn words(step: &Step, t: &TableRef, registered: Option<&Registered>, to: &str) -> String {
    let name = iceberg_table::display_name(t);
    let v = |p: &str| version_of(p).map_or_else(|| "?".into(), |v| format!("v{v}"));
    match step {
        Step::Current => format!("registered in Snowflake as {name} at {}", v(to)),
        Step::Register => format!("register in Snowflake as {name} ({})", v(to)),
        Step::Refresh => format!(
            "refresh {name} {} → {}",
            registered
                .and_then(|r| r.metadata_location.as_deref())
                .map_or_else(|| "?".into(), v),
            v(to)
        ),
        Step::Reregister => format!(
            "register {name} again at {}: its format version changed, which a refresh cannot cross",
            v(to)
        ),
    }
}

/// What Snowflake shows for `t` now. A connection that is missing or refuses us is an
/// error of the same kinds the other Snowflake kinds report (said once per cause).
pub async fn read(
    clients: &Clients,
    ctx: &Ctx,
    t: &TableRef,
) -> Result<Option<Registered>, ProviderError> {
    let client = clients.get(ctx, &t.connection)?;
    match iceberg_table::describe(&client, t).await {
        Ok(r) => Ok(r),
        // The table's role is made by the same apply, before the table: until it exists,
        // nothing can be registered under it.
        Err(e) if e.code() == Some(codes::ROLE_NOT_GRANTED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Brings Snowflake's table to `metadata_file_path`; returns what it shows afterwards.
pub async fn apply(
    clients: &Clients,
    ctx: &Ctx,
    t: &TableRef,
    metadata_file_path: &str,
    format_changed: bool,
) -> Result<Registered, ProviderError> {
    let client = clients.get(ctx, &t.connection)?;
    let now = iceberg_table::describe(&client, t).await?;
    match step(now.as_ref(), metadata_file_path, format_changed) {
        Step::Current => Ok(now.expect("a current registration is a registration")),
        Step::Register => iceberg_table::register(&client, t, metadata_file_path).await,
        Step::Reregister => {
            iceberg_table::drop(&client, t).await?;
            iceberg_table::register(&client, t, metadata_file_path).await
        }
        Step::Refresh => {
            match iceberg_table::refresh(&client, t, metadata_file_path).await {
                Ok(()) => {}
                // Snowflake found a format change forge did not know of: register again.
                Err(e) if e.code() == Some(codes::FORMAT_VERSION_CHANGED) => {
                    iceberg_table::drop(&client, t).await?;
                    return iceberg_table::register(&client, t, metadata_file_path).await;
                }
                Err(e) => return Err(e),
            }
            iceberg_table::describe(&client, t)
                .await?
                .ok_or_else(|| ProviderError::Failed {
                    what: format!("refresh {}", iceberg_table::display_name(t)),
                    reason: "the table is gone after its refresh".into(),
                    hint: None,
                })
        }
    }
}

/// Drops `t` (already gone is fine).
pub async fn drop(clients: &Clients, ctx: &Ctx, t: &TableRef) -> Result<(), ProviderError> {
    let client = clients.get(ctx, &t.connection)?;
    iceberg_table::drop(&client, t).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> Registered {
        Registered {
            owner: "R".into(),
            external_volume: "V".into(),
            catalog_integration: "I".into(),
            metadata_location: Some(format!("s3://l2c/{path}")),
        }
    }

    #[test]
    fn the_step_follows_from_what_snowflake_shows() {
        let v5 = "ns/t/metadata/00005-a.metadata.json";
        let v3 = "ns/t/metadata/00003-a.metadata.json";
        assert_eq!(step(None, v5, false), Step::Register);
        assert_eq!(step(Some(&at(v5)), v5, false), Step::Current);
        assert_eq!(step(Some(&at(v3)), v5, false), Step::Refresh);
        assert_eq!(step(Some(&at(v3)), v5, true), Step::Reregister);
        // Registered where it should be: nothing to do even across a format change.
        assert_eq!(step(Some(&at(v5)), v5, true), Step::Current);
    }
}
