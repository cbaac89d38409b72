//! Contract tests of the Polaris stand-in (issue 15) with clients we did not write: the
//! official `polaris` CLI (PyPI `apache-polaris` 1.8.0), pyiceberg 0.12 and duckdb 1.5.5
//! with the seed's settings; focused tests of the Polaris 1.7 rules the stand-in
//! implements; and tests of the harness itself (start-up, the spec checker, the fault proxy,
//! the foreground script). Every test ends by asserting that the stand-in's OpenAPI checks
//! found no violation. With `FORGE_TEST_POLARIS_URL` the same tests run against a real
//! Polaris, without the spec report (see `tests/support/peers/polaris.rs`). This module
//! holds the helpers the test files share.

mod cli;
mod clients;
mod harness;
mod rules;

use serde_json::{Value, json};

use crate::support::peers::polaris::PolarisPeer;
use crate::support::peers::polaris_py::{CliRun, cli_ok};

/// `polaris ARGS` as root in the test realm, which must succeed.
pub(super) fn root_cli(p: &PolarisPeer, args: &[&str]) -> CliRun {
    cli_ok(p.port, &p.realm, &p.root_id, &p.root_secret, args)
}

/// The JSON objects a CLI `list`/`get` printed, by `name`.
pub(super) fn names(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect()
}

/// The connection arguments of `tests/support/py/polaris_clients.py`.
pub(super) fn client_args(
    p: &PolarisPeer,
    catalog: &str,
    id: &str,
    secret: &str,
    extra: Value,
) -> Value {
    let mut a = json!({
        "uri": p.url, "catalog": catalog, "client_id": id, "client_secret": secret,
        "realm": p.realm, "s3_endpoint": p.s3.endpoint, "s3_key": p.s3.access_key,
        "s3_secret": p.s3.secret_key,
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
    a
}

/// Creates a table `ns.name` with one long column, as root, through the REST API.
pub(super) fn create_table(p: &PolarisPeer, catalog: &str, ns: &str, name: &str) {
    let body = json!({"name": name, "schema": {"type": "struct", "schema-id": 0, "fields": [
        {"id": 1, "name": "id", "type": "long", "required": false}]}});
    let r = p.call(
        &p.root_token(),
        "POST",
        &format!("/api/catalog/v1/{catalog}/namespaces/{ns}/tables"),
        Some(&body),
    );
    assert_eq!(r.status, 200, "create table {ns}.{name}: {}", r.text);
}

/// Creates a SQL view `ns.name`, as root, through the REST API.
pub(super) fn create_view(p: &PolarisPeer, catalog: &str, ns: &str, name: &str) {
    let body = json!({
        "name": name,
        "schema": {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "id", "type": "long", "required": false}]},
        "view-version": {"version-id": 1, "timestamp-ms": 1_700_000_000_000_u64, "schema-id": 0,
            "summary": {"engine-name": "forge-test"}, "default-namespace": [ns],
            "representations": [{"type": "sql", "sql": "select 1 as id", "dialect": "spark"}]},
        "properties": {}
    });
    let r = p.call(
        &p.root_token(),
        "POST",
        &format!("/api/catalog/v1/{catalog}/namespaces/{ns}/views"),
        Some(&body),
    );
    assert_eq!(r.status, 200, "create view {ns}.{name}: {}", r.text);
}
