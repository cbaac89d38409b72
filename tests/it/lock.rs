//! Two real processes on one state: the second fails at once naming the holder, or
//! waits with `--lock-timeout`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::forge::Project;
use crate::support::process::wait_until;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{moto, unique};

#[test]
fn a_second_run_fails_at_once_naming_the_holder_then_waits_when_asked() {
    let s = moto();
    let proxy = FaultProxy::start(s.port);
    // Every request takes 3 s, so the first run holds the lock while it reads.
    proxy.add(None, "/", None, Fault::Latency(Duration::from_secs(3)));
    let b = unique("lock");
    let p = Project::new(&format!(
        "stores:\n  - name: aws\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: K}}\nbuckets:\n  - name: {b}\n    store: aws\n",
        proxy.endpoint()
    ));
    let mut first = p
        .cmd(&["plan"])
        .env("K", "testing")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("first forge");
    let lock = p.path().join(".forge/state.lock");
    wait_until(
        Duration::from_secs(20),
        Duration::from_millis(20),
        "first run never took the lock",
        || held(&lock),
    );
    let t = Instant::now();
    let second = p.run_env(&["plan"], &[("K", "testing")]);
    assert!(t.elapsed() < Duration::from_secs(2), "fails at once");
    assert_eq!(second.code, 4, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("the state is locked by `forge plan`"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    // With --lock-timeout it waits for the first run to finish.
    let waited = p.run_env(&["plan", "--lock-timeout", "60s"], &[("K", "testing")]);
    waited.expect_code(0);
    assert!(first.wait().expect("first").success());
    // A holder killed with SIGKILL leaves no lock behind.
    let mut killed = p
        .cmd(&["plan"])
        .env("K", "testing")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("forge");
    wait_until(
        Duration::from_secs(20),
        Duration::from_millis(20),
        "the run to kill never took the lock",
        || held(&lock),
    );
    killed.kill().expect("kill");
    killed.wait().expect("reap");
    proxy.clear();
    let after = p.run_env(&["plan"], &[("K", "testing")]);
    after.expect_code(0);
}

/// Whether the lock file names a holder.
fn held(lock: &std::path::Path) -> bool {
    std::fs::read_to_string(lock).is_ok_and(|s| !s.is_empty())
}
