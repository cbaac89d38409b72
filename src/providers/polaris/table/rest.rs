//! A table's calls to the catalog's Iceberg REST API, through forge's Polaris
//! [`Client`] (its token cache, retries and error envelope): load, create, commit, drop.
//! Requests and replies use Iceberg's own types ([`Schema`], [`TableUpdate`],
//! [`TableRequirement`]), so their JSON is the REST spec's.

use iceberg::spec::Schema;
use iceberg::{TableRequirement, TableUpdate};
use reqwest::Method;
use serde_json::{Value, json};

use super::super::client::{Client, Reply, api_error, segment};
use super::super::namespace::ns_path;
use crate::provider::ProviderError;

/// Which table: the catalog's REST prefix, the namespace levels and the name.
#[derive(Debug, Clone, Copy)]
pub struct TableRef<'a> {
    /// The catalog's prefix (`GET /api/catalog/v1/config?warehouse=`).
    pub prefix: &'a str,
    /// Namespace levels.
    pub namespace: &'a [String],
    /// Table name.
    pub name: &'a str,
}

impl TableRef<'_> {
    /// `ns.table`, for messages.
    pub fn display(&self) -> String {
        format!("{}.{}", self.namespace.join("."), self.name)
    }

    fn path(&self) -> String {
        format!(
            "{}/tables/{}",
            ns_path(self.prefix, self.namespace),
            segment(self.name)
        )
    }
}

/// The table's `LoadTableResult` (`metadata-location`, `metadata`, `config`), or `None`
/// when it (or its namespace) does not exist.
pub async fn load(c: &Client, t: TableRef<'_>) -> Result<Option<Value>, ProviderError> {
    let reply = c
        .expect(
            Method::GET,
            &t.path(),
            None,
            &format!("load table {}", t.display()),
            &[200, 404],
        )
        .await?;
    Ok((reply.status == 200).then_some(reply.body))
}

/// Creates the table, unpartitioned, with `schema` and no data; `None` if it exists already.
pub async fn create(
    c: &Client,
    t: TableRef<'_>,
    schema: &Schema,
) -> Result<Option<Value>, ProviderError> {
    let operation = format!("create table {}", t.display());
    let body = json!({"name": t.name, "schema": schema});
    let path = format!("{}/tables", ns_path(t.prefix, t.namespace));
    let reply = c.call(Method::POST, &path, Some(&body), &operation).await?;
    match reply.status {
        200 => Ok(Some(reply.body)),
        409 => Ok(None),
        _ => Err(api_error(&operation, &reply, None)),
    }
}

/// Commits `updates` under `requirements`. `Err(reply)` is the server's 409: a
/// requirement no longer holds (someone else committed, or an earlier try of this very
/// commit went through before its answer was lost).
pub async fn commit(
    c: &Client,
    t: TableRef<'_>,
    requirements: &[TableRequirement],
    updates: &[TableUpdate],
) -> Result<Result<(), Reply>, ProviderError> {
    let operation = format!("commit a snapshot to table {}", t.display());
    let body = json!({"requirements": requirements, "updates": updates});
    let reply = c
        .call(Method::POST, &t.path(), Some(&body), &operation)
        .await?;
    match reply.status {
        200 => Ok(Ok(())),
        409 => Ok(Err(reply)),
        _ => Err(api_error(&operation, &reply, None)),
    }
}

/// Drops the table and its files (`purgeRequested=true`). A server that does not allow
/// purging (Polaris without `DROP_WITH_PURGE_ENABLED`) gets a plain drop instead, which
/// leaves the files in the bucket. Already gone is fine.
pub async fn drop(c: &Client, t: TableRef<'_>) -> Result<(), ProviderError> {
    let operation = format!("drop table {}", t.display());
    let purge = format!("{}?purgeRequested=true", t.path());
    let reply = c.call(Method::DELETE, &purge, None, &operation).await?;
    match reply.status {
        200 | 204 | 404 => Ok(()),
        400 | 403 if refuses_purge(&reply) => {
            c.expect(
                Method::DELETE,
                &t.path(),
                None,
                &operation,
                &[200, 204, 404],
            )
            .await?;
            Ok(())
        }
        _ => Err(api_error(&operation, &reply, None)),
    }
}

/// Whether a refusal is about purging (not about dropping at all).
fn refuses_purge(reply: &Reply) -> bool {
    reply.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.to_ascii_lowercase().contains("purge"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_paths_encode_every_level() {
        let ns = vec!["wild".to_string(), "li fe".to_string()];
        let t = TableRef {
            prefix: "cat",
            namespace: &ns,
            name: "pen/guins",
        };
        assert_eq!(
            t.path(),
            "/api/catalog/v1/cat/namespaces/wild%1Fli%20fe/tables/pen%2Fguins"
        );
        assert_eq!(t.display(), "wild.li fe.pen/guins");
    }

    #[test]
    fn only_a_refusal_that_names_purging_falls_back_to_a_plain_drop() {
        let reply = |m: &str| Reply {
            status: 403,
            body: json!({"error": {"message": m, "type": "ForbiddenException", "code": 403}}),
        };
        assert!(refuses_purge(&reply(
            "Unable to purge entity: To enable this feature, set the Polaris configuration DROP_WITH_PURGE_ENABLED"
        )));
        assert!(!refuses_purge(&reply("not authorized for op DROP_TABLE")));
    }
}
