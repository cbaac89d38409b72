//! Contract tests of the Polaris stand-in (issue 15) with clients we did not write: the
//! official `polaris` CLI (PyPI `apache-polaris` 1.8.0), pyiceberg 0.12 and duckdb 1.5.5
//! with the seed's settings; and focused tests of the Polaris 1.7 rules the stand-in
//! implements (entity versions, protected roles, who may rotate or reset credentials,
//! name validation, the error envelope, realms), one through the fault proxy. Every test
//! ends by asserting that the stand-in's OpenAPI checks found no violation. With
//! `FORGE_TEST_POLARIS_URL` the same tests run against a real Polaris, without the spec
//! report (see `tests/support/peers/polaris.rs`).

use serde_json::{Value, json};

use crate::support::peers::polaris::{PolarisPeer, polaris, urlencode};
use crate::support::peers::polaris_http::{send, try_send};
use crate::support::peers::polaris_py::{cli, cli_ok, clients};
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::unique;

/// `polaris ARGS` as root in the test realm, which must succeed.
fn root_cli(p: &PolarisPeer, args: &[&str]) -> crate::support::peers::polaris_py::CliRun {
    cli_ok(p.port, &p.realm, &p.root_id, &p.root_secret, args)
}

/// The JSON objects a CLI `list`/`get` printed, by `name`.
fn names(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect()
}

