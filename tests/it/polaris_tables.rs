//! Demo tables against the Polaris stand-in, through the real `forge` binary: the
//! built-in penguins and a user's CSV created and filled, read by clients forge did not
//! write (pyiceberg, duckdb) with the credentials file forge wrote for a principal with
//! grants; a no-op plan; rows appended by another client filled over; a changed CSV replacing the data with a new snapshot that holds
//! only the new rows; a table forge has no record of imported without a new snapshot;
//! one dropped with `purgeRequested`; and a destroy of everything.

use serde_json::{Value, json};

use super::polaris::{Names, client_args, run, seed_section, yaml};
use crate::support::forge::Project;
use crate::support::peers::polaris::{PolarisPeer, polaris};
use crate::support::peers::polaris_py::clients;
use crate::support::proxy::FaultProxy;
use crate::support::servers::boto3;

/// The Palmer Penguins facts the clients must find: 344 rows; the Gentoos' average body
/// mass over the 123 weighed; on Biscoe, the Adelies' and Gentoos' (rounded to 0.1 g).
const PENGUINS: u64 = 344;
const GENTOO_AVG_G: f64 = 5076.016260162602;

fn tables(n: &Names, fruits: bool) -> String {
    let mut t = format!(
        "  tables:\n    - {{catalog: {c}, namespace: wildlife, name: penguins, dataset: penguins}}\n",
        c = n.catalog
    );
    if fruits {
        t.push_str(&format!(
            "    - {{catalog: {c}, namespace: wildlife, name: fruits, dataset: data/fruits.csv}}\n",
            c = n.catalog
        ));
    }
    t
}

/// The `(client id, secret)` of the credentials file forge wrote (`realm,id,secret`).
fn credentials(p: &Project) -> (String, String) {
    let text = std::fs::read_to_string(p.path().join("work/principal.txt")).expect("creds");
    let parts: Vec<&str> = text.trim_end().split(',').collect();
    assert_eq!(parts.len(), 3, "{text}");
    (parts[1].to_string(), parts[2].to_string())
}

/// The table's metadata as root loads it.
fn metadata(peer: &PolarisPeer, catalog: &str, table: &str) -> (u16, Value) {
    let r = peer.call(
        &peer.root_token(),
        "GET",
        &format!("/api/catalog/v1/{catalog}/namespaces/wildlife/tables/{table}"),
        None,
    );
    let body = if r.status == 200 {
        r.json()["metadata"].clone()
    } else {
        Value::Null
    };
    (r.status, body)
}

/// The keys of the objects under `prefix` in the catalog's bucket.
fn objects_under(peer: &PolarisPeer, bucket: &str, prefix: &str) -> Vec<String> {
    let listed = boto3(
        peer.s3,
        &format!(
            "print(json.dumps([o['Key'] for o in s3.list_objects_v2(Bucket='{bucket}', Prefix='{prefix}').get('Contents', [])]))"
        ),
    );
    serde_json::from_str(listed.trim()).expect("a list of keys")
}

