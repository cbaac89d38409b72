//! The independent clients of the Polaris tests, installed by
//! `scripts/install-test-servers.sh` into the cache: the official Polaris CLI
//! (PyPI `apache-polaris` 1.8.0, the `polaris` command) and pyiceberg 0.12 / duckdb 1.5.5,
//! driven through `tests/support/py/polaris_clients.py`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn servers() -> PathBuf {
    std::env::var_os("FORGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/forge")
        })
        .join("servers")
}

fn installed(dir: PathBuf, module: &str, what: &str) -> PathBuf {
    assert!(
        dir.join(module).is_dir(),
        "{what} is not installed at {}: run `scripts/install-test-servers.sh`",
        dir.display()
    );
    dir
}

/// What a CLI run printed.
#[derive(Debug)]
pub struct CliRun {
    /// Exit status 0.
    pub ok: bool,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr (the CLI's log lines and error messages).
    pub stderr: String,
}

impl CliRun {
    /// Every stdout line that is a JSON object (the CLI prints one per entity).
    pub fn objects(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(Value::is_object)
            .collect()
    }
}

/// Runs `polaris --host 127.0.0.1 --port PORT --realm REALM --client-id ID --client-secret
/// SECRET ARGS...` (the official CLI), in `cwd` when given.
pub fn cli(port: u16, realm: &str, id: &str, secret: &str, args: &[&str]) -> CliRun {
    let dir = installed(
        servers().join("apache-polaris-1.8.0"),
        "apache_polaris",
        "apache-polaris 1.8.0",
    );
    let port = port.to_string();
    let out = Command::new("python3")
        .args(["-m", "apache_polaris.cli.polaris_cli"])
        .args(["--host", "127.0.0.1", "--port", &port, "--realm", realm])
        .args(["--client-id", id, "--client-secret", secret])
        .args(args)
        .env("PYTHONPATH", &dir)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("run python3 -m apache_polaris.cli.polaris_cli");
    CliRun {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// As [`cli`], panicking with the CLI's output unless it succeeds; returns the run.
pub fn cli_ok(port: u16, realm: &str, id: &str, secret: &str, args: &[&str]) -> CliRun {
    let run = cli(port, realm, id, secret, args);
    assert!(
        run.ok,
        "polaris {args:?} failed:\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

/// Runs `tests/support/py/polaris_clients.py COMMAND ARGS` (pyiceberg / duckdb) and returns
/// its JSON line: `{"ok": true, ...}`, or `{"ok": false, "error", "message"}` for a refusal.
pub fn clients(command: &str, args: &Value) -> Value {
    script("polaris_clients.py", command, args)
}

/// Runs `tests/support/py/NAME COMMAND ARGS` with pyiceberg and duckdb on the path, no AWS
/// configuration of the machine's, and returns its JSON line.
pub fn script(name: &str, command: &str, args: &Value) -> Value {
    let dir = installed(
        servers().join("pyiceberg-0.12.0"),
        "pyiceberg",
        "pyiceberg 0.12.0",
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/py")
        .join(name);
    let out = Command::new("python3")
        .arg(&script)
        .arg(command)
        .arg(args.to_string())
        .env("PYTHONPATH", &dir)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} {command} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
