//! The official Polaris CLI (`apache-polaris` 1.8.0) against the stand-in: every entity
//! kind created and read back, grants and revokes, who may rotate or reset credentials, and
//! `setup apply` / `setup export` giving the applied file back.

use serde_json::json;

use crate::support::peers::polaris::polaris;
use crate::support::peers::polaris_py::{cli, cli_ok};
use crate::support::servers::unique;

use super::{create_table, create_view, names, root_cli};

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
fn polaris_cli_updates_and_deletes_in_dependency_order() {
    let p = polaris();
    let (cat, prole, crole) = (unique("updcat"), unique("updprole"), unique("updcrole"));
    p.create_catalog(&cat);
    root_cli(p, &["namespaces", "create", "--catalog", &cat, "wildlife"]);
    create_table(p, &cat, "wildlife", "penguins");
    create_view(p, &cat, "wildlife", "heavy");
    root_cli(p, &["principal-roles", "create", &prole]);
    root_cli(p, &["catalog-roles", "create", "--catalog", &cat, &crole]);

    // Updates read the entity's version and send it back; properties merge on the CLI's side.
    let extra = format!("s3://{cat}/extra");
    root_cli(
        p,
        &[
            "catalogs",
            "update",
            &cat,
            "--set-property",
            "owner=lake",
            "--allowed-location",
            &extra,
        ],
    );
    let got = root_cli(p, &["catalogs", "get", &cat]).objects()[0].clone();
    assert_eq!(got["entityVersion"], json!(2), "{got}");
    assert_eq!(got["properties"]["owner"], json!("lake"));
    assert_eq!(
        got["properties"]["default-base-location"],
        json!(format!("s3://{cat}"))
    );
    let allowed = got["storageConfigInfo"]["allowedLocations"]
        .as_array()
        .expect("allowedLocations")
        .clone();
    assert!(allowed.contains(&json!(extra)), "{allowed:?}");
    assert_eq!(got["storageConfigInfo"]["pathStyleAccess"], json!(true));
    root_cli(
        p,
        &["principal-roles", "update", &prole, "--set-property", "k=v"],
    );
    let role = root_cli(p, &["principal-roles", "get", &prole]).objects()[0].clone();
    assert_eq!(
        (
            role["properties"]["k"].clone(),
            role["entityVersion"].clone()
        ),
        (json!("v"), json!(2))
    );
    root_cli(
        p,
        &[
            "catalog-roles",
            "update",
            "--catalog",
            &cat,
            &crole,
            "--set-property",
            "k=w",
        ],
    );
    let role =
        root_cli(p, &["catalog-roles", "get", "--catalog", &cat, &crole]).objects()[0].clone();
    assert_eq!(role["properties"]["k"], json!("w"));

    // Containers go last: a catalog with namespaces (or extra roles), a namespace with tables.
    let refused = cli(
        p.port,
        &p.realm,
        &p.root_id,
        &p.root_secret,
        &["catalogs", "delete", &cat],
    );
    assert!(
        !refused.ok
            && refused
                .stderr
                .contains("cannot be dropped, it is not empty"),
        "{refused:?}"
    );
    let refused = cli(
        p.port,
        &p.realm,
        &p.root_id,
        &p.root_secret,
        &["namespaces", "delete", "--catalog", &cat, "wildlife"],
    );
    assert!(
        !refused.ok && refused.stderr.contains("NamespaceNotEmpty"),
        "{refused:?}"
    );
    let ns = ["--catalog", cat.as_str(), "--namespace", "wildlife"];
    root_cli(p, &[&["tables", "delete"][..], &ns, &["penguins"]].concat());
    root_cli(p, &[&["views", "delete"][..], &ns, &["heavy"]].concat());
    root_cli(p, &["namespaces", "delete", "--catalog", &cat, "wildlife"]);
    root_cli(p, &["catalog-roles", "delete", "--catalog", &cat, &crole]);
    root_cli(p, &["catalogs", "delete", &cat]);
    let gone = cli(
        p.port,
        &p.realm,
        &p.root_id,
        &p.root_secret,
        &["catalogs", "get", &cat],
    );
    assert!(!gone.ok && gone.stderr.contains("NotFound"), "{gone:?}");
    assert!(!names(&root_cli(p, &["catalogs", "list"]).objects()).contains(&cat));
    p.assert_spec_clean("polaris_cli_updates_and_deletes_in_dependency_order");
}
