//! Catalog as code against the Polaris stand-in (or a real Polaris with
//! `FORGE_TEST_POLARIS_URL`): the real `forge` binary applies a catalog section, and
//! clients forge did not write — the official `polaris` CLI, pyiceberg — check what it
//! made: entities, the credentials file, and grants that let one principal create a table
//! while another gets 403. Then a no-op plan, changes and drift shown exactly, import of
//! entities made by `polaris setup apply`, faults, and a destroy that leaves only what
//! Polaris protects.

use serde_json::{Value, json};

use crate::support::forge::{Project, Run};
use crate::support::peers::polaris::{PolarisPeer, polaris};
use crate::support::peers::polaris_py::{cli, cli_ok, clients};
use crate::support::servers::unique;

/// Names of one test's entities, unique in the shared Polaris.
pub(crate) struct Names {
    pub(crate) catalog: String,
    pub(crate) principal: String,
    reader: String,
    principal_role: String,
    catalog_role: String,
}

impl Names {
    pub(crate) fn new(tag: &str) -> Self {
        let u = unique(tag).replace('-', "_");
        Self {
            catalog: unique(tag),
            principal: format!("{u}_user"),
            reader: format!("{u}_reader"),
            principal_role: format!("{u}_admin"),
            catalog_role: format!("{u}_sudo"),
        }
    }
}

/// A forge.yaml for `catalog_section` against the peer, its bucket on the peer's s3s-fs.
pub(crate) fn yaml(p: &PolarisPeer, catalog_section: &str) -> String {
    format!(
        "version: 1\nproject: ptest\nstores:\n  - name: local\n    endpoint: {}\n    access_key: {{env: TEST_S3_KEY}}\n    secret_key: {{env: TEST_S3_SECRET}}\ncatalog:\n  url: {}\n  realm: {}\n  client_id: {}\n  client_secret: {{env: TEST_POLARIS_SECRET}}\n{catalog_section}",
        p.s3.endpoint, p.url, p.realm, p.root_id
    )
}

/// The seed's setup: a catalog, a principal with a role chain ending in
/// CATALOG_MANAGE_CONTENT, a namespace; plus a principal without any role.
pub(crate) fn seed_section(n: &Names) -> String {
    format!(
        "  catalogs:\n    - name: {c}\n  principals:\n    - name: {p}\n      roles: [{pr}]\n      credentials_file: work/principal.txt\n    - name: {r}\n  principal_roles:\n    - name: {pr}\n      catalog_roles: [{{catalog: {c}, role: {cr}}}]\n  catalog_roles:\n    - catalog: {c}\n      name: {cr}\n      privileges: [CATALOG_MANAGE_CONTENT]\n  namespaces:\n    - catalog: {c}\n      name: wildlife\n      properties: {{owner: forge}}\n",
        c = n.catalog,
        p = n.principal,
        r = n.reader,
        pr = n.principal_role,
        cr = n.catalog_role
    )
}

pub(crate) fn run(p: &Project, peer: &PolarisPeer, args: &[&str]) -> Run {
    p.cmd(args)
        .env("TEST_S3_KEY", &peer.s3.access_key)
        .env("TEST_S3_SECRET", &peer.s3.secret_key)
        .env("TEST_POLARIS_SECRET", &peer.root_secret)
        .output()
        .expect("forge")
        .into()
}

fn root(peer: &PolarisPeer, args: &[&str]) -> Vec<Value> {
    cli_ok(
        peer.port,
        &peer.realm,
        &peer.root_id,
        &peer.root_secret,
        args,
    )
    .objects()
}

