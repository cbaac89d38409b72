//! L2C table migration through the real binary: source tables written by pyiceberg
//! through the Polaris stand-in onto s3s-fs, migrated by `forge apply` to a bucket on
//! moto, and read back there by pyiceberg (`StaticTable`, the destination alone) and
//! duckdb. Then the incremental sync of one append, a copy that no rewrite reached (the
//! negative control the readers must fail), a table with position deletes refused, a
//! table dropped at the source, and `destroy --target` of one table.

use serde_json::{Value, json};

use crate::support::l2c::{AWS_KEY, Setup, assert_all_on, dest_args, keys};
use crate::support::peers::polaris::polaris;
use crate::support::peers::polaris_py::script;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{boto3, moto, unique};

#[test]
fn tables_migrate_read_back_on_the_new_bucket_and_sync_only_what_changed() {
    let s = Setup::new("l2c");
    // The catalog first (forge makes it), then the tables, written by pyiceberg.
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let written = script("l2c_tables.py", "write", &s.source_args(json!({})));
    assert_eq!(written["penguins"]["rows"], 354, "{written}");
    assert_eq!(written["v1"]["format_version"], 1, "{written}");

    s.write(&["penguins", "parted", "v1"]);
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let text = plan.flat();
    for t in ["penguins", "parted", "v1"] {
        assert!(
            text.contains(&format!("l2c_table.{}/wildlife/{t}", s.catalog)),
            "{text}"
        );
    }
    assert!(text.contains("migrate v"), "{text}");
    assert!(text.contains("rewrite"), "{text}");
    assert!(text.contains("iam_role"), "{text}");

    s.run(&["apply", "--auto-approve"]).expect_code(0);
    for t in ["penguins", "parted", "v1"] {
        let want = &written[t];
        let got = s.read_copy(t);
        assert_eq!(got["rows"], want["rows"], "{t}: {got}");
        assert_eq!(
            got["first_rows"], want["first_rows"],
            "{t}: time travel {got}"
        );
        assert_eq!(got["snapshots"], want["snapshots"], "{t}: {got}");
        assert_all_on(&s.target, &got);
        let path = s.synced(t)["metadata_file_path"]
            .as_str()
            .expect("path")
            .to_string();
        let duck = script(
            "l2c_tables.py",
            "duck",
            &dest_args(&format!("s3://{}/{path}", s.target)),
        );
        assert_eq!(duck["rows"], want["rows"], "{t}: duckdb {duck}");
    }
    // The bucket-relative path Snowflake is given names the metadata file the catalog
    // reported, under the same key.
    let penguins = s.synced("penguins");
    let source_md = written["penguins"]["metadata"].as_str().expect("md");
    assert!(
        source_md.ends_with(penguins["metadata_file_path"].as_str().expect("path")),
        "{penguins} vs {source_md}"
    );

    // Nothing changed: nothing to do, and status says so.
    s.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let st = s.status();
    assert_eq!(st["penguins"]["standing"], "in_sync", "{st}");
    assert_eq!(st["penguins"]["synced"], st["penguins"]["source"], "{st}");
    let text = s.run(&["status"]).expect_code(0).flat();
    assert!(text.contains("in sync"), "{text}");

    // One append: one data file to copy; its manifest, manifest list and metadata file
    // to rewrite; every earlier rewritten copy kept.
    let appended = script(
        "l2c_tables.py",
        "append",
        &s.source_args(json!({"table": "penguins", "rows": 7})),
    );
    let st = s.status();
    assert_eq!(st["penguins"]["standing"], "behind", "{st}");
    assert_eq!(st["penguins"]["pending_objects"], 1, "{st}");
    assert_eq!(st["parted"]["standing"], "in_sync", "{st}");
    let (now, then) = (
        st["penguins"]["source"]["version"].as_u64(),
        st["penguins"]["synced"]["version"].as_u64(),
    );
    assert!(now > then, "{st}");
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let text = plan.flat();
    assert!(text.contains("sync v"), "{text}");
    assert!(text.contains("copy 1 object"), "{text}");
    assert!(text.contains("rewrite 3 metadata files"), "{text}");
    assert!(
        !text.contains(&format!("l2c_table.{}/wildlife/parted", s.catalog)),
        "only the changed table is planned: {text}"
    );
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let got = s.read_copy("penguins");
    assert_eq!(got["rows"], appended["rows"], "{got}");
    assert_eq!(got["rows"], 361, "{got}");
    assert_eq!(got["first_rows"], 200, "{got}");
    assert_all_on(&s.target, &got);
    s.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // destroy --target one table: its objects go, the others' stay.
    let parted = format!("l2c_table.{}/wildlife/parted", s.catalog);
    let prefix = |t: &str| format!("wildlife/{t}/");
    assert!(!keys(moto(), &s.target, &prefix("parted")).is_empty());
    s.run(&["destroy", "--target", &parted, "--auto-approve"])
        .expect_code(0);
    assert!(keys(moto(), &s.target, &prefix("parted")).is_empty());
    assert!(!keys(moto(), &s.target, &prefix("penguins")).is_empty());
    assert!(s.project.state()["resources"][&parted].is_null());
}

