//! L2C migrations that do not go to plan, through the real binary: a saved plan applied
//! after its source table moved on, an apply killed with SIGKILL in the middle of a
//! table's migration, and AWS credentials that expire (before the run, at the account
//! check, and in the middle of an apply). Each ends with a plain rerun that completes
//! the migration.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::support::l2c::{AWS_SECRET, Setup, keys};
use crate::support::peers::polaris::polaris;
use crate::support::peers::polaris_py::script;
use crate::support::process::wait_until;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{boto3, moto};

/// What STS answers a call signed with an expired session token.
const STS_EXPIRED: &str = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>";

/// What S3 answers a request signed with an expired session token.
const S3_EXPIRED: &str = "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";

#[test]
fn a_saved_plan_is_refused_when_its_source_table_moved_on_and_copies_nothing() {
    let s = Setup::new("l2csaved");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["penguins"]);
    s.run(&["apply", "--auto-approve"]).expect_code(0);

    // A plan to sync one append is saved; then the table moves on again.
    script(
        "l2c_tables.py",
        "append",
        &s.source_args(json!({"table": "penguins", "rows": 7})),
    );
    let saved = s.project.path().join("tfplan");
    let saved = saved.to_str().expect("utf-8");
    s.run(&["plan", "--out", saved]).expect_code(0);
    script(
        "l2c_tables.py",
        "append",
        &s.source_args(json!({"table": "penguins", "rows": 5})),
    );
    let before = keys(moto(), &s.target, "wildlife/penguins/");
    let r = s.run(&["apply", saved]).expect_code(3);
    let text = r.flat();
    assert!(
        text.contains("moved on since the plan was made"),
        "the refusal says why: {text}"
    );
    assert!(text.contains("forge plan"), "and what to do: {text}");
    assert_eq!(
        keys(moto(), &s.target, "wildlife/penguins/"),
        before,
        "nothing was copied for a plan that no longer holds"
    );
    assert_eq!(
        s.read_copy("penguins")["rows"],
        354,
        "the earlier copy stands"
    );

    // A fresh plan moves the table as it is now: both appends.
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(s.read_copy("penguins")["rows"], 366);
    s.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn an_apply_killed_mid_migration_is_completed_by_the_next_without_copying_again() {
    let peer = polaris();
    let aws = FaultProxy::start(moto().port);
    let s = Setup::with("l2ckill", &peer.s3.endpoint, &aws.endpoint());
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["penguins", "parted", "v1"]);

    // AWS holds up the rewritten metadata of one table, so the kill lands after its
    // data files are copied and before its migration ends.
    let data = "wildlife/penguins/data/";
    let metadata = format!("/{}/wildlife/penguins/metadata/", s.target);
    aws.add(
        Some("PUT"),
        &metadata,
        None,
        Fault::Latency(Duration::from_secs(30)),
    );
    let source_data = keys(peer.s3, &s.catalog, data).len();
    assert!(
        source_data >= 3,
        "several appends: {source_data} data files"
    );
    let mut child = s
        .cmd(&["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("forge");
    wait_until(
        Duration::from_secs(120),
        Duration::from_millis(100),
        "the migration never reached its metadata",
        || aws.count("PUT", &metadata) > 0 && keys(moto(), &s.target, data).len() == source_data,
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let copied = keys(moto(), &s.target, data);
    assert_eq!(copied.len(), source_data, "every data file arrived");
    let addr = format!("l2c_table.{}/wildlife/penguins", s.catalog);
    let state = s.project.state();
    assert_eq!(
        state["resources"][&addr]["status"], "creating",
        "state records the migration in flight: {}",
        state["resources"][&addr]
    );
    assert!(s.synced("penguins").is_null(), "and no finished copy");

    // The rerun finishes the table without copying its data files again.
    aws.clear();
    let plan = s.run(&["plan"]).expect_code(0).flat();
    assert!(
        plan.contains("an earlier apply was interrupted while creating"),
        "{plan}"
    );
    // The plan already knows: nothing to copy, only the metadata to rewrite.
    assert!(plan.contains("migrate v"), "{plan}");
    assert!(!plan.contains("copy "), "{plan}");
    let before = aws.seen().len();
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let again: Vec<String> = aws.seen()[before..]
        .iter()
        .filter(|l| l.starts_with(&format!("PUT /{}/", s.target)) && l.contains("/data/"))
        .cloned()
        .collect();
    assert!(again.is_empty(), "data files copied again: {again:?}");
    assert_eq!(s.read_copy("penguins")["rows"], 354);
    assert_eq!(s.read_copy("parted")["rows"], 120);
    assert_eq!(s.read_copy("v1")["rows"], 25);
    s.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn expired_aws_credentials_are_told_at_the_check_and_mid_apply_and_the_rerun_completes() {
    let peer = polaris();
    let aws = FaultProxy::start(moto().port);
    let s = Setup::with("l2cexp", &peer.s3.endpoint, &aws.endpoint());
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));
    s.write(&["penguins", "v1"]);

    // The session has expired before the run: STS's answer to the account check the
    // IAM kinds make stops the apply while it reads, before anything is made, with the
    // remedy.
    aws.add(
        Some("POST"),
        "/",
        None,
        Fault::Status(403, STS_EXPIRED.into()),
    );
    let r = s.run(&["apply", "--auto-approve"]).expect_code(1);
    let text = r.flat();
    assert!(text.contains("sts:GetCallerIdentity"), "{text}");
    assert!(text.contains("expired"), "{text}");
    assert!(text.contains("aws sso login"), "{text}");
    assert!(!text.contains(AWS_SECRET), "no secret in output: {text}");
    let buckets = boto3(
        moto(),
        "print(json.dumps([b['Name'] for b in s3.list_buckets()['Buckets']]))",
    );
    assert!(!buckets.contains(&s.target), "nothing was made: {buckets}");

    // It expires in the middle of an apply: S3 refuses one table's writes. That table
    // fails, saying why; the other migrates.
    aws.clear();
    aws.add(
        Some("PUT"),
        &format!("/{}/wildlife/penguins/", s.target),
        None,
        Fault::Status(400, S3_EXPIRED.into()),
    );
    let r = s.run(&["apply", "--auto-approve"]).expect_code(3);
    let text = r.flat();
    assert!(
        text.contains(&format!("failed l2c_table.{}/wildlife/penguins", s.catalog)),
        "{text}"
    );
    assert!(text.contains("ExpiredToken"), "{text}");
    assert!(text.contains("token has expired"), "{text}");
    // With the remedy, as at the account check.
    assert!(text.contains("aws sso login"), "{text}");
    assert!(!text.contains(AWS_SECRET), "no secret in output: {text}");
    // Refused writes are not retried like a throttle: at most one try per data file.
    let tries = aws.count("PUT", &format!("/{}/wildlife/penguins/", s.target));
    let files = keys(peer.s3, &s.catalog, "wildlife/penguins/data/").len();
    assert!(
        (1..=files).contains(&tries),
        "{tries} writes for {files} files"
    );
    assert_eq!(s.read_copy("v1")["rows"], 25);
    assert!(s.synced("penguins").is_null());

    // Fresh credentials: the rerun completes.
    aws.clear();
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(s.read_copy("penguins")["rows"], 354);
}
