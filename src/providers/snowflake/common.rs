//! What the Snowflake kinds share: a client and the admin role for a spec's connection,
//! names resolved (or refused) as Snowflake stores them, exact matches in `SHOW ... LIKE`
//! results, drops that accept what is already gone, and the grants on an object kept
//! across a re-create.

use serde_json::json;

use super::Connection;
use super::client::{Client, Clients, Context, Record, ResultSet, SqlError};
use super::names;
use super::sql::{self, ObjectType};
use crate::provider::{Ctx, ProviderError};

/// A client for `conn`, and its admin role as Snowflake stores it.
pub fn session(
    clients: &Clients,
    ctx: &Ctx,
    conn: &Connection,
) -> Result<(Client, String), ProviderError> {
    let admin = name(&conn.admin_role, "admin role")?;
    Ok((clients.get(ctx, conn)?, admin))
}

/// `raw` (as forge.yaml writes it) as Snowflake stores it; a name Snowflake cannot hold
/// is refused (the expansion of forge.yaml reports it first, at its line).
pub fn name(raw: &str, what: &str) -> Result<String, ProviderError> {
    names::resolve(raw).map_err(|e| ProviderError::Conflict {
        message: format!("`{raw}` cannot be a Snowflake {what} name: {e}"),
        hint: Some("rename it in forge.yaml".into()),
    })
}

/// As [`name`], for plans (which cannot fail): the name as written when it is invalid.
pub fn shown(raw: &str) -> String {
    names::resolve(raw).unwrap_or_else(|_| raw.to_string())
}

/// The row whose `name` column is exactly `stored` (`SHOW ... LIKE` matches without case
/// and treats `_` as a wildcard).
pub fn exact<'a>(rs: &'a ResultSet, stored: &str) -> Option<Record<'a>> {
    rs.records().find(|r| r.get("name") == Some(stored))
}

/// Runs a statement rendered from template `template`.
pub async fn run(
    client: &Client,
    cx: &Context<'_>,
    template: &'static str,
    params: serde_json::Value,
    operation: &str,
) -> Result<ResultSet, SqlError> {
    let statement = sql::render(template, &params)?;
    client.run(cx, &statement, operation).await
}

/// A statement whose "does not exist" means `None`.
pub async fn run_if_exists(
    client: &Client,
    cx: &Context<'_>,
    template: &'static str,
    params: serde_json::Value,
    operation: &str,
) -> Result<Option<ResultSet>, ProviderError> {
    match run(client, cx, template, params, operation).await {
        Ok(rs) => Ok(Some(rs)),
        Err(e) if e.is_missing() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `DROP <type> IF EXISTS <object>` as `role`; something already gone (or whose container
/// is) is fine.
pub async fn drop(
    client: &Client,
    role: &str,
    object_type: ObjectType,
    object: &[&str],
    operation: &str,
) -> Result<(), ProviderError> {
    run_if_exists(
        client,
        &Context::role(role),
        "drop",
        json!({"object_type": object_type, "object": object}),
        operation,
    )
    .await
    .map(|_| ())
}

/// The privileges other roles hold on an object (not its ownership): `(privilege, role)`.
pub async fn grants_on(
    client: &Client,
    role: &str,
    object_type: ObjectType,
    object: &[&str],
    operation: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let rs = run_if_exists(
        client,
        &Context::role(role),
        "show_grants_on",
        json!({"object_type": object_type, "object": object}),
        operation,
    )
    .await?;
    Ok(rs
        .map(|rs| {
            rs.records()
                .filter(|r| r.text("privilege") != "OWNERSHIP" && r.text("granted_to") == "ROLE")
                .map(|r| {
                    (
                        r.text("privilege").to_string(),
                        r.text("grantee_name").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Grants again what [`grants_on`] listed before a re-create (only the privileges forge
/// knows how to write; others are said in the log).
pub async fn regrant(
    client: &Client,
    role: &str,
    object_type: ObjectType,
    object: &[&str],
    grants: &[(String, String)],
) -> Result<(), ProviderError> {
    for (privilege, grantee) in grants {
        let Some(p) = super::sql::Privilege::parse(privilege) else {
            tracing::warn!(
                "`{privilege}` on {} {} held by {grantee} was not granted again after the re-create",
                object_type.keyword(),
                object.join(".")
            );
            continue;
        };
        run(
            client,
            &Context::role(role),
            "grant",
            json!({"privilege": p, "object_type": object_type, "object": object, "role": grantee}),
            &format!(
                "grant {privilege} on {} back to {grantee}",
                object.join(".")
            ),
        )
        .await?;
    }
    Ok(())
}