#[test]
fn a_copy_without_rewritten_metadata_fails_the_readers_checks() {
    // The negative control: the same checks on a byte-for-byte copy of a table (no
    // rewrite) must fail, or they would prove nothing about forge's copies.
    let s = Setup::new("l2cneg");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let written = script("l2c_tables.py", "write", &s.source_args(json!({})));
    let md = written["v1"]["metadata"].as_str().expect("md");
    let (_, key) = md
        .strip_prefix("s3://")
        .and_then(|r| r.split_once('/'))
        .expect("s3 path");
    let prefix = key.split("/metadata/").next().expect("table prefix");
    let src = s.peer.s3;
    let raw = boto3(
        src,
        &format!(
            "import base64\np = s3.get_paginator('list_objects_v2')\nout = {{o['Key']: base64.b64encode(s3.get_object(Bucket='{c}', Key=o['Key'])['Body'].read()).decode() for page in p.paginate(Bucket='{c}', Prefix='{prefix}/') for o in page.get('Contents', [])}}\nprint(json.dumps(out))",
            c = s.catalog
        ),
    );
    let files: serde_json::Map<String, Value> = serde_json::from_str(raw.trim()).expect("files");
    assert!(files.len() > 4, "{files:?}");
    let dst = unique("l2cneg-raw");
    let mut put = format!("import base64\ns3.create_bucket(Bucket='{dst}')\n");
    for (k, v) in &files {
        put.push_str(&format!(
            "s3.put_object(Bucket='{dst}', Key='{k}', Body=base64.b64decode('{}'))\n",
            v.as_str().expect("b64")
        ));
    }
    boto3(moto(), &put);
    let copied = format!("s3://{dst}/{key}");
    let read = script("l2c_tables.py", "read", &dest_args(&copied));
    // Its metadata file is there, but every path it names is the old bucket's: pyiceberg
    // cannot read it from the destination.
    assert_eq!(
        read["ok"], false,
        "an unrewritten copy must not read: {read}"
    );
    let message = read["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&s.catalog),
        "the old bucket is named: {read}"
    );
}

#[test]
fn position_deletes_are_refused_and_a_table_dropped_at_the_source_is_removed() {
    let s = Setup::new("l2cdel");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["penguins", "parted"]);
    s.run(&["apply", "--auto-approve"]).expect_code(0);

    // A position-delete file names data files by their local paths: refused, with the
    // remedy; the other table is not held up.
    let deleted = script(
        "l2c_tables.py",
        "position-delete",
        &s.source_args(json!({"table": "penguins"})),
    );
    assert_eq!(deleted["ok"], true, "{deleted}");
    script(
        "l2c_tables.py",
        "append",
        &s.source_args(json!({"table": "parted", "rows": 3})),
    );
    let r = s.run(&["apply", "--auto-approve"]).expect_code(3);
    let text = r.flat();
    assert!(text.contains("position-delete"), "{text}");
    assert!(text.contains("compact the table"), "{text}");
    assert_eq!(s.read_copy("parted")["rows"], 123);

    // Dropped at the source: its copy is planned away and removed.
    let token = s.peer.root_token();
    let prefix = s.peer.call(
        &token,
        "GET",
        &format!("/api/catalog/v1/config?warehouse={}", s.catalog),
        None,
    );
    let prefix = prefix.json()["overrides"]["prefix"]
        .as_str()
        .unwrap_or(&s.catalog)
        .to_string();
    let drop = s.peer.call(
        &token,
        "DELETE",
        &format!("/api/catalog/v1/{prefix}/namespaces/wildlife/tables/parted"),
        None,
    );
    assert!(drop.status == 204 || drop.status == 200, "{}", drop.text);
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let text = plan.flat();
    assert!(text.contains("no longer exists in catalog"), "{text}");
    let parted = format!("l2c_table.{}/wildlife/parted", s.catalog);
    s.run(&["apply", "--auto-approve", "--target", &parted])
        .expect_code(0);
    assert!(keys(moto(), &s.target, "wildlife/parted/").is_empty());
}