#[test]
fn demo_tables_fill_replace_import_and_drop() {
    let peer = polaris();
    let n = Names::new("ptab");
    let section = seed_section(&n) + &tables(&n, true);
    // Through a proxy that records each request (no faults), to see how tables are dropped.
    let proxy = FaultProxy::start(peer.port);
    let via_proxy = |text: String| {
        text.replace(
            &format!("url: {}", peer.url),
            &format!("url: {}", proxy.endpoint()),
        )
    };
    let p = Project::new(&via_proxy(yaml(peer, &section)));
    std::fs::create_dir_all(p.path().join("data")).expect("mkdir");
    let fruits = p.path().join("data/fruits.csv");
    std::fs::write(&fruits, "id,name\n1,apple\n2,pear\n3,plum\n").expect("csv");

    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    for t in ["penguins", "fruits"] {
        assert!(
            plan.stdout.contains(&format!(
                "polaris_table.{}/wildlife/{t} will be created",
                n.catalog
            )),
            "{}",
            plan.stdout
        );
    }
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);

    // Independent clients, as the principal forge made (its credentials file).
    let (id, secret) = credentials(&p);
    let args = |table: &str, extra: Value| {
        let mut a = client_args(peer, &n.catalog, &id, &secret, extra);
        a["namespace"] = json!("wildlife");
        a["table"] = json!(table);
        a
    };
    let stats = clients(
        "pyiceberg-stats",
        &args(
            "penguins",
            json!({"column": "body_mass_g", "where": "species == 'Gentoo'"}),
        ),
    );
    assert_eq!(stats["rows"], PENGUINS, "{stats}");
    assert_eq!(stats["matching"], 123, "{stats}");
    let avg = stats["avg"].as_f64().expect("avg");
    assert!((avg - GENTOO_AVG_G).abs() < 1e-9, "{stats}");
    assert_eq!(stats["operation"], "append", "{stats}");
    let duck = |sql: &str| {
        let r = clients("duck", &args("penguins", json!({"sql": sql})));
        assert_eq!(r["ok"], true, "{r}");
        r["rows"].clone()
    };
    assert_eq!(
        duck("SELECT count(*) FROM polaris_catalog.wildlife.penguins"),
        json!([[PENGUINS]])
    );
    assert_eq!(
        duck(
            "SELECT species, round(avg(body_mass_g), 1) FROM polaris_catalog.wildlife.penguins \
             WHERE island = 'Biscoe' GROUP BY species ORDER BY species"
        ),
        json!([["Adelie", 3709.7], ["Gentoo", 5076.0]])
    );
    let read = clients("pyiceberg-read", &args("fruits", json!({})));
    assert_eq!(read["ids"], json!([1, 2, 3]), "{read}");

    // Nothing to do now.
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // Rows written by someone else: the table is filled again, and the plan says why.
    let appended = clients("pyiceberg-append", &args("penguins", json!({})));
    assert_eq!(appended["rows"], PENGUINS + 1, "{appended}");
    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert!(
        plan.stdout.contains(&format!(
            "polaris_table.{}/wildlife/penguins will be updated",
            n.catalog
        )) && plan.stdout.contains("changed outside forge"),
        "{}",
        plan.stdout
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    let stats = clients(
        "pyiceberg-stats",
        &args(
            "penguins",
            json!({"column": "body_mass_g", "where": "species == 'Gentoo'"}),
        ),
    );
    assert_eq!(stats["rows"], PENGUINS, "{stats}");
    assert_eq!(stats["operation"], "overwrite", "{stats}");
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // A changed CSV: one update, a new snapshot that holds only the new rows.
    let (_, before) = metadata(peer, &n.catalog, "fruits");
    std::fs::write(&fruits, "id,name\n10,fig\n11,kiwi\n").expect("csv");
    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "polaris_table.{}/wildlife/fruits will be updated",
            n.catalog
        )) && plan.stdout.contains("dataset_sha256")
            && plan
                .stdout
                .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    let read = clients("pyiceberg-read", &args("fruits", json!({})));
    assert_eq!(read["ids"], json!([10, 11]), "only the new rows: {read}");
    let (_, after) = metadata(peer, &n.catalog, "fruits");
    let current = after["current-snapshot-id"].as_i64().expect("current");
    assert_ne!(Some(current), before["current-snapshot-id"].as_i64());
    let snap = after["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .find(|s| s["snapshot-id"] == current)
        .expect("the current snapshot");
    assert_eq!(snap["summary"]["operation"], "overwrite", "{snap}");
    assert_eq!(snap["summary"]["total-records"], "2", "{snap}");
    assert_eq!(snap["summary"]["deleted-records"], "3", "{snap}");
    assert_eq!(snap["parent-snapshot-id"], before["current-snapshot-id"]);
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);

    // A table forge has no record of is imported, with no new snapshot.
    let addr = format!("polaris_table.{}/wildlife/penguins", n.catalog);
    let (_, penguins) = metadata(peer, &n.catalog, "penguins");
    run(&p, peer, &["state", "rm", &addr]).expect_code(0);
    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert!(
        plan.stdout.contains(&format!("{addr} will be imported"))
            && plan
                .stdout
                .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        plan.stdout,
        plan.stderr
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    run(&p, peer, &["plan", "--detailed-exitcode"]).expect_code(0);
    let (_, again) = metadata(peer, &n.catalog, "penguins");
    assert_eq!(
        again["current-snapshot-id"], penguins["current-snapshot-id"],
        "an import does not fill again"
    );

    // A table removed from forge.yaml is dropped, its files purged by the catalog.
    assert!(!objects_under(peer, &n.catalog, "wildlife/fruits/").is_empty());
    p.write(&via_proxy(yaml(
        peer,
        &(seed_section(&n) + &tables(&n, false)),
    )));
    let plan = run(&p, peer, &["plan", "--no-color"]);
    assert!(
        plan.stdout.contains(&format!(
            "polaris_table.{}/wildlife/fruits will be destroyed",
            n.catalog
        )),
        "{}",
        plan.stdout
    );
    run(&p, peer, &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(metadata(peer, &n.catalog, "fruits").0, 404);
    let drop = format!(
        "DELETE /api/catalog/v1/{}/namespaces/wildlife/tables/fruits?purgeRequested=true",
        n.catalog
    );
    assert!(proxy.seen().contains(&drop), "{:?}", proxy.seen());

    // Destroy: the table first, then what holds it.
    run(&p, peer, &["destroy", "--auto-approve"]).expect_code(0);
    assert_eq!(metadata(peer, &n.catalog, "penguins").0, 404);
    peer.assert_spec_clean("demo tables");
}

#[test]
fn a_dataset_forge_cannot_read_is_a_located_config_error_before_any_call() {
    let peer = polaris();
    let n = Names::new("pbad");
    let section = format!(
        "{}  tables:\n    - {{catalog: {c}, namespace: wildlife, name: t1, dataset: nope.csv}}\n    - {{catalog: {c}, namespace: wildlife, name: t2, dataset: fruits}}\n",
        seed_section(&n),
        c = n.catalog
    );
    let p = Project::new(&yaml(peer, &section));
    let r = run(&p, peer, &["plan", "--no-color"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("cannot read `") && r.stderr.contains("nope.csv"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("`fruits` is neither a built-in dataset (penguins)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("forge.yaml:"), "located: {}", r.stderr);
    // Nothing was made.
    assert_eq!(
        peer.call(
            &peer.root_token(),
            "GET",
            &format!("/api/management/v1/catalogs/{}", n.catalog),
            None
        )
        .status,
        404
    );
}
