//! Running the programs some providers drive (k3d, docker, podman): with a timeout, a
//! clean error naming the program, its arguments and the end of its stderr, and
//! [`ProviderError::ToolMissing`] when the program is not installed.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::provider::ProviderError;

/// How to install the tools forge drives.
pub fn install_hint(program: &str) -> String {
    match program {
        "k3d" => "install k3d: https://k3d.io/#installation (e.g. `brew install k3d`, or `curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | bash`)".into(),
        "docker" => "install Docker (Docker Desktop, or docker-ce on Linux) and start it".into(),
        "podman" => "install Podman (`brew install podman` on macOS) and start its machine".into(),
        "kubectl" => "install kubectl: https://kubernetes.io/docs/tasks/tools/".into(),
        other => format!("install `{other}` and make sure it is on PATH"),
    }
}

/// Whether `program` is on PATH.
pub fn installed(program: &str) -> bool {
    which(program).is_some()
}

/// The full path of `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The output of a program that ran to completion.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code (`-1` if killed by a signal).
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

/// Runs `program args` with `envs`, killing it after `timeout`.
pub async fn run(
    program: &str,
    args: &[String],
    envs: &[(String, String)],
    timeout: Duration,
) -> Result<Output, ProviderError> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProviderError::ToolMissing {
                tool: program.to_string(),
                hint: install_hint(program),
            });
        }
        Err(e) => return Err(failed(program, args, "could not start", &e.to_string())),
    };
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(failed(program, args, "failed", &e.to_string())),
        Err(_) => {
            return Err(ProviderError::Timeout {
                what: format!("`{program} {}`", args.join(" ")),
                after: timeout,
            });
        }
    };
    Ok(Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Like [`run`], but a non-zero exit is an error.
pub async fn run_ok(
    program: &str,
    args: &[String],
    envs: &[(String, String)],
    timeout: Duration,
) -> Result<Output, ProviderError> {
    let out = run(program, args, envs, timeout).await?;
    if out.code != 0 {
        return Err(failed(
            program,
            args,
            &format!("exit {}", out.code),
            &out.stderr,
        ));
    }
    Ok(out)
}

fn failed(program: &str, args: &[String], status: &str, stderr: &str) -> ProviderError {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(6)..].join("\n");
    ProviderError::Command {
        program: program.to_string(),
        args: args.join(" "),
        status: status.to_string(),
        stderr: tail,
    }
}

/// Turns `&["a", "b"]` into owned arguments.
pub fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}