/// The connection arguments of the Python clients, as `id:secret`.
pub(crate) fn client_args(
    peer: &PolarisPeer,
    catalog: &str,
    id: &str,
    secret: &str,
    extra: Value,
) -> Value {
    let mut a = json!({
        "uri": peer.url, "catalog": catalog, "client_id": id, "client_secret": secret,
        "realm": peer.realm, "s3_endpoint": peer.s3.endpoint, "s3_key": peer.s3.access_key,
        "s3_secret": peer.s3.secret_key,
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
    a
}

#[test]
fn the_seeds_catalog_setup_applies_reads_back_and_grants_work() {
    let peer = polaris();
    let n = Names::new("pcat");
    let p = Project::new(&yaml(peer, &seed_section(&n)));
    let r = run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);

    // The official CLI sees every entity forge made.
    let cat = root(peer, &["catalogs", "get", &n.catalog]);
    assert_eq!(
        cat[0]["properties"]["default-base-location"],
        format!("s3://{}", n.catalog)
    );
    assert_eq!(cat[0]["storageConfigInfo"]["stsUnavailable"], true);
    assert_eq!(
        root(peer, &["principals", "get", &n.principal])[0]["name"],
        n.principal
    );
    assert_eq!(
        root(peer, &["principal-roles", "get", &n.principal_role])[0]["name"],
        n.principal_role
    );
    let roles = root(
        peer,
        &[
            "catalog-roles",
            "get",
            "--catalog",
            &n.catalog,
            &n.catalog_role,
        ],
    );
    assert_eq!(roles[0]["name"], n.catalog_role);
    let privileges = root(
        peer,
        &[
            "privileges",
            "list",
            "--catalog",
            &n.catalog,
            "--catalog-role",
            &n.catalog_role,
        ],
    );
    let text = serde_json::to_string(&privileges).expect("json");
    assert!(text.contains("CATALOG_MANAGE_CONTENT"), "{text}");
    let namespaces = root(peer, &["namespaces", "list", "--catalog", &n.catalog]);
    assert!(
        serde_json::to_string(&namespaces)
            .expect("json")
            .contains("wildlife"),
        "{namespaces:?}"
    );

    // The credentials file: the seed's format, mode 0600, and it works.
    let file = p.path().join("work/principal.txt");
    let creds = std::fs::read_to_string(&file).expect("credentials file");
    let parts: Vec<&str> = creds.split(',').collect();
    assert_eq!(parts.len(), 3, "{creds}");
    assert_eq!(parts[0], peer.realm);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !r.stdout.contains(parts[2]) && !r.stderr.contains(parts[2]),
        "the secret leaked"
    );
    let state = std::fs::read_to_string(p.state_path()).expect("state");
    assert!(state.contains(parts[2]), "the secret is kept in state");
    let show = run(
        &p,
        peer,
        &[
            "state",
            "show",
            &format!("polaris_principal.{}", n.principal),
        ],
    );
    assert!(
        show.stdout.contains("(sensitive)") && !show.stdout.contains(parts[2]),
        "{}",
        show.stdout
    );

    // The grants forge declared work: the principal creates and fills a table ...
    let wrote = clients(
        "pyiceberg-write",
        &client_args(
            peer,
            &n.catalog,
            parts[1],
            parts[2],
            json!({"namespace": "wildlife", "table": "penguins", "rows": 3}),
        ),
    );
    assert_eq!(wrote["ok"], true, "{wrote}");
    // ... a principal without roles is refused.
    let reader = run(
        &p,
        peer,
        &["state", "show", &format!("polaris_principal.{}", n.reader)],
    );
    assert!(reader.stdout.contains("client_id"), "{}", reader.stdout);
    let reader_state: Value = serde_json::from_str(&state).expect("state json");
    let rs = &reader_state["resources"][format!("polaris_principal.{}", n.reader)]["attributes"];
    let refused = clients(
        "pyiceberg-write",
        &client_args(
            peer,
            &n.catalog,
            rs["client_id"].as_str().expect("id"),
            rs["client_secret"].as_str().expect("secret"),
            json!({"namespace": "wildlife", "table": "nope", "rows": 1}),
        ),
    );
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(
        refused["message"].as_str().unwrap_or("").contains("403")
            || refused["error"]
                .as_str()
                .unwrap_or("")
                .contains("Forbidden"),
        "{refused}"
    );

    // Nothing to do now.
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // A table forge does not manage stops the destroy of its catalog, with the list.
    let r = run(&p, peer, &["destroy", "--auto-approve"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("table penguins"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(
        root(peer, &["catalogs", "get", &n.catalog])[0]["name"],
        n.catalog
    );
    let drop = peer.call(
        &peer.root_token(),
        "DELETE",
        &format!(
            "/api/catalog/v1/{}/namespaces/wildlife/tables/penguins",
            n.catalog
        ),
        None,
    );
    assert_eq!(drop.status, 204, "{}", drop.text);
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
    let gone = cli(
        peer.port,
        &peer.realm,
        &peer.root_id,
        &peer.root_secret,
        &["catalogs", "get", &n.catalog],
    );
    assert!(!gone.ok, "the catalog is gone");
    assert!(
        !file.exists(),
        "the credentials of a deleted principal are removed"
    );
    assert_eq!(
        root(peer, &["principals", "get", "root"])[0]["name"],
        "root",
        "root is never touched"
    );
    peer.assert_spec_clean("catalog as code");
}

#[test]
fn changes_and_hand_edits_show_exactly_and_apply_converges() {
    let peer = polaris();
    let n = Names::new("pchg");
    let p = Project::new(&yaml(peer, &seed_section(&n)));
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);

    // forge.yaml changes: one more privilege, a namespace property, a role removed.
    let changed = seed_section(&n)
        .replace(
            "privileges: [CATALOG_MANAGE_CONTENT]",
            "privileges: [CATALOG_MANAGE_CONTENT, TABLE_READ_DATA]",
        )
        .replace(
            "properties: {owner: forge}",
            "properties: {owner: data-team}",
        )
        .replace(&format!("      roles: [{}]\n", n.principal_role), "");
    p.write(&yaml(peer, &changed));
    // ... and a hand edit of the catalog through the API (drift).
    let token = peer.root_token();
    let cat = peer.call(
        &token,
        "GET",
        &format!("/api/management/v1/catalogs/{}", n.catalog),
        None,
    );
    let version = cat.json()["entityVersion"].clone();
    let edit = json!({"currentEntityVersion": version, "properties": {"default-base-location": format!("s3://{}", n.catalog), "hand": "edited"}});
    let r = peer.call(
        &token,
        "PUT",
        &format!("/api/management/v1/catalogs/{}", n.catalog),
        Some(&edit),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let out = &plan.stdout;
    assert!(
        out.contains(&format!("polaris_catalog.{} will be updated", n.catalog)),
        "{out}"
    );
    assert!(
        out.contains("properties.hand"),
        "the hand edit is shown: {out}"
    );
    assert!(
        out.contains("catalog TABLE_READ_DATA"),
        "the new grant, on a line of its own: {out}"
    );
    assert!(out.contains("data-team"), "{out}");
    assert!(
        out.contains(&format!(
            "polaris_principal_role_assignment.{}/{} will be destroyed",
            n.principal, n.principal_role
        )),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 3 to change, 1 to destroy."),
        "{out}"
    );

    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);
    let cat = root(peer, &["catalogs", "get", &n.catalog]);
    assert!(cat[0]["properties"].get("hand").is_none(), "{cat:?}");
    let held = peer.call(
        &peer.root_token(),
        "GET",
        &format!(
            "/api/management/v1/principals/{}/principal-roles",
            n.principal
        ),
        None,
    );
    assert!(!held.text.contains(&n.principal_role), "{}", held.text);
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
    peer.assert_spec_clean("changes and drift");
}

#[test]
fn entities_made_by_polaris_setup_apply_are_imported_with_no_other_change() {
    let peer = polaris();
    let n = Names::new("pimp");
    peer.create_catalog(&n.catalog);
    let dir = tempfile::tempdir().expect("tmp");
    let setup = dir.path().join("setup.yaml");
    std::fs::write(
        &setup,
        format!(
            "principal_roles:\n  - {pr}\nprincipals:\n  {p}:\n    roles:\n      - {pr}\ncatalogs:\n  - name: {c}\n    roles:\n      {cr}:\n        assign_to:\n          - {pr}\n        privileges:\n          catalog:\n            - CATALOG_MANAGE_CONTENT\n",
            pr = n.principal_role,
            p = n.principal,
            c = n.catalog,
            cr = n.catalog_role
        ),
    )
    .expect("setup");
    let applied = cli(
        peer.port,
        &peer.realm,
        &peer.root_id,
        &peer.root_secret,
        &["setup", "apply", setup.to_str().expect("utf-8")],
    );
    assert!(applied.ok, "{}", applied.stderr);

    // forge.yaml declares the same entities (the catalog as the stand-in made it).
    let section = format!(
        "  catalogs:\n    - name: {c}\n  principals:\n    - name: {p}\n      roles: [{pr}]\n  principal_roles:\n    - name: {pr}\n      catalog_roles: [{{catalog: {c}, role: {cr}}}]\n  catalog_roles:\n    - catalog: {c}\n      name: {cr}\n      privileges: [CATALOG_MANAGE_CONTENT]\n",
        c = n.catalog,
        p = n.principal,
        pr = n.principal_role,
        cr = n.catalog_role
    );
    let p = Project::new(&yaml(peer, &section));
    // The catalog's bucket exists already too (made with the catalog).
    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let out = &plan.stdout;
    for addr in [
        format!("polaris_catalog.{}", n.catalog),
        format!("polaris_principal.{}", n.principal),
        format!("polaris_principal_role.{}", n.principal_role),
        format!("polaris_catalog_role.{}/{}", n.catalog, n.catalog_role),
        format!(
            "polaris_principal_role_assignment.{}/{}",
            n.principal, n.principal_role
        ),
        format!(
            "polaris_catalog_role_assignment.{}/{}/{}",
            n.principal_role, n.catalog, n.catalog_role
        ),
        format!("polaris_grants.{}/{}", n.catalog, n.catalog_role),
    ] {
        assert!(
            out.contains(&format!("{addr} will be imported")),
            "{addr} not imported:\n{out}"
        );
    }
    assert!(
        out.contains("Plan: 8 to import, 0 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    assert!(
        out.contains("the secret of principal"),
        "the unknown secret is a warning: {out}"
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);
    // Issuing new credentials for the imported principal is one explicit request.
    let rotate = run(
        &p,
        peer,
        &[
            "apply",
            "--auto-approve",
            "--replace",
            &format!("polaris_principal.{}", n.principal),
        ],
    );
    rotate.expect_code(0);
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(p.state_path()).expect("state"))
            .expect("json");
    let attrs = &state["resources"][format!("polaris_principal.{}", n.principal)]["attributes"];
    let (id, secret) = (
        attrs["client_id"].as_str().expect("id"),
        attrs["client_secret"].as_str().expect("secret"),
    );
    peer.token(id, secret);
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
    peer.assert_spec_clean("import");
}

#[test]
fn forge_api_calls_polaris_authenticated_and_export_round_trips() {
    let peer = polaris();
    let n = Names::new("pexp");
    let p = Project::new(&yaml(peer, &seed_section(&n)));
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);

    // forge api: any method, pretty JSON, the exit code of the status.
    let got = run(
        &p,
        peer,
        &["api", "GET", &format!("catalogs/{}", n.catalog)],
    )
    .expect_code(0);
    let v: Value = serde_json::from_str(&got.stdout).expect("pretty JSON");
    assert_eq!(v["name"], n.catalog);
    let role = format!("{}_extra", n.principal_role);
    let body = json!({"principalRole": {"name": role}}).to_string();
    run(
        &p,
        peer,
        &["api", "POST", "principal-roles", "--data", &body],
    )
    .expect_code(0);
    let raw = run(
        &p,
        peer,
        &[
            "api",
            "GET",
            &format!("/api/management/v1/principal-roles/{role}"),
            "--raw",
        ],
    )
    .expect_code(0);
    assert_eq!(
        raw.stdout.lines().count(),
        1,
        "raw is one line: {}",
        raw.stdout
    );
    let missing = run(&p, peer, &["api", "GET", "catalogs/no-such-catalog"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("HTTP 404"), "{}", missing.stderr);
    run(
        &p,
        peer,
        &["api", "DELETE", &format!("principal-roles/{role}")],
    )
    .expect_code(0);

    // Export what forge made, then plan it from a fresh work dir: only imports.
    let exported = run(&p, peer, &["catalog", "export", "--catalog", &n.catalog]).expect_code(0);
    let section: String = exported
        .stdout
        .lines()
        .filter(|l| !l.starts_with('#') && *l != "catalog:")
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        section.contains(&n.principal) && section.contains("CATALOG_MANAGE_CONTENT"),
        "{}",
        exported.stdout
    );
    let fresh = Project::new(&yaml(peer, &section));
    let plan = run(&fresh, peer, &["plan", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains(" to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    run(&fresh, peer, &["apply", "--auto-approve"]).expect_code(0);
    run(&fresh, peer, &["plan", "--detailed-exitcode"]).expect_code(0);
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
    peer.assert_spec_clean("api and export");
}

#[test]
fn faults_are_retried_or_reported_with_the_address_and_the_next_apply_converges() {
    use crate::support::proxy::{Fault, FaultProxy};
    let peer = polaris();
    let proxy = FaultProxy::start(peer.port);
    let n = Names::new("pflt");
    let section = seed_section(&n);
    let text = yaml(peer, &section).replace(
        &format!("url: {}", peer.url),
        &format!("url: {}", proxy.endpoint()),
    );
    let p = Project::new(&text);
    // A 503 on the token call and a 500 on the first create are retried.
    proxy.add(
        Some("POST"),
        "/api/catalog/v1/oauth/tokens",
        Some(1),
        Fault::Status(503, "{}".into()),
    );
    proxy.add(
        Some("POST"),
        "/api/management/v1/principal-roles",
        Some(1),
        Fault::Status(500, "{}".into()),
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    assert!(
        proxy.count("POST", "/api/management/v1/principal-roles") >= 2,
        "the create was retried"
    );
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // A server that keeps failing fails only that resource, named with its address ...
    p.write(&text.replace("properties: {owner: forge}", "properties: {owner: ops}"));
    proxy.add(
        Some("POST"),
        &format!(
            "/api/catalog/v1/{}/namespaces/wildlife/properties",
            n.catalog
        ),
        None,
        Fault::Status(
            500,
            r#"{"error":{"message":"disk full","type":"ServiceFailureException","code":500}}"#
                .into(),
        ),
    );
    let r = run(&p, peer, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains(&format!("polaris_namespace.{}/wildlife", n.catalog))
            && all.contains("disk full"),
        "{all}"
    );
    proxy.clear();
    // ... a connection cut mid-reply is retried ...
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::ResetMidBody,
    );
    // ... and the next apply converges.
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // Changed by hand between plan and apply: the version conflict is read again and resolved.
    p.write(&text.replace(
        &format!("    - name: {}\n", n.catalog),
        &format!(
            "    - name: {}\n      properties: {{tier: gold}}\n",
            n.catalog
        ),
    ));
    let plan_file = p.path().join("tfplan");
    run(
        &p,
        peer,
        &["plan", "--out", plan_file.to_str().expect("utf-8")],
    )
    .expect_code(0);
    let token = peer.root_token();
    let cat = peer.call(
        &token,
        "GET",
        &format!("/api/management/v1/catalogs/{}", n.catalog),
        None,
    );
    let edit = json!({"currentEntityVersion": cat.json()["entityVersion"], "properties": {"default-base-location": format!("s3://{}", n.catalog), "by": "hand"}});
    assert_eq!(
        peer.call(
            &token,
            "PUT",
            &format!("/api/management/v1/catalogs/{}", n.catalog),
            Some(&edit)
        )
        .status,
        200
    );
    run(&p, peer, &["apply", plan_file.to_str().expect("utf-8")]).expect_code(0);
    let now = root(peer, &["catalogs", "get", &n.catalog]);
    assert_eq!(now[0]["properties"]["tier"], "gold", "{now:?}");
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
}
