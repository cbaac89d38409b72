//! Running the real `forge` binary in a project directory of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `yaml` with `version: 1` and `project: test` in front unless it has its own.
fn complete(yaml: &str) -> String {
    if yaml.is_empty() {
        return String::new();
    }
    let has = |key: &str| yaml.lines().any(|l| l.starts_with(key));
    let mut out = String::new();
    if !has("version:") {
        out.push_str("version: 1\n");
    }
    if !has("project:") {
        out.push_str("project: test\n");
    }
    out + yaml
}

/// A project directory with a forge.yaml.
pub struct Project {
    /// The directory (deleted on drop).
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project holding `yaml` as forge.yaml (see [`Project::write`]).
    pub fn new(yaml: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Self { dir };
        p.write(yaml);
        p
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces forge.yaml. `version` and `project`, which every forge.yaml needs, are
    /// added when `yaml` lacks them (an empty `yaml` stays empty).
    pub fn write(&self, yaml: &str) {
        std::fs::write(self.dir.path().join("forge.yaml"), complete(yaml))
            .expect("write forge.yaml");
    }

    /// Replaces forge.yaml with exactly `yaml`.
    pub fn write_raw(&self, yaml: &str) {
        std::fs::write(self.dir.path().join("forge.yaml"), yaml).expect("write forge.yaml");
    }

    /// `forge ARGS` in the project, with a clean, deterministic environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_forge"));
        c.args(args).current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k.starts_with("FORGE_") {
                c.env_remove(k);
            }
        }
        // Reports unwrapped, so snapshots do not depend on the length of random names.
        c.env("NO_COLOR", "1")
            .env("COLUMNS", "1000")
            .env("USER", "tester")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }

    /// Runs `forge ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("run forge");
        Run::from(out)
    }

    /// The state file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join(".forge/state.json")
    }

    /// The state as JSON.
    pub fn state(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.state_path()).expect("state file"))
            .expect("state json")
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

/// Text that only Rust's `{:?}` of an error type produces: none of it may reach a user.
const DEBUG_DUMPS: &[&str] = &[
    "{ source:",
    "DispatchFailure(",
    "StatusCode(",
    "ConnectorError {",
    "Some(",
    "kind: Other(",
];

impl From<Output> for Run {
    /// Every run of the binary in the suite goes through here, so every user-visible
    /// output of the suite is checked for debug-formatted structures.
    fn from(o: Output) -> Self {
        let run = Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        for dump in DEBUG_DUMPS {
            assert!(
                !run.stdout.contains(dump) && !run.stderr.contains(dump),
                "forge printed a debug-formatted structure (`{dump}`):\n--- stdout\n{}\n--- stderr\n{}",
                run.stdout,
                run.stderr
            );
        }
        run
    }
}

impl Run {
    /// Both streams with every run of whitespace (line wraps included) as one space, so a
    /// test can look for a phrase wherever forge wrapped it.
    pub fn flat(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl Project {
    /// Runs `forge ARGS` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run forge").into()
    }
}
