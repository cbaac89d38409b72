//! Child processes that never outlive the test binary.
//!
//! Each server runs under a small bash guard whose stdin is a pipe from the test
//! process. When the test process ends (normally, by panic, or by SIGKILL), the pipe
//! closes, the guard's `read` returns, and it kills the server: no peer survives a run.

use std::fs::File;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// A guarded server process.
pub struct Guarded {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
    /// A name for messages.
    pub name: String,
}

const GUARD: &str = r#""$@" & pid=$!; read -r _; kill "$pid" 2>/dev/null; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done; kill -9 "$pid" 2>/dev/null; wait"#;

impl Guarded {
    /// Starts `program args` under the guard, logging to `log`.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        envs: &[(&str, String)],
        cwd: &Path,
        log: PathBuf,
    ) -> Self {
        let out =
            File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone log handle");
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(GUARD)
            .arg("forge-test-guard")
            .arg(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            log,
            name: name.to_string(),
        }
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        let all: Vec<&str> = s.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Waits until `ready()` holds, or panics with the log tail after `timeout`.
    pub fn wait_ready(&mut self, timeout: Duration, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if ready() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before it was ready; log {}:\n{}",
                    self.name,
                    self.log.display(),
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} was not ready after {timeout:?}; log {}:\n{}",
            self.name,
            self.log.display(),
            self.log_tail(40)
        );
    }

    /// Stops the server now.
    pub fn stop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A directory for this test binary's servers, removed by the OS temp cleaner.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("forge-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Calls `ready` every `every` until it says yes; fails the test with `what` when
/// `limit` passes first.
pub fn wait_until(limit: Duration, every: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{what}");
        std::thread::sleep(every);
    }
}
