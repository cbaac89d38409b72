//! The command line, without servers: plans, diagnostics, JSON, saved plans, state.

use std::os::unix::fs::PermissionsExt;

use crate::support::forge::Project;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/forge.yaml.example");

#[test]
fn plan_on_the_example_prints_the_full_plan_without_any_server() {
    let p = Project::new("");
    let run = p
        .run(&[
            "plan",
            "-f",
            EXAMPLE,
            "--work-dir",
            p.path().to_str().expect("utf8"),
        ])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("# k3d_cluster.polaris-local-forge will be created"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("# polaris_catalog.polardb will be created")
    );
    assert!(
        run.stdout
            .contains("# l2c_table.polardb/wildlife/penguins will be created"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("s3_bucket \"tester-polaris-dev-polardb\""),
        "AWS names follow <user>-<project>-<catalog>"
    );
    assert!(
        run.stdout
            .trim_end()
            .ends_with("Plan: 26 to add, 0 to change, 0 to destroy."),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("secret_key =")
            || run.stdout.contains("secret_key         = (sensitive)")
    );
    p.run(&[
        "plan",
        "-f",
        EXAMPLE,
        "--work-dir",
        p.path().to_str().expect("utf8"),
        "--detailed-exitcode",
    ])
    .expect_code(2);
}

#[test]
fn config_mistakes_point_at_file_line_and_column() {
    let p = Project::new("project: demo\nbuckets:\n  - name: data\n    stor: local\n");
    let run = p.run(&["validate"]).expect_code(1);
    assert!(run.stderr.contains("forge.yaml:5:5"), "{}", run.stderr);
    assert!(run.stderr.contains("unknown field `stor`"));
    assert!(run.stderr.contains("did you mean `store`?"));
}

#[test]
fn json_output_is_one_object_per_line_in_terraforms_shape() {
    let p = Project::new("");
    let run = p
        .run(&[
            "plan",
            "--json",
            "-f",
            EXAMPLE,
            "--work-dir",
            p.path().to_str().expect("utf8"),
        ])
        .expect_code(0);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines[0]["type"], "version");
    for l in &lines {
        for key in ["@level", "@message", "@module", "@timestamp", "type"] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
    }
    let planned: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["type"] == "planned_change")
        .collect();
    assert_eq!(planned.len(), 26);
    assert_eq!(planned[0]["change"]["action"], "create");
    let summary = lines.last().expect("summary");
    assert_eq!(summary["type"], "change_summary");
    assert_eq!(summary["changes"]["add"], 26);
    // Config errors become diagnostics with a file range.
    let bad = Project::new("buckets:\n  - nam: x\n");
    let run = bad.run(&["plan", "--json"]).expect_code(1);
    let diag: serde_json::Value = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["type"] == "diagnostic")
        .expect("diagnostic line");
    assert_eq!(diag["diagnostic"]["severity"], "error");
    assert_eq!(diag["diagnostic"]["range"]["start"]["line"], 4);
    assert!(
        diag["diagnostic"]["range"]["filename"]
            .as_str()
            .expect("filename")
            .ends_with("forge.yaml")
    );
}

#[test]
fn apply_without_a_terminal_refuses_unless_approved() {
    let p = Project::new("files:\n  - name: hello\n    path: out/hello.txt\n    content: hi\n");
    let run = p.run(&["apply"]).expect_code(1);
    assert!(run.stderr.contains("needs confirmation"), "{}", run.stderr);
    assert!(!p.path().join("out/hello.txt").exists());
}

#[test]
fn unknown_targets_are_errors_not_silent_no_ops() {
    let p = Project::new("files:\n  - name: hello\n    path: hello.txt\n    content: hi\n");
    let run = p
        .run(&["plan", "--target", "local_file.helo"])
        .expect_code(1);
    assert!(run.stderr.contains("matches no resource"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `local_file.hello`"),
        "{}",
        run.stderr
    );
    p.run(&["plan", "--exclude", "nothing.here"]).expect_code(1);
    p.run(&["plan", "--replace", "local_file.nope"])
        .expect_code(1);
}

const FILES: &str = "files:\n  - name: a\n    path: out/a.txt\n    content: first\n  - name: b\n    path: out/b.txt\n    content: \"${local_file.a.sha256}\"\n    mode: \"0640\"\noutputs:\n  a_digest: ${local_file.a.sha256}\n  secret_one: {value: \"${local_file.b.path}\", sensitive: true}\n";

#[test]
fn local_files_apply_plan_destroy_and_state_hygiene() {
    let p = Project::new(FILES);
    let run = p.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/a.txt")).expect("a"),
        "first"
    );
    let digest = std::fs::read_to_string(p.path().join("out/b.txt")).expect("b");
    assert_eq!(digest.len(), 64, "b holds a's digest, resolved from state");
    let mode = std::fs::metadata(p.path().join("out/b.txt"))
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640);
    let state_mode = std::fs::metadata(p.state_path())
        .expect("state")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(state_mode, 0o600);
    assert!(
        !p.path().join(".forge/state.json.backup").exists(),
        "no state before this run, nothing to back up"
    );
    // Nothing changed: one line, exit 0; detailed exit code 0.
    let run = p.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(
        run.stdout.trim(),
        "No changes. Everything matches forge.yaml."
    );
    // Outputs: sensitive ones hidden unless asked.
    let out = p.run(&["output"]).expect_code(0);
    assert!(
        out.stdout.contains(&format!("a_digest = \"{digest}\"")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("secret_one = (sensitive)"));
    let shown = p
        .run(&["output", "secret_one", "--show-sensitive"])
        .expect_code(0);
    assert!(shown.stdout.trim().ends_with("out/b.txt"));
    // Edit by hand: drift shown, apply restores.
    std::fs::write(p.path().join("out/a.txt"), "edited").expect("edit");
    let run = p.run(&["plan"]).expect_code(0);
    assert!(
        run.stdout
            .contains("local_file.a has changed outside forge"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("~ sha256"));
    p.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/a.txt")).expect("a"),
        "first"
    );
    let backup: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.path().join(".forge/state.json.backup")).expect("backup"),
    )
    .expect("json");
    assert!(
        backup["serial"].as_u64().expect("serial") < p.state()["serial"].as_u64().expect("serial"),
        "the backup is the state before this run"
    );
    // state list / show / rm.
    let list = p.run(&["state", "list"]).expect_code(0);
    assert_eq!(
        list.stdout.lines().collect::<Vec<_>>(),
        vec!["local_file.a", "local_file.b"]
    );
    p.run(&["state", "show", "local_file.a"]).expect_code(0);
    p.run(&["state", "show", "local_file.zzz"]).expect_code(1);
    // Removing a resource from forge.yaml plans its deletion.
    p.write("files:\n  - name: a\n    path: out/a.txt\n    content: first\n");
    let run = p.run(&["plan"]).expect_code(0);
    assert!(
        run.stdout.contains("# local_file.b will be destroyed"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("no longer in forge.yaml"));
    p.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(!p.path().join("out/b.txt").exists());
    let run = p.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.stdout
    );
    assert!(!p.path().join("out/a.txt").exists());
    assert_eq!(p.state()["resources"], serde_json::json!({}));
}

