//! An apply killed with SIGKILL half-way is completed by the next apply, with nothing
//! lost or duplicated; failures leave state the next apply converges from.

use std::process::Stdio;
use std::time::Duration;

use crate::support::forge::Project;
use crate::support::process::wait_until;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{boto3, moto, unique};

#[test]
fn sigkill_mid_apply_then_apply_completes_without_duplicates() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    // Bucket creation (PUT /bucket) is slow, so the kill lands between buckets.
    proxy.add(
        Some("PUT"),
        "/",
        None,
        Fault::Latency(Duration::from_millis(800)),
    );
    let prefix = unique("kill");
    let names: Vec<String> = (0..5).map(|i| format!("{prefix}-{i}")).collect();
    let mut yaml = format!(
        "stores:\n  - name: aws\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: K}}\nbuckets:\n",
        proxy.endpoint()
    );
    for n in &names {
        yaml.push_str(&format!(
            "  - name: {n}\n    store: aws\n    force_destroy: true\n"
        ));
    }
    let p = Project::new(&yaml);
    let mut child = p
        .cmd(&["apply", "--auto-approve", "--parallelism", "1"])
        .env("K", "testing")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("forge");
    wait_until(
        Duration::from_secs(60),
        Duration::from_millis(10),
        "apply never got half-way",
        || {
            std::fs::read_to_string(p.state_path()).is_ok_and(|text| {
                text.matches("\"status\": \"ready\"").count() >= 2
                    && text.contains("\"status\": \"creating\"")
            })
        },
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    // The state file is whole (atomic writes) and records what was in flight.
    let state = p.state();
    let statuses: Vec<String> = state["resources"]
        .as_object()
        .expect("resources")
        .values()
        .map(|r| r["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(statuses.iter().any(|s| s == "creating"), "{statuses:?}");
    assert!(
        statuses.len() < names.len(),
        "killed before the end: {statuses:?}"
    );
    proxy.clear();
    let plan = p.run_env(&["plan"], &[("K", "testing")]);
    let plan = plan.stdout;
    assert!(plan.contains("an earlier apply was interrupted"), "{plan}");
    let run = p.run_env(&["apply", "--auto-approve"], &[("K", "testing")]);
    run.expect_code(0);
    let listed = boto3(
        s,
        &format!(
            "print(sorted(b['Name'] for b in s3.list_buckets()['Buckets'] if b['Name'].startswith('{prefix}-')))"
        ),
    );
    assert_eq!(listed, format!("{names:?}").replace('"', "'"));
    let state = p.state();
    assert_eq!(
        state["resources"].as_object().expect("resources").len(),
        names.len()
    );
    assert!(
        state["resources"]
            .as_object()
            .expect("resources")
            .values()
            .all(|r| r["status"] == "ready")
    );
    let again = p.run_env(&["plan", "--detailed-exitcode"], &[("K", "testing")]);
    again.expect_code(0);
    p.run_env(&["destroy", "--auto-approve"], &[("K", "testing")]);
}

#[test]
fn server_errors_fail_only_their_resource_and_the_next_apply_converges() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    let good = unique("ok");
    let bad = unique("boom");
    // CreateBucket of `bad` gets 500s until the SDK's retries are exhausted.
    proxy.add(
        Some("PUT"),
        &format!("/{bad}"),
        Some(3),
        Fault::Status(
            500,
            "<Error><Code>InternalError</Code><Message>injected</Message></Error>".into(),
        ),
    );
    let p = Project::new(&format!(
        "stores:\n  - name: aws\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: K}}\nbuckets:\n  - name: {good}\n    store: aws\n  - name: {bad}\n    store: aws\nfiles:\n  - name: after-bad\n    path: marker.txt\n    content: \"${{s3_bucket.{bad}.arn}}\"\n",
        proxy.endpoint()
    ));
    let out = p
        .run_env(&["apply", "--auto-approve"], &[("K", "testing")])
        .expect_code(3)
        .flat();
    assert!(out.contains(&format!("failed s3_bucket.{bad}:")), "{out}");
    assert!(
        out.contains(&format!(
            "skipped local_file.after-bad, because s3_bucket.{bad} failed"
        )),
        "{out}"
    );
    assert_eq!(
        p.state()["resources"][format!("s3_bucket.{good}")]["status"],
        "ready"
    );
    // The fault is gone: the next apply finishes the rest.
    let run = p.run_env(&["apply", "--auto-approve"], &[("K", "testing")]);
    run.expect_code(0);
    assert!(
        std::fs::read_to_string(p.path().join("marker.txt"))
            .expect("marker")
            .contains(&bad)
    );
    p.run_env(&["destroy", "--auto-approve"], &[("K", "testing")]);
}
