//! The benchmark of `bench/backend.sh` (ignored in the suite): the time an apply of the
//! example stack spends on its state backend — lock, read, saves, release — with the
//! state local, on S3 (moto) and on Kubernetes (the API server peer), side by side in
//! one hyperfine run.
//!
//! The example stack cannot be applied here (k3d, AWS, Snowflake), and what the backend
//! does does not depend on the kinds: it is one lock, one read, two saves per change
//! (intent, result) and one for the outputs, of a state that grows to the stack's size.
//! So the bench plans `forge.yaml.example`, and applies a stand-in with one `local_file`
//! per planned change, each as large as that change's spec: the same saves of the same
//! sizes, with an apply that costs nothing itself. `FORGE_STATE_TIMINGS` makes each run
//! record its backend time, summed up per backend in `target/bench/backend-time.md`.

use std::path::Path;
use std::process::Command;

use super::{bucket, s3_env, s3_yaml};
use crate::support::forge::Project;
use crate::support::peers::kube::kube;
use crate::support::servers::{moto, unique};

fn forge_bin() -> String {
    std::env::var("FORGE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_forge").to_string())
}

/// The spec size of every change of the example stack's plan.
fn example_sizes(dir: &Path) -> Vec<usize> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = dir.join("example.plan");
    let out = Command::new(forge_bin())
        .args(["plan", "-f"])
        .arg(root.join("forge.yaml.example"))
        .arg("--work-dir")
        .arg(dir.join("example"))
        .arg("--out")
        .arg(&plan)
        .env("USER", "forge")
        .output()
        .expect("forge plan");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plan).expect("plan")).expect("json");
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["spec"].to_string().len())
        .collect()
}

fn stand_in(sizes: &[usize]) -> String {
    let mut y = "files:\n".to_string();
    for (i, n) in sizes.iter().enumerate() {
        y.push_str(&format!(
            "  - name: r{i}\n    path: out/r{i}.txt\n    content: \"{}\"\n",
            "x".repeat(n.saturating_sub(60).max(1))
        ));
    }
    y + "outputs:\n  polaris_url: http://localhost:18181\n  s3_endpoint: http://localhost:19000\n"
}

#[test]
#[ignore = "a benchmark: bench/backend.sh runs it"]
fn bench_backend_time_of_an_apply_of_the_example_stack() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sizes = example_sizes(tmp.path());
    let resources = stand_in(&sizes);
    let s = moto();
    let state_bucket = bucket(s, true);
    let local = Project::new(&resources);
    let s3 = Project::new(&(s3_yaml(s, &state_bucket, "bench/forge.json", "") + &resources));
    let k8s = Project::new(
        &(format!(
            "backend:\n  kubernetes:\n    kubeconfig: {}\n    name: {}\n",
            kube().kubeconfig.display(),
            unique("bench")
        ) + &resources),
    );
    let timings = tmp.path().join("timings.jsonl");
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out_dir).expect("bench dir");
    let forge = forge_bin();
    let mut cmd = Command::new("hyperfine");
    cmd.args(["-N", "--warmup", "1", "--runs", "10", "--export-markdown"])
        .arg(out_dir.join("backend-apply.md"));
    for (name, p) in [("local", &local), ("s3", &s3), ("kubernetes", &k8s)] {
        let f = p.path().join("forge.yaml");
        cmd.args(["--command-name", &format!("apply, state {name}")]);
        cmd.args([
            "--prepare",
            &format!("{forge} -f {} destroy --auto-approve", f.display()),
        ]);
        cmd.arg(format!("{forge} -f {} apply --auto-approve", f.display()));
    }
    for (k, v) in s3_env(s) {
        cmd.env(k, v);
    }
    cmd.env("NO_COLOR", "1")
        .env("USER", "tester")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    cmd.env("FORGE_STATE_TIMINGS", &timings);
    let status = cmd.status().expect("hyperfine");
    assert!(status.success());
    // The backend's share, per backend, from the runs' own records (applies only: the
    // runs that wrote 2 × changes + 1 times; destroys and warm-ups are told apart by that).
    let lines = std::fs::read_to_string(&timings).expect("timings");
    let want = 2 * sizes.len() as u64 + 1;
    let mut table = format!(
        "Backend time of an apply of the example stack ({} changes, {} saves; median of the runs):\n\n| state | lock ms | read ms | saves | all saves ms | release ms | backend total ms |\n|---|---|---|---|---|---|---|\n",
        sizes.len(),
        want
    );
    for (name, prefix) in [
        ("local", "/"),
        ("s3", "s3://"),
        ("kubernetes", "kubernetes"),
    ] {
        let mut rows: Vec<serde_json::Value> = lines
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| {
                v["location"]
                    .as_str()
                    .is_some_and(|l| l.starts_with(prefix))
                    && v["writes"].as_u64() >= Some(want)
            })
            .collect();
        assert!(!rows.is_empty(), "no apply of {name} recorded its timings");
        let median = |key: &str, rows: &mut Vec<serde_json::Value>| {
            rows.sort_by(|a, b| {
                a[key]
                    .as_f64()
                    .partial_cmp(&b[key].as_f64())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            rows[rows.len() / 2][key].as_f64().unwrap_or(0.0)
        };
        let (l, r, w, rel) = (
            median("lock_ms", &mut rows),
            median("read_ms", &mut rows),
            median("write_ms", &mut rows),
            median("release_ms", &mut rows),
        );
        table.push_str(&format!(
            "| {name} | {l:.1} | {r:.1} | {} | {w:.1} | {rel:.1} | {:.1} |\n",
            rows[0]["writes"],
            l + r + w + rel
        ));
    }
    println!("{table}");
    std::fs::write(out_dir.join("backend-time.md"), table).expect("write");
}