#[test]
fn saved_plans_apply_exactly_and_refuse_when_stale() {
    let p = Project::new(FILES);
    let run = p.run(&["plan", "--out", "tfplan"]).expect_code(0);
    assert!(run.stdout.contains("Saved the plan to tfplan"));
    let mode = std::fs::metadata(p.path().join("tfplan"))
        .expect("plan")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let show = p.run(&["show", "tfplan"]).expect_code(0);
    assert!(show.stdout.contains("Plan: 2 to add"));
    let json = p.run(&["show", "--json", "tfplan"]).expect_code(0);
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("json");
    assert_eq!(v["changes"].as_array().expect("changes").len(), 2);
    // Stale after forge.yaml changes.
    p.write(&FILES.replace("first", "second"));
    let run = p.run(&["apply", "tfplan"]).expect_code(1);
    assert!(
        run.stderr.contains("is stale") && run.stderr.contains("forge.yaml"),
        "{}",
        run.stderr
    );
    p.write(FILES);
    // Applies exactly the saved plan, without asking.
    p.run(&["apply", "tfplan"]).expect_code(0);
    assert!(p.path().join("out/a.txt").exists());
    // Stale after the state moved on.
    p.run(&["plan", "--out", "tfplan2"]).expect_code(0);
    std::fs::remove_file(p.path().join("out/a.txt")).expect("rm");
    p.run(&["apply", "--auto-approve"]).expect_code(0);
    let run = p.run(&["apply", "tfplan2"]).expect_code(1);
    assert!(
        run.stderr
            .contains("the state changed since the plan was made"),
        "{}",
        run.stderr
    );
}

#[test]
fn graph_schema_and_completions() {
    let p = Project::new(FILES);
    let dot = p.run(&["graph"]).expect_code(0);
    assert!(dot.stdout.starts_with("digraph forge {"));
    assert!(
        dot.stdout.contains("\"local_file.b\" -> \"local_file.a\";"),
        "{}",
        dot.stdout
    );
    assert!(
        dot.stdout.contains("+ local_file.a"),
        "nodes carry their planned action"
    );
    let svg = p.run(&["graph", "--format", "svg"]).expect_code(0);
    assert!(svg.stdout.contains("<svg") && svg.stdout.contains("local_file.a"));
    let schema = p.run(&[
        "schema",
        "--check",
        "-o",
        concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/forge.schema.json"),
    ]);
    assert_eq!(schema.code, 0, "{}", schema.stderr);
    let bash = p.run(&["completions", "bash"]).expect_code(0);
    assert!(bash.stdout.contains("forge"));
    let v = p.run(&["--version"]).expect_code(0);
    assert!(v.stdout.starts_with("forge "));
}

#[test]
fn example_validates_against_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/forge.schema.json"
        ))
        .expect("schema"),
    )
    .expect("json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let example = std::fs::read_to_string(EXAMPLE)
        .expect("example")
        .replace("${env:USER:-forge}", "tester");
    let doc: serde_json::Value = yaml_to_json(&example);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // And the schema really checks: an unknown field is rejected.
    let mut bad = doc.clone();
    bad["projekt"] = serde_json::json!("x");
    assert!(!validator.is_valid(&bad));
}

/// YAML → JSON through python3's yaml module (an independent parser).
fn yaml_to_json(yaml: &str) -> serde_json::Value {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(yaml.as_bytes())?;
            c.wait_with_output()
        })
        .expect("python3 yaml");
    assert!(
        out.status.success(),
        "python3 yaml failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}
