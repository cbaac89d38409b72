//! Focused tests of the Polaris 1.7 rules the stand-in implements: entity versions,
//! protected roles and duplicates, name validation, the error envelope and statuses, and the
//! privilege hierarchy, grant paths and token scope on the catalog API.

use serde_json::{Value, json};

use crate::support::peers::polaris::{polaris, urlencode};
use crate::support::peers::polaris_http::send;
use crate::support::servers::unique;

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

#[test]
fn table_locations_stay_within_allowed_and_namespace_locations() {
    let p = polaris();
    let root = p.root_token();
    let cat = unique("loccat");
    p.create_catalog(&cat);
    for ns in ["a", "b"] {
        let r = p.call(
            &root,
            "POST",
            &format!("/api/catalog/v1/{cat}/namespaces"),
            Some(&json!({"namespace": [ns], "properties": {}})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.json()["properties"]["location"],
            json!(format!("s3://{cat}/{ns}/")),
            "Polaris answers namespace locations with a trailing slash"
        );
    }
    let create = |ns: &str, name: &str, location: &str| {
        p.call(
            &root,
            "POST",
            &format!("/api/catalog/v1/{cat}/namespaces/{ns}/tables"),
            Some(&json!({"name": name, "location": location,
                "schema": {"type": "struct", "schema-id": 0, "fields": [
                    {"id": 1, "name": "id", "type": "long", "required": false}]}})),
        )
    };
    // Outside the catalog's allowed locations, and outside the namespace's own location.
    for (loc, why) in [
        (
            "s3://elsewhere/t".to_string(),
            "outside the allowed locations",
        ),
        (format!("s3://{cat}/b/t"), "under another namespace"),
    ] {
        let r = create("a", "t", &loc);
        assert_eq!(r.status, 403, "{why}: {}", r.text);
        assert_eq!(r.error_type(), "ForbiddenException");
        assert!(
            r.text.contains("is not in the list of allowed locations"),
            "{}",
            r.text
        );
    }
    let ok = create("a", "t", &format!("s3://{cat}/a/custom"));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let metadata = ok.json()["metadata-location"]
        .as_str()
        .expect("metadata-location")
        .to_string();
    assert!(metadata.starts_with(&format!("s3://{cat}/a/custom/metadata/")));
    // Registering that metadata file is allowed in its own namespace, not in another one.
    let register = |ns: &str, name: &str| {
        p.call(
            &root,
            "POST",
            &format!("/api/catalog/v1/{cat}/namespaces/{ns}/register"),
            Some(&json!({"name": name, "metadata-location": metadata})),
        )
    };
    let r = register("b", "copy");
    assert_eq!(r.status, 403, "{}", r.text);
    let r = register("a", "copy");
    assert_eq!(r.status, 200, "{}", r.text);
    // A commit that moves the table out of its namespace is refused too.
    let r = p.call(
        &root,
        "POST",
        &format!("/api/catalog/v1/{cat}/namespaces/a/tables/t"),
        Some(&json!({"requirements": [], "updates": [
            {"action": "set-location", "location": format!("s3://{cat}/b/moved")}]})),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    p.assert_spec_clean("table_locations_stay_within_allowed_and_namespace_locations");
}
