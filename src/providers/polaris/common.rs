//! What every Polaris kind shares: reaching the server (a client from the connection, or
//! "not there yet"), management API paths, and the entities Polaris protects.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use super::Connection;
use super::client::{Client, Clients, NoClient, segment};
use crate::provider::{Ctx, ProviderError};

/// The principal Polaris bootstraps; never deleted or changed by forge.
pub const ROOT: &str = "root";
/// The principal role bootstrap creates and gives root; never deleted.
pub const SERVICE_ADMIN: &str = "service_admin";
/// The catalog role every catalog gets, granted to `service_admin`; never deleted.
pub const CATALOG_ADMIN: &str = "catalog_admin";

/// A management API path: `/api/management/v1` and the given segments, each encoded.
pub fn mgmt(segments: &[&str]) -> String {
    let mut p = String::from("/api/management/v1");
    for s in segments {
        p.push('/');
        p.push_str(&segment(s));
    }
    p
}

/// What `read` gets: a client, or why nothing on the server can be seen yet.
pub enum Reach {
    /// A client.
    Client(Client),
    /// The server cannot be asked (its credentials are not generated, it is not up).
    Unavailable(String),
}

/// A client for `conn`, for `read`: credentials not generated yet mean "unavailable".
pub fn reach(clients: &Clients, ctx: &Ctx, conn: &Connection) -> Result<Reach, ProviderError> {
    match clients.get(ctx, conn) {
        Ok(c) => Ok(Reach::Client(c)),
        Err(NoClient::NotYet(why)) => Ok(Reach::Unavailable(why)),
        Err(NoClient::Error(e)) => Err(e),
    }
}

/// A client for `conn`, for `apply` and `delete`.
pub fn client(clients: &Clients, ctx: &Ctx, conn: &Connection) -> Result<Client, ProviderError> {
    match clients.get(ctx, conn) {
        Ok(c) => Ok(c),
        Err(NoClient::NotYet(why)) => Err(ProviderError::NotReady {
            what: format!("Polaris at {}", conn.url),
            reason: why,
        }),
        Err(NoClient::Error(e)) => Err(e),
    }
}

/// A server that cannot be reached while reading: nothing in it can be seen yet (the
/// stack is not up). Other errors stay errors.
pub fn unavailable_or<T>(r: Result<T, ProviderError>) -> Result<Result<T, String>, ProviderError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.is_unreachable() => Ok(Err(crate::render::error_chain(&e))),
        Err(e) => Err(e),
    }
}

/// GETs one management entity: `Some(body)`, or `None` when it does not exist.
pub async fn get_entity(
    c: &Client,
    path: &str,
    operation: &str,
) -> Result<Option<Value>, ProviderError> {
    let reply = c
        .expect(Method::GET, path, None, operation, &[200, 404])
        .await?;
    Ok((reply.status == 200).then_some(reply.body))
}

/// A string map from JSON (`properties`), non-strings as their JSON text.
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An entity's `entityVersion` (0 when absent).
pub fn version(v: &Value) -> i64 {
    v["entityVersion"].as_i64().unwrap_or(0)
}

/// Deletes (or revokes) what `path` names; already gone is fine: 404, or Polaris's 400
/// `GRANT_NOT_FOUND` for an assignment or grant that is not there.
pub async fn delete_gone_ok(c: &Client, path: &str, operation: &str) -> Result<(), ProviderError> {
    let reply = c.call(Method::DELETE, path, None, operation).await?;
    match reply.status {
        200 | 204 | 404 => Ok(()),
        400 if reply.body["error"]["type"] == "GRANT_NOT_FOUND" => Ok(()),
        _ => Err(super::client::api_error(operation, &reply, None)),
    }
}
