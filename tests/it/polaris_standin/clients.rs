//! pyiceberg 0.12 and duckdb 1.5.5 (with its iceberg extension) against the stand-in, with
//! the seed's settings: a principal with grants writes and reads a table, the same principal
//! without them is refused, duckdb ATTACHes the catalog and SELECTs.

use serde_json::{Value, json};

use crate::support::peers::polaris::polaris;
use crate::support::peers::polaris_py::clients;
use crate::support::servers::unique;

use super::client_args;

#[test]
fn pyiceberg_writes_and_reads_with_grants_and_is_refused_without() {
    let p = polaris();
    let (cat, prin, prole, crole) = (
        unique("pyicat"),
        unique("pyiprin"),
        unique("pyiprole"),
        unique("pyicrole"),
    );
    p.create_catalog(&cat);
    let root = p.root_token();
    let mgmt = |method: &str, path: &str, body: Value| {
        let r = p.call(
            &root,
            method,
            &format!("/api/management/v1{path}"),
            Some(&body),
        );
        assert!(
            r.status / 100 == 2,
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
        r.json()
    };
    let creds = mgmt("POST", "/principals", json!({"principal": {"name": prin}}));
    let id = creds["credentials"]["clientId"]
        .as_str()
        .expect("clientId")
        .to_string();
    let secret = creds["credentials"]["clientSecret"]
        .as_str()
        .expect("clientSecret")
        .to_string();
    mgmt(
        "POST",
        "/principal-roles",
        json!({"principalRole": {"name": prole}}),
    );
    mgmt(
        "PUT",
        &format!("/principals/{prin}/principal-roles"),
        json!({"principalRole": {"name": prole}}),
    );
    mgmt(
        "POST",
        &format!("/catalogs/{cat}/catalog-roles"),
        json!({"catalogRole": {"name": crole}}),
    );
    mgmt(
        "PUT",
        &format!("/principal-roles/{prole}/catalog-roles/{cat}"),
        json!({"catalogRole": {"name": crole}}),
    );
    let args = client_args(
        p,
        &cat,
        &id,
        &secret,
        json!({"namespace": "zoo", "table": "animals", "rows": 25}),
    );

    // Without grants: refused with 403 (pyiceberg's ForbiddenError).
    let refused = clients("pyiceberg-write", &args);
    assert_eq!(refused["ok"], json!(false), "{refused}");
    assert_eq!(refused["error"], json!("ForbiddenError"), "{refused}");

    // With CATALOG_MANAGE_CONTENT the same principal creates, appends and reads back.
    let grants = format!("/catalogs/{cat}/catalog-roles/{crole}/grants");
    mgmt(
        "PUT",
        &grants,
        json!({"grant": {"type": "catalog", "privilege": "CATALOG_MANAGE_CONTENT"}}),
    );
    let wrote = clients("pyiceberg-write", &args);
    assert_eq!(wrote["ok"], json!(true), "{wrote}");
    assert_eq!(wrote["rows"], json!(25));
    assert_eq!(wrote["location"], json!(format!("s3://{cat}/zoo/animals")));
    let read = clients("pyiceberg-read", &args);
    assert_eq!(read["rows"], json!(25), "{read}");
    assert_eq!(read["ids"], json!((0..25).collect::<Vec<_>>()));

    // Revoked again, reading is refused: grants take effect on the next request.
    let r = p.call(
        &root,
        "POST",
        &format!("/api/management/v1{grants}"),
        Some(&json!({"grant": {"type": "catalog", "privilege": "CATALOG_MANAGE_CONTENT"}})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let refused = clients("pyiceberg-read", &args);
    assert_eq!(refused["error"], json!("ForbiddenError"), "{refused}");
    p.assert_spec_clean("pyiceberg_writes_and_reads_with_grants_and_is_refused_without");
}

#[test]
fn duckdb_attaches_the_catalog_like_the_seed_and_selects() {
    let p = polaris();
    let cat = unique("duckcat");
    p.create_catalog(&cat);
    let args = client_args(
        p,
        &cat,
        &p.root_id,
        &p.root_secret,
        json!({"namespace": "wildlife", "table": "penguins", "rows": 44}),
    );
    let wrote = clients("pyiceberg-write", &args);
    assert_eq!(wrote["ok"], json!(true), "{wrote}");
    let mut query = args.clone();
    query["sql"] = json!(
        "select count(*), min(id), max(id), count(distinct species) from polaris_catalog.wildlife.penguins"
    );
    let out = clients("duck", &query);
    assert_eq!(out["rows"], json!([[44, 0, 43, 3]]), "{out}");
    p.assert_spec_clean("duckdb_attaches_the_catalog_like_the_seed_and_selects");
}
