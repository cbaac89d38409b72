//! The real binary, several work dirs, one state: on S3 (moto) and on Kubernetes (the
//! API server peer). Exactly one of two applies runs, the other exits 4 naming the
//! holder; a holder killed with SIGKILL leaves an S3 lock that goes stale after its
//! lease and is taken by `forge force-unlock ID`, and a Lease that expires by itself;
//! an apply killed mid-way and re-run from another work dir converges; a store that
//! ignores conditional writes is refused unless the user opts out.

use std::process::{Child, Stdio};
use std::time::Duration;

use super::{bucket, flat, objects, s3_env, s3_yaml};
use crate::support::forge::{Project, Run};
use crate::support::peers::kube::kube;
use crate::support::process::wait_until;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{boto3, moto, unique};

/// `n` buckets named `<prefix>-<i>` on the store behind `proxy`, keys from env `K`/`S`.
fn buckets_yaml(proxy: &FaultProxy, prefix: &str, n: usize) -> String {
    let mut y = format!(
        "stores:\n  - name: aws\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: S}}\nbuckets:\n",
        proxy.endpoint()
    );
    for i in 0..n {
        y.push_str(&format!(
            "  - name: {prefix}-{i}\n    store: aws\n    force_destroy: true\n"
        ));
    }
    y
}

