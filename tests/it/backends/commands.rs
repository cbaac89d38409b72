//! `forge state pull` / `push` / `migrate` on real backends: push refuses another
//! lineage or a lower serial unless forced; migrate moves a local state to S3 and to
//! Kubernetes, refusing a target that holds another lineage; a plan saved against a
//! remote state is refused once that state moved.

use super::{bucket, flat, s3_env, s3_yaml};
use crate::support::forge::{Project, Run};
use crate::support::peers::kube::kube;
use crate::support::servers::{moto, unique};

fn run(p: &Project, args: &[&str], env: &[(&str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_env(args, &env)
}

fn files(names: &[&str]) -> String {
    let mut y = "files:\n".to_string();
    for n in names {
        y.push_str(&format!(
            "  - name: {n}\n    path: {n}.txt\n    content: {n}\n"
        ));
    }
    y
}

#[test]
fn push_refuses_a_lower_serial_or_another_lineage_unless_forced() {
    let s = moto();
    let b = bucket(s, false);
    let p = Project::new(&(s3_yaml(s, &b, "forge.json", "") + &files(&["a"])));
    let env = s3_env(s);
    run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    let pulled = run(&p, &["state", "pull"], &env).expect_code(0).stdout;
    let old: serde_json::Value = serde_json::from_str(&pulled).expect("state json");
    std::fs::write(p.path().join("old.json"), &pulled).expect("write");
    p.write(&(s3_yaml(s, &b, "forge.json", "") + &files(&["a", "b"])));
    run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    let lower = run(&p, &["state", "push", "old.json"], &env).expect_code(1);
    assert!(
        flat(&lower.stderr).contains(&format!("`old.json` has serial {}", old["serial"])),
        "{}",
        lower.stderr
    );
    let mut other = old.clone();
    other["lineage"] = "0000000000000000ffffffffffffffff".into();
    other["serial"] = 1000.into();
    std::fs::write(p.path().join("other.json"), other.to_string()).expect("write");
    let lineage = run(&p, &["state", "push", "other.json"], &env).expect_code(1);
    assert!(
        flat(&lineage.stderr)
            .contains("is another state (lineage 0000000000000000ffffffffffffffff)"),
        "{}",
        lineage.stderr
    );
    let now = run(&p, &["state", "pull"], &env).expect_code(0).stdout;
    let now: serde_json::Value = serde_json::from_str(&now).expect("json");
    assert_eq!(
        now["resources"].as_object().map(|r| r.len()),
        Some(2),
        "nothing was pushed"
    );
    // Forced: the old state is back, at a serial past the current one.
    run(&p, &["state", "push", "--force", "old.json"], &env).expect_code(0);
    let back: serde_json::Value =
        serde_json::from_str(&run(&p, &["state", "pull"], &env).stdout).expect("json");
    assert_eq!(back["resources"].as_object().map(|r| r.len()), Some(1));
    assert!(back["serial"].as_u64() > now["serial"].as_u64(), "{back}");
    let plan = run(&p, &["plan"], &env).expect_code(0).stdout;
    assert!(
        plan.contains("local_file.b"),
        "b is unknown to the pushed state: {plan}"
    );
}

#[test]
fn migrate_moves_a_local_state_to_s3_and_to_kubernetes_and_refuses_another_lineage() {
    let s = moto();
    let b = bucket(s, false);
    let env = s3_env(s);
    let p = Project::new(&files(&["a", "b"]));
    run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    let local = p.state();
    std::fs::copy(p.path().join("forge.yaml"), p.path().join("old.yaml")).expect("copy");
    // To S3: the same lineage and serial, a no-op plan from there.
    p.write(&(s3_yaml(s, &b, "forge.json", "") + &files(&["a", "b"])));
    let moved = run(&p, &["state", "migrate", "--from", "old.yaml"], &env).expect_code(0);
    assert!(
        moved.stdout.contains("Migrated the state"),
        "{}",
        moved.stdout
    );
    let remote: serde_json::Value =
        serde_json::from_str(&run(&p, &["state", "pull"], &env).stdout).expect("json");
    assert_eq!(
        (&remote["lineage"], &remote["serial"]),
        (&local["lineage"], &local["serial"])
    );
    run(&p, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    assert!(p.state_path().exists(), "the old copy is left in place");
    let again = run(&p, &["state", "migrate", "--from", "old.yaml"], &env).expect_code(0);
    assert!(
        again.stdout.contains("already holds this state"),
        "{}",
        again.stdout
    );
    // Another project's state is in the way: refused.
    let q = Project::new(&files(&["z"]));
    run(&q, &["apply", "--auto-approve"], &env).expect_code(0);
    std::fs::copy(q.path().join("forge.yaml"), q.path().join("old.yaml")).expect("copy");
    q.write(&(s3_yaml(s, &b, "forge.json", "") + &files(&["z"])));
    let refused = run(&q, &["state", "migrate", "--from", "old.yaml"], &env).expect_code(1);
    assert!(
        flat(&refused.stderr).contains("already holds another state"),
        "{}",
        refused.stderr
    );
    let still: serde_json::Value =
        serde_json::from_str(&run(&p, &["state", "pull"], &env).stdout).expect("json");
    assert_eq!(
        still["lineage"], local["lineage"],
        "the target is untouched"
    );
    // And from S3 to Kubernetes.
    std::fs::copy(p.path().join("forge.yaml"), p.path().join("s3.yaml")).expect("copy");
    let name = unique("migrate");
    p.write(
        &(format!(
            "backend:\n  kubernetes:\n    kubeconfig: {}\n    name: {name}\n",
            kube().kubeconfig.display()
        ) + &files(&["a", "b"])),
    );
    run(&p, &["state", "migrate", "--from", "s3.yaml"], &env).expect_code(0);
    run(&p, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    let list = run(&p, &["state", "list"], &env).expect_code(0);
    assert_eq!(list.stdout, "local_file.a\nlocal_file.b\n");
    assert!(
        list.stderr
            .contains(&format!("kubernetes secret default/forge-state-{name}")),
        "{}",
        list.stderr
    );
}