#[test]
fn each_store_sees_only_its_own_keys() {
    // Recording proxies in front of both stores: every signed request names its access
    // key. The local store's key must never reach AWS, nor AWS's the local store.
    let peer = polaris();
    let local = FaultProxy::start(peer.s3.port);
    let aws = FaultProxy::start(moto().port);
    let s = Setup::with("l2ciso", &local.endpoint(), &aws.endpoint());
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["v1"]);
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(s.read_copy("v1")["rows"], 25);
    let (lk, ak) = (local.access_keys(), aws.access_keys());
    assert_eq!(lk, [peer.s3.access_key.as_str()], "keys at the local store");
    assert_eq!(ak, [AWS_KEY.to_string()], "keys at AWS");
}

#[test]
fn a_store_that_fails_mid_sync_fails_that_table_only_and_the_rerun_completes_without_redoing_work()
{
    let peer = polaris();
    let local = FaultProxy::start(peer.s3.port);
    let aws = FaultProxy::start(moto().port);
    let s = Setup::with("l2cfault", &local.endpoint(), &aws.endpoint());
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["penguins", "parted", "v1"]);

    // The local store fails every read of one table's data (a persistent 500); AWS
    // throttles the first writes.
    let penguins_data = format!("/{}/wildlife/penguins/data/", s.catalog);
    local.add(
        Some("GET"),
        &penguins_data,
        None,
        Fault::Status(
            500,
            "<Error><Code>InternalError</Code><Message>store down</Message></Error>".into(),
        ),
    );
    aws.add(
        Some("PUT"),
        &format!("/{}/wildlife/", s.target),
        Some(3),
        Fault::SlowDown,
    );
    let r = s.run(&["apply", "--auto-approve"]).expect_code(3);
    let text = r.flat();
    assert!(
        text.contains(&format!("failed l2c_table.{}/wildlife/penguins", s.catalog)),
        "{text}"
    );
    assert!(
        aws.count("PUT", &format!("/{}/wildlife/", s.target)) > 3,
        "throttled writes retried"
    );
    assert_eq!(s.read_copy("parted")["rows"], 120);
    assert_eq!(s.read_copy("v1")["rows"], 25);
    assert!(
        s.synced("penguins").is_null(),
        "no copy is recorded for the failed table"
    );

    // The store is back: the rerun copies the failed table, and nothing of the others.
    local.clear();
    let before = aws.seen().len();
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(s.read_copy("penguins")["rows"], 354);
    let again: Vec<String> = aws.seen()[before..]
        .iter()
        // Object writes only (IAM and STS calls are `POST /`, reads).
        .filter(|l| {
            l.starts_with(&format!("PUT /{}/", s.target))
                || l.starts_with(&format!("POST /{}/", s.target))
        })
        .filter(|l| !l.contains("/wildlife/penguins/"))
        .cloned()
        .collect();
    assert!(
        again.is_empty(),
        "work redone for finished tables: {again:?}"
    );
}

#[test]
fn a_table_not_yet_in_its_catalog_is_a_warning_and_migrates_once_it_exists() {
    let s = Setup::new("l2cearly");
    s.write(&["v1"]);
    let r = s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(r.flat().contains("is not in catalog"), "{}", r.flat());
    assert!(s.synced("v1").is_null());
    let st = s.status();
    assert_eq!(st["v1"]["standing"], "absent", "{st}");
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(plan.flat().contains("migrate v"), "{}", plan.flat());
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(s.read_copy("v1")["rows"], 25);
}