fn spawn(p: &Project, args: &[&str], env: &[(&str, String)]) -> Child {
    let mut c = p.cmd(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn forge")
}

fn run(p: &Project, args: &[&str], env: &[(&str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_env(args, &env)
}

fn finish(c: Child) -> Run {
    Run::from(c.wait_with_output().expect("wait forge"))
}

/// Waits until the proxy has seen `n` bucket creations (PUT /<prefix>-...).
fn wait_for_puts(proxy: &FaultProxy, prefix: &str, n: usize) {
    wait_until(
        Duration::from_secs(60),
        Duration::from_millis(20),
        "the apply never got that far",
        || proxy.count("PUT", &format!("/{prefix}-")) >= n,
    );
}

fn listed(prefix: &str) -> String {
    boto3(
        moto(),
        &format!(
            "print(sorted(b['Name'] for b in s3.list_buckets()['Buckets'] if b['Name'].startswith('{prefix}-')))"
        ),
    )
}

/// Two work dirs with the same forge.yaml whose state is on `backend_yaml`.
fn two_dirs(yaml: &str) -> (Project, Project) {
    (Project::new(yaml), Project::new(yaml))
}

/// Starts an apply in each dir at once: one exits 0, the other 4 naming the first.
fn exactly_one_runs(a: &Project, b: &Project, env: &[(&str, String)]) {
    let first = spawn(a, &["apply", "--auto-approve"], env);
    let second = spawn(b, &["apply", "--auto-approve"], env);
    let (first, second) = (finish(first), finish(second));
    let (ran, refused) = if first.code == 0 {
        (first, second)
    } else {
        (second, first)
    };
    ran.expect_code(0);
    let refused = refused.expect_code(4);
    assert!(
        refused.stdout.is_empty(),
        "the refused run planned nothing: {}",
        refused.stdout
    );
    assert!(
        flat(&refused.stderr).contains("the state is locked by `forge apply --auto-approve`"),
        "{}",
        refused.stderr
    );
    assert!(
        flat(&refused.stderr).contains("lock ID "),
        "{}",
        refused.stderr
    );
}

#[test]
fn two_applies_from_two_work_dirs_on_s3_exactly_one_runs_the_other_exits_4_naming_the_holder() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    proxy.add(
        Some("PUT"),
        "/",
        None,
        Fault::Latency(Duration::from_millis(700)),
    );
    let state = bucket(s, false);
    let prefix = unique("two");
    let yaml = s3_yaml(s, &state, "forge.json", "") + &buckets_yaml(&proxy, &prefix, 3);
    let (a, b) = two_dirs(&yaml);
    let env = s3_env(s);
    exactly_one_runs(&a, &b, &env);
    assert_eq!(
        listed(&prefix),
        format!("['{prefix}-0', '{prefix}-1', '{prefix}-2']")
    );
    // Both work dirs now see the same state: a no-op from either.
    proxy.clear();
    run(&b, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    run(&a, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    assert!(
        !a.state_path().exists() && !b.state_path().exists(),
        "no local state"
    );
    let keys: Vec<String> = objects(s, &state).into_iter().map(|(k, _)| k).collect();
    assert!(
        !keys.contains(&"forge.json.lock".to_string()),
        "the lock is released: {keys:?}"
    );
    run(&a, &["destroy", "--auto-approve"], &env).expect_code(0);
}

#[test]
fn two_applies_from_two_work_dirs_on_kubernetes_exactly_one_runs_the_other_exits_4_naming_the_holder()
 {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    proxy.add(
        Some("PUT"),
        "/",
        None,
        Fault::Latency(Duration::from_millis(700)),
    );
    let prefix = unique("kube2");
    let yaml = format!(
        "backend:\n  kubernetes:\n    kubeconfig: {}\n    name: {prefix}\n",
        kube().kubeconfig.display()
    ) + &buckets_yaml(&proxy, &prefix, 3);
    let (a, b) = two_dirs(&yaml);
    let env = s3_env(s);
    exactly_one_runs(&a, &b, &env);
    assert_eq!(
        listed(&prefix),
        format!("['{prefix}-0', '{prefix}-1', '{prefix}-2']")
    );
    proxy.clear();
    run(&b, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    run(&a, &["destroy", "--auto-approve"], &env).expect_code(0);
}

/// The lock ID in a "locked" error.
fn lock_id(stderr: &str) -> String {
    let after = stderr
        .split("lock ID ")
        .nth(1)
        .expect("a lock ID in the error");
    after
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

#[test]
fn a_sigkilled_holder_leaves_an_s3_lock_that_goes_stale_and_force_unlock_takes_it_then_another_dir_converges()
 {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    proxy.add(
        Some("PUT"),
        "/",
        None,
        Fault::Latency(Duration::from_millis(800)),
    );
    let state = bucket(s, true);
    let prefix = unique("kill");
    let yaml = s3_yaml(s, &state, "team/forge.json", "    lease_seconds: 3\n")
        + &buckets_yaml(&proxy, &prefix, 5);
    let (a, b) = two_dirs(&yaml);
    let env = s3_env(s);
    let mut holder = spawn(&a, &["apply", "--auto-approve", "--parallelism", "1"], &env);
    wait_for_puts(&proxy, &prefix, 3);
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reap");
    // At once: locked, naming the dead holder.
    let now = run(&b, &["plan"], &env).expect_code(4);
    assert!(
        flat(&now.stderr).contains("locked by `forge apply --auto-approve --parallelism 1`"),
        "{}",
        now.stderr
    );
    assert!(
        flat(&now.stderr).contains(&format!("pid {}", holder.id())),
        "{}",
        now.stderr
    );
    // After the lease, stale: still refused, but the message says so and how to take it.
    std::thread::sleep(Duration::from_secs(4));
    let stale = run(&b, &["plan"], &env).expect_code(4);
    let id = lock_id(&flat(&stale.stderr));
    assert!(
        flat(&stale.stderr).contains("the lock is stale"),
        "{}",
        stale.stderr
    );
    assert!(
        flat(&stale.stderr).contains(&format!("forge force-unlock {id}")),
        "{}",
        stale.stderr
    );
    // A wrong ID is refused; the right one frees it.
    let wrong = run(&b, &["force-unlock", "0123"], &env).expect_code(1);
    assert!(
        flat(&wrong.stderr).contains(&format!("held under ID {id}")),
        "{}",
        wrong.stderr
    );
    let freed = run(&b, &["force-unlock", &id], &env).expect_code(0);
    assert!(
        freed.stdout.contains(&format!("pid {}", holder.id())),
        "{}",
        freed.stdout
    );
    // The killed apply left its intent in the state on S3; the other dir completes it.
    proxy.clear();
    let plan = run(&b, &["plan"], &env).expect_code(0);
    assert!(
        plan.stdout.contains("an earlier apply was interrupted"),
        "{}",
        plan.stdout
    );
    run(&b, &["apply", "--auto-approve"], &env).expect_code(0);
    let names: Vec<String> = (0..5).map(|i| format!("'{prefix}-{i}'")).collect();
    assert_eq!(listed(&prefix), format!("[{}]", names.join(", ")));
    let pulled = run(&b, &["state", "pull"], &env).expect_code(0);
    let st: serde_json::Value = serde_json::from_str(&pulled.stdout).expect("state json");
    let resources = st["resources"].as_object().expect("resources");
    assert_eq!(
        resources.len(),
        5,
        "nothing lost or duplicated: {resources:?}"
    );
    assert!(resources.values().all(|r| r["status"] == "ready"));
    run(&a, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    run(&a, &["destroy", "--auto-approve"], &env).expect_code(0);
}

#[test]
fn a_sigkilled_holder_leaves_a_lease_that_expires_by_itself() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    proxy.add(
        Some("PUT"),
        "/",
        None,
        Fault::Latency(Duration::from_millis(800)),
    );
    let prefix = unique("lease");
    let yaml = format!(
        // A lease of 6 s (renewed every 2 s): the check right after the kill lands well
        // within it even on a loaded machine.
        "backend:\n  kubernetes:\n    kubeconfig: {}\n    name: {prefix}\n    lease_seconds: 6\n",
        kube().kubeconfig.display()
    ) + &buckets_yaml(&proxy, &prefix, 4);
    let (a, b) = two_dirs(&yaml);
    let env = s3_env(s);
    let mut holder = spawn(&a, &["apply", "--auto-approve", "--parallelism", "1"], &env);
    wait_for_puts(&proxy, &prefix, 2);
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reap");
    let now = run(&b, &["plan"], &env).expect_code(4);
    assert!(
        flat(&now.stderr).contains(&format!("pid {}", holder.id())),
        "{}",
        now.stderr
    );
    std::thread::sleep(Duration::from_secs(7));
    proxy.clear();
    // No force-unlock: the expired Lease is taken over, and the run completes the work.
    run(&b, &["apply", "--auto-approve"], &env).expect_code(0);
    let names: Vec<String> = (0..4).map(|i| format!("'{prefix}-{i}'")).collect();
    assert_eq!(listed(&prefix), format!("[{}]", names.join(", ")));
    run(&a, &["destroy", "--auto-approve"], &env).expect_code(0);
}

#[test]
fn a_store_that_ignores_conditional_writes_is_refused_unless_the_user_opts_out() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    proxy.add(
        None,
        "/",
        None,
        Fault::DropHeaders(vec!["if-none-match", "if-match"]),
    );
    let state = bucket(s, false);
    let yaml = |extra: &str| {
        format!(
            "backend:\n  s3:\n    bucket: {state}\n    key: forge.json\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: S}}\n{extra}files:\n  - name: f\n    path: f.txt\n    content: hi\n",
            proxy.endpoint()
        )
    };
    let p = Project::new(&yaml(""));
    let env = s3_env(s);
    let refused = run(&p, &["apply", "--auto-approve"], &env).expect_code(1);
    assert!(
        flat(&refused.stderr).contains("the store ignores If-None-Match and If-Match on PutObject"),
        "{}",
        refused.stderr
    );
    assert!(
        flat(&refused.stderr).contains("allow_unsafe_locking: true"),
        "{}",
        refused.stderr
    );
    assert!(!p.path().join("f.txt").exists(), "nothing applied");
    assert!(
        objects(s, &state).is_empty(),
        "no state, no lock left: {:?}",
        objects(s, &state).iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    // The same store directly (moto honours them): no complaint.
    let direct = Project::new(&s3_yaml(
        s,
        &state,
        "direct.json",
        "files:\n  - name: f\n    path: f.txt\n    content: hi\n",
    ));
    let ok = run(&direct, &["apply", "--auto-approve"], &env).expect_code(0);
    assert!(!ok.stderr.contains("warning"), "{}", ok.stderr);
    // Opted out: it runs, and says what it cannot guarantee.
    p.write(&yaml("    allow_unsafe_locking: true\n"));
    let allowed = run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    assert!(
        flat(&allowed.stderr).contains("warning: the store at s3://"),
        "{}",
        allowed.stderr
    );
    assert!(
        flat(&allowed.stderr).contains("ignores If-None-Match and If-Match"),
        "{}",
        allowed.stderr
    );
    assert!(p.path().join("f.txt").exists());
}