/// The connection arguments of `tests/support/py/polaris_clients.py`.
fn client_args(p: &PolarisPeer, catalog: &str, id: &str, secret: &str, extra: Value) -> Value {
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
fn create_table(p: &PolarisPeer, catalog: &str, ns: &str, name: &str) {
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
fn create_view(p: &PolarisPeer, catalog: &str, ns: &str, name: &str) {
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

#[test]
fn stand_in_starts_serves_the_prefix_and_reports() {
    let p = polaris();
    let cat = unique("cfg");
    p.create_catalog(&cat);
    let r = p.call(
        &p.root_token(),
        "GET",
        &format!("/api/catalog/v1/config?warehouse={cat}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["overrides"]["prefix"], json!(cat), "{}", r.text);
    assert_eq!(
        r.json()["defaults"]["default-base-location"],
        json!(format!("s3://{cat}"))
    );
    let missing = p.call(&p.root_token(), "GET", "/api/catalog/v1/config", None);
    assert_eq!(missing.status, 400, "{}", missing.text);
    if p.stand_in {
        let startup = p.startup.expect("the stand-in records its start-up");
        eprintln!(
            "polaris stand-in: ready {startup:?} after launch, RSS {} KiB, log {:?}",
            p.rss_kib().unwrap_or_default(),
            p.log
        );
    }
    p.assert_spec_clean("stand_in_starts_serves_the_prefix_and_reports");
}

#[test]
fn polaris_cli_creates_and_reads_back_every_entity_kind() {
    let p = polaris();
    let (cat, prin, prole, crole) = (
        unique("clicat"),
        unique("cliprin"),
        unique("cliprole"),
        unique("clicrole"),
    );
    crate::support::servers::boto3(p.s3, &format!("s3.create_bucket(Bucket='{cat}')"));
    let base = format!("s3://{cat}");
    root_cli(
        p,
        &[
            "catalogs",
            "create",
            "--storage-type",
            "s3",
            "--default-base-location",
            &base,
            "--allowed-location",
            &base,
            "--endpoint",
            &p.s3.endpoint,
            "--path-style-access",
            "--no-sts",
            "--region",
            "us-east-1",
            &cat,
        ],
    );
    let got = root_cli(p, &["catalogs", "get", &cat]).objects();
    assert_eq!(got.len(), 1, "{got:?}");
    let storage = &got[0]["storageConfigInfo"];
    assert_eq!(got[0]["properties"]["default-base-location"], json!(base));
    assert_eq!(storage["endpoint"], json!(p.s3.endpoint), "{got:?}");
    assert_eq!(storage["pathStyleAccess"], json!(true));
    assert_eq!(storage["stsUnavailable"], json!(true));
    assert!(names(&root_cli(p, &["catalogs", "list"]).objects()).contains(&cat));

    let created = root_cli(p, &["principals", "create", &prin]).objects();
    assert!(
        created[0]["clientSecret"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "the secret is answered on create: {created:?}"
    );
    let principal = root_cli(p, &["principals", "get", &prin]).stdout;
    assert!(principal.contains(&prin) && !principal.contains("clientSecret"));
    root_cli(
        p,
        &["principals", "update", &prin, "--set-property", "team=lake"],
    );
    let updated = root_cli(p, &["principals", "get", &prin]).objects();
    assert_eq!(updated[0]["properties"]["team"], json!("lake"));
    assert_eq!(updated[0]["entityVersion"], json!(2));

    root_cli(p, &["principal-roles", "create", &prole]);
    assert_eq!(
        names(&root_cli(p, &["principal-roles", "get", &prole]).objects()),
        [prole.as_str()]
    );
    root_cli(p, &["catalog-roles", "create", "--catalog", &cat, &crole]);
    assert_eq!(
        names(&root_cli(p, &["catalog-roles", "get", "--catalog", &cat, &crole]).objects()),
        [crole.as_str()]
    );
    root_cli(
        p,
        &["principal-roles", "grant", "--principal", &prin, &prole],
    );
    assert_eq!(
        names(&root_cli(p, &["principal-roles", "list", "--principal", &prin]).objects()),
        [prole.as_str()]
    );
    root_cli(
        p,
        &[
            "catalog-roles",
            "grant",
            "--catalog",
            &cat,
            "--principal-role",
            &prole,
            &crole,
        ],
    );
    assert_eq!(
        names(
            &root_cli(
                p,
                &["catalog-roles", "list", &cat, "--principal-role", &prole]
            )
            .objects()
        ),
        [crole.as_str()]
    );

    root_cli(p, &["namespaces", "create", "--catalog", &cat, "wildlife"]);
    let ns = root_cli(p, &["namespaces", "get", "--catalog", &cat, "wildlife"]).stdout;
    assert!(ns.contains("wildlife"), "{ns}");
    create_table(p, &cat, "wildlife", "penguins");
    create_view(p, &cat, "wildlife", "heavy");
    let table = root_cli(
        p,
        &[
            "tables",
            "get",
            "--catalog",
            &cat,
            "--namespace",
            "wildlife",
            "penguins",
        ],
    )
    .stdout;
    assert!(
        table.contains(&format!("s3://{cat}/wildlife/penguins")),
        "the table lives under the catalog's base location: {table}"
    );
    let views = root_cli(
        p,
        &[
            "views",
            "list",
            "--catalog",
            &cat,
            "--namespace",
            "wildlife",
        ],
    )
    .stdout;
    assert!(views.contains("heavy"), "{views}");

    let grant = |kind: &str, extra: &[&str], privilege: &str, verb: &str| {
        let mut args = vec![
            "privileges",
            kind,
            verb,
            "--catalog",
            &cat,
            "--catalog-role",
            &crole,
        ];
        args.extend_from_slice(extra);
        args.push(privilege);
        root_cli(p, &args);
    };
    grant("catalog", &[], "CATALOG_READ_PROPERTIES", "grant");
    grant(
        "namespace",
        &["--namespace", "wildlife"],
        "NAMESPACE_FULL_METADATA",
        "grant",
    );
    grant(
        "table",
        &["--namespace", "wildlife", "--table", "penguins"],
        "TABLE_WRITE_DATA",
        "grant",
    );
    grant(
        "view",
        &["--namespace", "wildlife", "--view", "heavy"],
        "VIEW_READ_PROPERTIES",
        "grant",
    );
    let listed = root_cli(
        p,
        &[
            "privileges",
            "list",
            "--catalog",
            &cat,
            "--catalog-role",
            &crole,
        ],
    )
    .objects();
    let expected = [
        json!({"type": "catalog", "privilege": "CATALOG_READ_PROPERTIES"}),
        json!({"type": "namespace", "namespace": ["wildlife"], "privilege": "NAMESPACE_FULL_METADATA"}),
        json!({"type": "table", "namespace": ["wildlife"], "tableName": "penguins", "privilege": "TABLE_WRITE_DATA"}),
        json!({"type": "view", "namespace": ["wildlife"], "viewName": "heavy", "privilege": "VIEW_READ_PROPERTIES"}),
    ];
    for e in &expected {
        assert!(listed.contains(e), "{e} not in {listed:?}");
    }
    assert_eq!(listed.len(), expected.len(), "{listed:?}");

    grant(
        "table",
        &["--namespace", "wildlife", "--table", "penguins"],
        "TABLE_WRITE_DATA",
        "revoke",
    );
    let after = root_cli(
        p,
        &[
            "privileges",
            "list",
            "--catalog",
            &cat,
            "--catalog-role",
            &crole,
        ],
    )
    .objects();
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(!after.contains(&expected[2]));

    root_cli(
        p,
        &[
            "catalog-roles",
            "revoke",
            "--catalog",
            &cat,
            "--principal-role",
            &prole,
            &crole,
        ],
    );
    root_cli(
        p,
        &["principal-roles", "revoke", "--principal", &prin, &prole],
    );
    assert!(
        root_cli(p, &["principal-roles", "list", "--principal", &prin])
            .objects()
            .is_empty()
    );
    root_cli(p, &["catalog-roles", "delete", "--catalog", &cat, &crole]);
    root_cli(p, &["principal-roles", "delete", &prole]);
    root_cli(p, &["principals", "delete", &prin]);
    let gone = cli(
        p.port,
        &p.realm,
        &p.root_id,
        &p.root_secret,
        &["principals", "get", &prin],
    );
    assert!(!gone.ok && gone.stderr.contains("NotFound"), "{gone:?}");
    p.assert_spec_clean("polaris_cli_creates_and_reads_back_every_entity_kind");
}

#[test]
fn polaris_cli_rotates_own_secret_and_only_root_resets() {
    let p = polaris();
    let (alice, bob) = (unique("alice"), unique("bob"));
    let a = root_cli(p, &["principals", "create", &alice]).objects()[0].clone();
    let b = root_cli(p, &["principals", "create", &bob]).objects()[0].clone();
    let (a_id, a_secret) = (
        a["clientId"].as_str().expect("clientId"),
        a["clientSecret"].as_str().expect("clientSecret"),
    );
    let b_id = b["clientId"].as_str().expect("clientId");
    let b_secret = b["clientSecret"].as_str().expect("clientSecret");

    // A principal rotates its own credentials: the new secret works, the old one no longer.
    let rotated = cli_ok(
        p.port,
        &p.realm,
        a_id,
        a_secret,
        &["principals", "rotate-credentials", &alice],
    )
    .objects();
    let new_secret = rotated[0]["clientSecret"].as_str().expect("new secret");
    assert_ne!(new_secret, a_secret);
    assert_eq!(rotated[0]["clientId"], json!(a_id));
    p.token(a_id, new_secret);
    let old = p
        .token_in(&p.realm, a_id, a_secret, "PRINCIPAL_ROLE:ALL")
        .expect_err("the old secret is refused");
    assert_eq!(old.status, 401, "{}", old.text);
    assert_eq!(old.json()["error"], json!("unauthorized_client"));

    // Nobody rotates another principal's credentials, not even root (Polaris 1.7: only the
    // principal itself; PRINCIPAL_ROTATE_CREDENTIALS is not implied by SERVICE_MANAGE_ACCESS).
    let by_root = cli(
        p.port,
        &p.realm,
        &p.root_id,
        &p.root_secret,
        &["principals", "rotate-credentials", &bob],
    );
    assert!(
        !by_root.ok && by_root.stderr.contains("ForbiddenException"),
        "{by_root:?}"
    );

    // Only root resets, optionally to chosen credentials; bob cannot reset even himself.
    let by_bob = cli(
        p.port,
        &p.realm,
        b_id,
        b_secret,
        &["principals", "reset", &bob],
    );
    assert!(
        !by_bob.ok && by_bob.stderr.contains("ForbiddenException"),
        "{by_bob:?}"
    );
    let chosen_id = unique("bobid");
    let reset = root_cli(
        p,
        &[
            "principals",
            "reset",
            &bob,
            "--new-client-id",
            &chosen_id,
            "--new-client-secret",
            "chosen-secret-1",
        ],
    )
    .objects();
    assert_eq!(reset[0]["clientId"], json!(chosen_id));
    assert_eq!(reset[0]["clientSecret"], json!("chosen-secret-1"));
    p.token(&chosen_id, "chosen-secret-1");
    assert!(
        p.token_in(&p.realm, b_id, b_secret, "PRINCIPAL_ROLE:ALL")
            .is_err()
    );
    // A client id another principal holds is a conflict.
    let clash = root_cli(p, &["principals", "get", &alice]).objects()[0]["clientId"].clone();
    let r = p.call(
        &p.root_token(),
        "POST",
        &format!("/api/management/v1/principals/{bob}/reset"),
        Some(&json!({"clientId": clash})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_type(), "AlreadyExistsException");
    p.assert_spec_clean("polaris_cli_rotates_own_secret_and_only_root_resets");
}

/// The setup file of the round trip. It is the fixed point of `setup apply` followed by
/// `setup export`: it lists what the realm's bootstrap and a catalog's creation add (root,
/// `service_admin`, `catalog_admin` and its two grants) and the fields export always writes.
fn setup_yaml(cat: &str, endpoint: &str) -> String {
    format!(
        "principals:
  analyst:
    type: service
    roles:
    - readers
  ingest:
    type: service
    roles:
    - writers
  root:
    type: service
    roles:
    - service_admin
principal_roles:
- readers
- service_admin
- writers
catalogs:
- name: {cat}
  type: internal
  storage_type: s3
  default_base_location: s3://{cat}
  allowed_locations:
  - s3://{cat}
  region: us-east-1
  endpoint: {endpoint}
  sts_unavailable: true
  kms_unavailable: false
  path_style_access: true
  roles:
    catalog_admin:
      assign_to:
      - service_admin
      privileges:
        catalog:
        - CATALOG_MANAGE_ACCESS
        - CATALOG_MANAGE_METADATA
    reader:
      assign_to:
      - readers
      privileges:
        catalog:
        - CATALOG_READ_PROPERTIES
        namespace:
        - namespace:
          - wildlife
          privileges:
          - NAMESPACE_FULL_METADATA
          - TABLE_READ_DATA
    writer:
      assign_to:
      - writers
      privileges:
        catalog:
        - CATALOG_MANAGE_CONTENT
  namespaces:
  - name:
    - wildlife
    properties:
      location: s3://{cat}/wildlife/
"
    )
}

#[test]
fn polaris_cli_setup_apply_then_export_gives_the_file_back() {
    let p = polaris();
    let Some(realm) = p.setup_realm.clone() else {
        eprintln!("skipped: FORGE_TEST_POLARIS_SETUP_REALM is not set for this Polaris");
        return;
    };
    // The setup realm is this test's alone: export lists everything in it.
    let cat = "setupcat";
    crate::support::servers::boto3(p.s3, &format!("s3.create_bucket(Bucket='{cat}')"));
    let yaml = setup_yaml(cat, &p.s3.endpoint);
    let dir = crate::support::process::scratch("polaris-setup");
    let file = dir.join("setup.yaml");
    std::fs::write(&file, &yaml).expect("write setup.yaml");
    let path = file.display().to_string();
    cli_ok(
        p.port,
        &realm,
        &p.root_id,
        &p.root_secret,
        &["setup", "apply", &path],
    );
    let exported = cli_ok(
        p.port,
        &realm,
        &p.root_id,
        &p.root_secret,
        &["setup", "export"],
    );
    assert_eq!(
        exported.stdout.trim_end(),
        yaml.trim_end(),
        "setup export differs from the applied file"
    );
    // Applying it again changes nothing: setup only creates what is missing.
    cli_ok(
        p.port,
        &realm,
        &p.root_id,
        &p.root_secret,
        &["setup", "apply", &path],
    );
    let again = cli_ok(
        p.port,
        &realm,
        &p.root_id,
        &p.root_secret,
        &["setup", "export"],
    );
    assert_eq!(again.stdout, exported.stdout);
    p.assert_spec_clean("polaris_cli_setup_apply_then_export_gives_the_file_back");
}

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

#[test]
fn updates_with_a_stale_entity_version_are_409() {
    let p = polaris();
    let root = p.root_token();
    let cat = unique("vercat");
    p.create_catalog(&cat);
    let path = format!("/api/management/v1/catalogs/{cat}");
    let current = p.call(&root, "GET", &path, None).json();
    assert_eq!(current["entityVersion"], json!(1));
    let update = |version: i64, props: Value| {
        p.call(
            &root,
            "PUT",
            &path,
            Some(&json!({"currentEntityVersion": version, "properties": props})),
        )
    };
    // properties replace the map; an absent default-base-location keeps the old one.
    let ok = update(1, json!({"owner": "lake"}));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["entityVersion"], json!(2));
    assert_eq!(
        ok.json()["properties"],
        json!({"owner": "lake", "default-base-location": format!("s3://{cat}")})
    );
    let stale = update(1, json!({"owner": "other"}));
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.error_type(), "CommitConflictException");
    assert_eq!(
        stale.json()["error"]["message"],
        json!("Failed to update Catalog; currentEntityVersion '2', expected '1'")
    );
    // The same rule for principals and both kinds of roles.
    let role = unique("verrole");
    let created = p.call(
        &root,
        "POST",
        "/api/management/v1/principal-roles",
        Some(&json!({"principalRole": {"name": role}})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let r = p.call(
        &root,
        "PUT",
        &format!("/api/management/v1/principal-roles/{role}"),
        Some(&json!({"currentEntityVersion": 7, "properties": {}})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    p.assert_spec_clean("updates_with_a_stale_entity_version_are_409");
}

#[test]
fn protected_roles_cannot_be_dropped_and_duplicates_conflict() {
    let p = polaris();
    let root = p.root_token();
    let cat = unique("protcat");
    p.create_catalog(&cat);
    let r = p.call(
        &root,
        "DELETE",
        "/api/management/v1/principal-roles/service_admin",
        None,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json()["error"]["message"],
        json!("Polaris service admin principal role cannot be dropped")
    );
    let r = p.call(
        &root,
        "DELETE",
        &format!("/api/management/v1/catalogs/{cat}/catalog-roles/catalog_admin"),
        None,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json()["error"]["message"],
        json!("Catalog admin role cannot be dropped")
    );
    // A second create of the same name is 409; a catalog with a role besides catalog_admin
    // cannot be dropped.
    let again = p.call(
        &root,
        "POST",
        "/api/management/v1/catalogs",
        Some(&crate::support::peers::polaris::catalog_body(
            &cat,
            &p.s3.endpoint,
        )),
    );
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.error_type(), "AlreadyExistsException");
    let created = p.call(
        &root,
        "POST",
        &format!("/api/management/v1/catalogs/{cat}/catalog-roles"),
        Some(&json!({"catalogRole": {"name": "extra"}})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let r = p.call(
        &root,
        "DELETE",
        &format!("/api/management/v1/catalogs/{cat}"),
        None,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.json()["error"]["message"],
        json!(format!(
            "Catalog '{cat}' cannot be dropped, it is not empty"
        ))
    );
    // Revoking a grant that does not exist is Polaris's 400 GRANT_NOT_FOUND.
    let r = p.call(
        &root,
        "POST",
        &format!("/api/management/v1/catalogs/{cat}/catalog-roles/extra/grants"),
        Some(&json!({"grant": {"type": "catalog", "privilege": "TABLE_CREATE"}})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_type(), "GRANT_NOT_FOUND");
    p.assert_spec_clean("protected_roles_cannot_be_dropped_and_duplicates_conflict");
}

#[test]
fn names_are_validated_as_polaris_1_7_does() {
    let p = polaris();
    let root = p.root_token();
    let cat = unique("namecat");
    p.create_catalog(&cat);
    // Catalog-API names go through Polaris 1.7's entity-name validator, before the catalog
    // is even looked up: a forbidden character is 400 on a catalog that does not exist.
    for (bad, why) in [
        ("a:b", "must not contain ':'"),
        ("..", "must not be '.' or '..'"),
        (" lead", "leading or trailing whitespace"),
    ] {
        for target in [cat.as_str(), "no-such-catalog"] {
            let r = p.call(
                &root,
                "POST",
                &format!("/api/catalog/v1/{target}/namespaces"),
                Some(&json!({"namespace": [bad], "properties": {}})),
            );
            assert_eq!(r.status, 400, "{bad:?} in {target}: {}", r.text);
            assert_eq!(r.error_type(), "IllegalArgumentException");
            assert!(r.text.contains(why), "{bad:?}: {}", r.text);
        }
    }
    let ok = p.call(
        &root,
        "POST",
        &format!("/api/catalog/v1/{cat}/namespaces"),
        Some(&json!({"namespace": ["fine-name_1"], "properties": {}})),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    let r = p.call(
        &root,
        "POST",
        &format!("/api/catalog/v1/{cat}/namespaces/fine-name_1/tables"),
        Some(&json!({"name": "t#1", "schema": {"type": "struct", "fields": []}})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    // Management names only meet the spec's pattern, ^(?!\s*[sS][yY][sS][tT][eE][mM]\$).*$,
    // whose `\$` is a literal dollar: "system" itself is a valid principal-role name,
    // "System$x" is not (400, Polaris's ConstraintViolationException). The off-spec request
    // is announced to the checker, which must flag it.
    let created = p.call(
        &root,
        "POST",
        "/api/management/v1/principal-roles",
        Some(&json!({"principalRole": {"name": unique("system")}})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let plain = p.call(
        &root,
        "POST",
        "/api/management/v1/principal-roles",
        Some(&json!({"principalRole": {"name": "system"}})),
    );
    assert!(
        plain.status == 201 || plain.status == 409,
        "\"system\" passes the pattern: {}",
        plain.text
    );
    if p.stand_in {
        let auth = format!("Bearer {root}");
        let r = send(
            p.port,
            "POST",
            "/api/management/v1/principal-roles",
            &[
                ("Authorization", &auth),
                ("Polaris-Realm", &p.realm),
                ("Content-Type", "application/json"),
                ("X-Forge-Expect-Violation", "request"),
            ],
            Some(br#"{"principalRole":{"name":"System$x"}}"#),
        );
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.error_type(), "ConstraintViolationException");
    }
    p.assert_spec_clean("names_are_validated_as_polaris_1_7_does");
}

#[test]
fn errors_use_polaris_envelope_and_statuses() {
    let p = polaris();
    let root = p.root_token();
    // Unknown entity: 404 with {"error":{"message","type","code"}}.
    let r = p.call(
        &root,
        "GET",
        "/api/management/v1/catalogs/no-such-catalog",
        None,
    );
    assert_eq!(r.status, 404, "{}", r.text);
    let e = &r.json()["error"];
    assert_eq!(e["code"], json!(404));
    assert_eq!(e["type"], json!("NotFoundException"));
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-catalog"))
    );
    // No or a bad token: 401. (The validator library does not check the management
    // document's oauth2 security requirement, so the missing header is no spec finding.)
    let r = send(p.port, "GET", "/api/management/v1/catalogs", &[], None);
    assert_eq!(r.status, 401, "{}", r.text);
    let r = p.call("not-a-token", "GET", "/api/management/v1/principals", None);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.error_type(), "NotAuthorizedException");
    // The token endpoint answers in OAuth's own error shape.
    let wrong = p
        .token_in(&p.realm, &p.root_id, "wrong-secret", "PRINCIPAL_ROLE:ALL")
        .expect_err("a wrong secret is refused");
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json(),
        json!({"error": "unauthorized_client", "error_description": "The client is not authorized"})
    );
    let scope = p
        .token_in(&p.realm, &p.root_id, &p.root_secret, "catalog")
        .expect_err("a scope without PRINCIPAL_ROLE: is refused");
    assert_eq!(scope.status, 400);
    assert_eq!(scope.json()["error"], json!("invalid_scope"));
    // An unknown realm: 404 MissingOrInvalidRealm.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=PRINCIPAL_ROLE%3AALL",
        urlencode(&p.root_id),
        urlencode(&p.root_secret)
    );
    let r = send(
        p.port,
        "POST",
        "/api/catalog/v1/oauth/tokens",
        &[
            ("Polaris-Realm", "NO_SUCH_REALM"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    );
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.error_type(), "MissingOrInvalidRealm");
    // A principal with no grants is 403 on management calls.
    let nobody = unique("nobody");
    let c = p.call(
        &root,
        "POST",
        "/api/management/v1/principals",
        Some(&json!({"principal": {"name": nobody}})),
    );
    let creds = &c.json()["credentials"];
    let token = p.token(
        creds["clientId"].as_str().expect("clientId"),
        creds["clientSecret"].as_str().expect("clientSecret"),
    );
    let r = p.call(&token, "GET", "/api/management/v1/catalogs", None);
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_type(), "ForbiddenException");
    p.assert_spec_clean("errors_use_polaris_envelope_and_statuses");
}

#[test]
fn spec_checker_flags_an_off_spec_request() {
    let p = polaris();
    if !p.stand_in {
        eprintln!("skipped: a real Polaris has no spec checker");
        return;
    }
    let root = p.root_token();
    let auth = format!("Bearer {root}");
    // `storageType` must be one of S3, GCS, AZURE, FILE and `properties` is required.
    let body = br#"{"catalog":{"name":"off-spec","type":"INTERNAL","storageConfigInfo":{"storageType":"FTP"}}}"#;
    let r = send(
        p.port,
        "POST",
        "/api/management/v1/catalogs",
        &[
            ("Authorization", &auth),
            ("Polaris-Realm", &p.realm),
            ("Content-Type", "application/json"),
            ("X-Forge-Expect-Violation", "request"),
        ],
        Some(body),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let report = p.spec_report().expect("the stand-in reports");
    let flagged: Vec<&Value> = report["expected"]
        .as_array()
        .expect("expected findings")
        .iter()
        .filter(|f| f["path"] == json!("/api/management/v1/catalogs") && f["method"] == "POST")
        .collect();
    assert!(!flagged.is_empty(), "not flagged: {report}");
    let messages = flagged
        .iter()
        .flat_map(|f| f["messages"].as_array().cloned().unwrap_or_default())
        .map(|m| m.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        messages.contains("FTP") && messages.contains("properties"),
        "{messages}"
    );
    p.assert_spec_clean("spec_checker_flags_an_off_spec_request");
}

#[test]
fn faults_between_client_and_polaris_reach_the_client() {
    let p = polaris();
    let proxy = FaultProxy::start(p.port);
    let cat = unique("faultcat");
    p.create_catalog(&cat);
    let list = |port: u16| {
        cli(
            port,
            &p.realm,
            &p.root_id,
            &p.root_secret,
            &["catalogs", "list"],
        )
    };
    // A 503 and a 429 from "the network" reach the CLI as errors; the stand-in never saw them.
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::Status(
            503,
            r#"{"error":{"message":"injected","type":"ServiceUnavailable","code":503}}"#.into(),
        ),
    );
    let failed = list(proxy.port);
    assert!(
        !failed.ok && failed.stderr.contains("ServiceUnavailable: injected"),
        "{failed:?}"
    );
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::TooManyRequests,
    );
    let limited = list(proxy.port);
    assert!(
        !limited.ok && limited.stderr.contains("TooManyRequests"),
        "{limited:?}"
    );
    // A connection cut in the middle of the body is an error, not a short list.
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::ResetMidBody,
    );
    let auth = format!("Bearer {}", p.root_token());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Polaris-Realm", p.realm.as_str()),
    ];
    let cut = try_send(
        proxy.port,
        "GET",
        "/api/management/v1/catalogs",
        &headers,
        None,
    );
    assert!(
        cut.as_ref().is_err() || cut.as_ref().is_ok_and(|r| r.json().is_null()),
        "a cut body must not parse: {cut:?}"
    );
    // Latency only slows it down; then the same calls work through the proxy.
    proxy.add(
        None,
        "/api/management/v1/catalogs",
        Some(1),
        Fault::Latency(std::time::Duration::from_millis(300)),
    );
    let ok = list(proxy.port);
    assert!(ok.ok, "{ok:?}");
    assert!(names(&ok.objects()).contains(&cat));
    assert!(proxy.count("GET", "/api/management/v1/catalogs") >= 4);
    p.assert_spec_clean("faults_between_client_and_polaris_reach_the_client");
}

#[test]
fn foreground_script_prints_one_ready_line_and_stops_on_sigterm() {
    let p = polaris();
    if !p.stand_in {
        eprintln!("skipped: the foreground script is the stand-in's");
        return;
    }
    // A second stand-in, run as a person would: the script in the foreground, stdout and
    // stderr apart. The guard's stop is the SIGTERM (bash execs the script, which execs Java).
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/polaris-stand-in.sh"
    );
    let dir = crate::support::process::scratch("polaris-foreground");
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let port = crate::support::process::free_port();
    let root = format!("{}:{}", p.root_id, p.root_secret);
    let mut args: Vec<String> = vec![
        "-c".into(),
        format!(
            "exec \"$0\" \"$@\" > '{}' 2> '{}'",
            out.display(),
            err.display()
        ),
        script.into(),
    ];
    args.extend(
        [
            "--port",
            &port.to_string(),
            "--realm",
            "SOLO",
            "--root",
            &root,
            "--s3-endpoint",
            &p.s3.endpoint,
            "--s3-access-key",
            &p.s3.access_key,
            "--s3-secret-key",
            &p.s3.secret_key,
            "--token-lifetime",
            "2",
        ]
        .map(String::from),
    );
    let mut process = crate::support::process::Guarded::spawn(
        "polaris-stand-in (foreground)",
        std::path::Path::new("bash"),
        &args,
        &[],
        &dir,
        dir.join("guard.log"),
    );
    let ready = format!("ready http://127.0.0.1:{port}");
    process.wait_ready(std::time::Duration::from_secs(300), || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains(&ready))
    });
    let health = send(port, "GET", "/_standin/health", &[], None);
    assert_eq!(health.json()["status"], json!("UP"), "{}", health.text);
    // It serves its own realm with the root credentials it was given.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=PRINCIPAL_ROLE%3AALL",
        urlencode(&p.root_id),
        urlencode(&p.root_secret)
    );
    let token = send(
        port,
        "POST",
        "/api/catalog/v1/oauth/tokens",
        &[
            ("Polaris-Realm", "SOLO"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    );
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.json()["expires_in"], json!(2), "{}", token.text);
    let bearer = format!(
        "Bearer {}",
        token.json()["access_token"].as_str().expect("access_token")
    );
    let catalogs = || {
        send(
            port,
            "GET",
            "/api/management/v1/catalogs",
            &[("Authorization", &bearer), ("Polaris-Realm", "SOLO")],
            None,
        )
    };
    assert_eq!(catalogs().status, 200);
    // Tokens expire (--token-lifetime 2): the same call is 401 afterwards.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let expired = catalogs();
    assert_eq!(expired.status, 401, "{}", expired.text);
    assert_eq!(expired.error_type(), "NotAuthorizedException");
    let report = send(port, "GET", "/_standin/spec-report", &[], None).json();
    assert_eq!(report["violations"], json!([]), "{report}");
    assert_eq!(
        report["checks"],
        json!(6),
        "three calls, each checked both ways: {report}"
    );
    let t0 = std::time::Instant::now();
    process.stop();
    let stopped = t0.elapsed();
    let stdout = std::fs::read_to_string(&out).expect("stdout file");
    assert_eq!(stdout, format!("{ready}\n"), "exactly one line on stdout");
    let stderr = std::fs::read_to_string(&err).expect("stderr file");
    assert!(
        stderr.contains("polaris-stand-in: stopped;"),
        "the JVM's shutdown hook ran on SIGTERM:\n{stderr}"
    );
    assert!(
        crate::support::http::get_status(port, "/_standin/health").is_none(),
        "nothing serves on {port} any more"
    );
    eprintln!("foreground stand-in stopped {stopped:?} after SIGTERM");
}

#[test]
fn privileges_follow_polaris_hierarchy_paths_and_token_scope() {
    let p = polaris();
    let root = p.root_token();
    let (cat, prin, writer, idle, crole) = (
        unique("authzcat"),
        unique("authzprin"),
        unique("authzwriter"),
        unique("authzidle"),
        unique("authzcrole"),
    );
    p.create_catalog(&cat);
    let ok = |method: &str, path: &str, body: Value| {
        let r = p.call(&root, method, path, Some(&body));
        assert!(
            r.status / 100 == 2,
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
        r.json()
    };
    let m = "/api/management/v1";
    let creds = ok(
        "POST",
        &format!("{m}/principals"),
        json!({"principal": {"name": prin}}),
    );
    let (id, secret) = (
        creds["credentials"]["clientId"].as_str().expect("clientId"),
        creds["credentials"]["clientSecret"]
            .as_str()
            .expect("clientSecret"),
    );
    for role in [&writer, &idle] {
        ok(
            "POST",
            &format!("{m}/principal-roles"),
            json!({"principalRole": {"name": role}}),
        );
        ok(
            "PUT",
            &format!("{m}/principals/{prin}/principal-roles"),
            json!({"principalRole": {"name": role}}),
        );
    }
    ok(
        "POST",
        &format!("{m}/catalogs/{cat}/catalog-roles"),
        json!({"catalogRole": {"name": crole}}),
    );
    ok(
        "PUT",
        &format!("{m}/principal-roles/{writer}/catalog-roles/{cat}"),
        json!({"catalogRole": {"name": crole}}),
    );
    let grants = format!("{m}/catalogs/{cat}/catalog-roles/{crole}/grants");
    for ns in ["granted", "other"] {
        ok(
            "POST",
            &format!("/api/catalog/v1/{cat}/namespaces"),
            json!({"namespace": [ns], "properties": {}}),
        );
    }
    // TABLE_CREATE on one namespace: tables there, not in the other namespace.
    ok(
        "PUT",
        &grants,
        json!({"grant": {"type": "namespace", "namespace": ["granted"], "privilege": "TABLE_CREATE"}}),
    );
    let create = |token: &str, ns: &str, name: &str| {
        let body = json!({"name": name, "schema": {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "id", "type": "long", "required": false}]}});
        p.call(
            token,
            "POST",
            &format!("/api/catalog/v1/{cat}/namespaces/{ns}/tables"),
            Some(&body),
        )
        .status
    };
    let all = p.token(id, secret);
    assert_eq!(create(&all, "granted", "t1"), 200);
    assert_eq!(create(&all, "other", "t1"), 403);
    // The token's scope picks the principal roles: only `idle` activated, nothing allowed.
    let idle_only = p
        .token_in(&p.realm, id, secret, &format!("PRINCIPAL_ROLE:{idle}"))
        .expect("a scoped token");
    assert_eq!(create(&idle_only, "granted", "t2"), 403);
    let writer_only = p
        .token_in(&p.realm, id, secret, &format!("PRINCIPAL_ROLE:{writer}"))
        .expect("a scoped token");
    assert_eq!(create(&writer_only, "granted", "t2"), 200);
    // TABLE_READ_DATA on a table implies reading its metadata, not committing to it.
    let load = |token: &str| {
        p.call(
            token,
            "GET",
            &format!("/api/catalog/v1/{cat}/namespaces/granted/tables/t1"),
            None,
        )
    };
    assert_eq!(load(&all).status, 403, "no read privilege yet");
    ok(
        "PUT",
        &grants,
        json!({"grant": {"type": "table", "namespace": ["granted"], "tableName": "t1", "privilege": "TABLE_READ_DATA"}}),
    );
    let loaded = load(&all);
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    let commit = p.call(
        &all,
        "POST",
        &format!("/api/catalog/v1/{cat}/namespaces/granted/tables/t1"),
        Some(&json!({"requirements": [], "updates": [
            {"action": "set-properties", "updates": {"owner": "lake"}}]})),
    );
    assert_eq!(commit.status, 403, "{}", commit.text);
    assert!(
        commit.text.contains("UPDATE_TABLE"),
        "Polaris names the operation: {}",
        commit.text
    );
    // CATALOG_MANAGE_CONTENT on the catalog implies all of it.
    ok(
        "PUT",
        &grants,
        json!({"grant": {"type": "catalog", "privilege": "CATALOG_MANAGE_CONTENT"}}),
    );
    assert_eq!(create(&all, "other", "t3"), 200);
    let commit = p.call(
        &all,
        "POST",
        &format!("/api/catalog/v1/{cat}/namespaces/granted/tables/t1"),
        Some(&json!({"requirements": [], "updates": [
            {"action": "set-properties", "updates": {"owner": "lake"}}]})),
    );
    assert_eq!(commit.status, 200, "{}", commit.text);
    assert_eq!(
        commit.json()["metadata"]["properties"]["owner"],
        json!("lake")
    );
    p.assert_spec_clean("privileges_follow_polaris_hierarchy_paths_and_token_scope");
}
