//! The CI example of `docs/state.md`, run as it is written: job 1 (`docs/ci/plan.sh`)
//! in one checkout, job 2 (`docs/ci/apply.sh`) in another with job 1's artifact, the
//! state on S3 (moto), encrypted. The same plan applied again is refused as stale.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{bucket, flat, s3_env, s3_yaml};
use crate::support::forge::{Project, Run};
use crate::support::servers::{boto3, moto, unique};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/ci")
        .join(name)
}

/// Runs a CI script in `dir` with forge on PATH, as a runner would.
fn job(dir: &Path, name: &str, env: &[(&str, String)]) -> Run {
    let forge_dir = Path::new(env!("CARGO_BIN_EXE_forge"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        forge_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("sh");
    c.arg(script(name))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("FORGE_") {
            c.env_remove(k);
        }
    }
    c.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(c.output().expect("run the CI script"))
}

#[test]
fn the_docs_ci_example_plans_in_one_job_and_applies_the_saved_plan_in_another() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/state.md"))
        .expect("docs/state.md");
    for name in ["plan.sh", "apply.sh"] {
        let text = std::fs::read_to_string(script(name)).expect("script");
        assert!(
            doc.contains(&format!("```sh\n{text}```")),
            "docs/state.md shows docs/ci/{name} as it is"
        );
    }
    let s = moto();
    let state = bucket(s, true);
    let target = unique("ci");
    let yaml = s3_yaml(
        s,
        &state,
        "pipelines/forge.json",
        "  encryption:\n    passphrase: {env: FORGE_STATE_PASSPHRASE}\n",
    ) + &format!(
        "stores:\n  - name: aws\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: S}}\nbuckets:\n  - name: {target}\n    store: aws\n    force_destroy: true\n",
        s.endpoint
    );
    let mut env = s3_env(s);
    env.push(("FORGE_STATE_PASSPHRASE", "ci secret passphrase".into()));
    // Job 1, in its own checkout.
    let job1 = Project::new(&yaml);
    job(job1.path(), "plan.sh", &env).expect_code(0);
    let review =
        std::fs::read_to_string(job1.path().join("forge.plan.txt")).expect("the plan for review");
    assert!(
        review.contains(&format!("s3_bucket.{target} will be created")),
        "{review}"
    );
    // Job 2, in another checkout of the same commit, with job 1's artifact.
    let job2 = Project::new(&yaml);
    std::fs::copy(
        job1.path().join("forge.plan"),
        job2.path().join("forge.plan"),
    )
    .expect("artifact");
    let applied = job(job2.path(), "apply.sh", &env).expect_code(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 1 added"),
        "{}",
        applied.stdout
    );
    let listed = boto3(
        s,
        &format!("print(any(b['Name'] == '{target}' for b in s3.list_buckets()['Buckets']))"),
    );
    assert_eq!(listed, "True");
    assert!(
        !job1.state_path().exists() && !job2.state_path().exists(),
        "the state is on S3 only"
    );
    // The pipeline re-run with the old artifact: refused, the state moved.
    let third = Project::new(&yaml);
    std::fs::copy(
        job1.path().join("forge.plan"),
        third.path().join("forge.plan"),
    )
    .expect("artifact");
    let stale = job(third.path(), "apply.sh", &env).expect_code(1);
    assert!(
        flat(&stale.stderr).contains(
            "the saved plan `forge.plan` is stale: the state changed since the plan was made"
        ),
        "{}",
        stale.stderr
    );
    // And a new plan job sees nothing to do.
    job(third.path(), "plan.sh", &env).expect_code(0);
    let review = std::fs::read_to_string(third.path().join("forge.plan.txt")).expect("plan");
    assert!(review.contains("No changes"), "{review}");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    third
        .run_env(&["destroy", "--auto-approve"], &env)
        .expect_code(0);
}
