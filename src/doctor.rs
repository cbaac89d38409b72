//! `forge doctor`'s checks: is this machine ready for the local stack? Tools,
//! container runtime (the six-case rule), the Podman machine on macOS, the stack's host
//! ports, ghost k3d clusters, and Polaris' health. Each check has a status, a message
//! and a fix hint; `--fix` starts the Podman machine and frees ports held by a stale
//! gvproxy, as the original tool does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use serde::Serialize;

use crate::config::defaults;
use crate::expand::Declared;
use crate::provider::Kind;
use crate::providers::command::{self, args, installed};
use crate::providers::k3d::runtime::{self, Runtime};
use crate::providers::k3d::{ClusterSpec, K3dCluster};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Will stop forge from working.
    Fail,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn check(name: &str, status: Status, message: impl Into<String>, hint: Option<String>) -> Check {
    Check {
        name: name.into(),
        status,
        message: message.into(),
        hint,
    }
}

/// A reason that stops resources (found by reading them, as `forge plan` does) as a check.
pub fn blocker_check(b: crate::plan::Blocker) -> Check {
    let n = b.addrs.len();
    Check {
        name: format!(
            "{n} resource{} of forge.yaml",
            if n == 1 { "" } else { "s" }
        ),
        status: Status::Fail,
        message: b.message,
        hint: b.hint,
    }
}

/// Whether nothing listens on `port` (on all interfaces, as k3d binds).
pub fn port_free(port: u16) -> bool {
    TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// A plain-HTTP GET; the status code, if anything answered.
fn http_status(host: &str, port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(
        &format!("{host}:{port}").parse().ok()?,
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    std::str::from_utf8(&buf[..n])
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn tool(name: &str, required: bool, version_args: &[&str]) -> Check {
    if !installed(name) {
        let status = if required { Status::Fail } else { Status::Warn };
        return check(
            &format!("tool: {name}"),
            status,
            "not installed",
            Some(command::install_hint(name)),
        );
    }
    let v = command::run(name, &args(version_args), &[], Duration::from_secs(10))
        .await
        .map(|o| o.stdout.lines().next().unwrap_or("").trim().to_string())
        .unwrap_or_default();
    check(
        &format!("tool: {name}"),
        Status::Ok,
        if v.is_empty() {
            "installed".to_string()
        } else {
            v
        },
        None,
    )
}

/// Runs every check for the stack `declared` describes (the defaults without one).
/// With `fix`, starts or creates the Podman machine and frees ports a stale gvproxy holds.
pub async fn run(declared: Option<&Declared>, fix: bool) -> Vec<Check> {
    let args_ = Fix { fix };
    let cluster: Option<ClusterSpec> = declared.and_then(|d| {
        d.resources
            .iter()
            .find(|r| r.addr.kind() == K3dCluster::KIND)
            .and_then(|r| serde_json::from_value(r.spec.clone()).ok())
    });
    let (ports, cluster_name, podman_machine, runtime_wanted) = match &cluster {
        Some(c) => (
            [c.ports.s3, c.ports.console, c.ports.polaris],
            Some(c.name.clone()),
            c.podman_machine.clone(),
            c.runtime.as_str(),
        ),
        None => (
            [
                defaults::S3_PORT,
                defaults::CONSOLE_PORT,
                defaults::POLARIS_PORT,
            ],
            None,
            "k3d".to_string(),
            "auto",
        ),
    };
    let mut checks = vec![
        tool("k3d", true, &["version"]).await,
        tool("kubectl", false, &["version", "--client"]).await,
    ];
    let probe = runtime::probe().await;
    let chosen = match runtime_wanted {
        "docker" => Ok(Runtime::Docker),
        "podman" => Ok(Runtime::Podman),
        _ => runtime::choose(probe),
    };
    checks.push(match &chosen {
        Ok(r) => {
            let running = match r {
                Runtime::Docker => probe.docker_running,
                Runtime::Podman => probe.podman_running,
            };
            let name = if *r == Runtime::Docker { "Docker" } else { "Podman" };
            if running {
                check("container runtime", Status::Ok, format!("{name} is running"), None)
            } else {
                check("container runtime", Status::Fail, format!("{name} is installed but not running"), Some(if *r == Runtime::Docker { "start Docker".into() } else { format!("start the Podman machine: `podman machine start {podman_machine}` (or run `forge doctor --fix`)") }))
            }
        }
        Err(why) => check("container runtime", Status::Fail, why.clone(), None),
    });
    if cfg!(target_os = "macos") && chosen == Ok(Runtime::Podman) {
        checks.push(podman_machine_check(&podman_machine, args_.fix).await);
    }
    for (port, what) in ports
        .iter()
        .zip(["RustFS S3 API", "RustFS console", "Polaris"])
    {
        let in_use = !port_free(*port);
        let ours = cluster_name.is_some() && in_use && chosen.is_ok();
        checks.push(if !in_use {
            check(&format!("port {port}"), Status::Ok, format!("free for {what}"), None)
        } else if ours {
            check(&format!("port {port}"), Status::Warn, format!("in use ({what}): fine if it is this project's cluster"), Some(format!("if it is not, free it or change `cluster.k3d.ports` (`lsof -i :{port}` shows who holds it)")))
        } else {
            check(&format!("port {port}"), Status::Fail, format!("in use, needed for {what}"), Some(format!("free it or change `cluster.k3d.ports` (`lsof -i :{port}`); on macOS a stale gvproxy often holds it: `forge doctor --fix`")))
        });
    }
    if args_.fix
        && checks
            .iter()
            .any(|c| c.name.starts_with("port ") && c.status == Status::Fail)
        && cfg!(target_os = "macos")
    {
        let _ = command::run(
            "pkill",
            &args(&["-9", "gvproxy"]),
            &[],
            Duration::from_secs(10),
        )
        .await;
    }
    if let (Ok(choice), true) = (&chosen, installed("k3d")) {
        checks.push(ghost_check(*choice).await);
    }
    if declared.is_some_and(|d| {
        d.config
            .file
            .stack
            .as_ref()
            .is_some_and(|s| s.polaris.is_some())
    }) {
        let port = ports[2];
        checks.push(
            match http_status("127.0.0.1", port, "/api/management/v1/catalogs") {
                Some(401) | Some(200) => check(
                    "polaris",
                    Status::Ok,
                    format!("answers on http://localhost:{port}"),
                    None,
                ),
                Some(code) => check(
                    "polaris",
                    Status::Warn,
                    format!("http://localhost:{port} answers HTTP {code}"),
                    Some(
                        "check the Polaris pod's logs: `kubectl logs -n polaris deploy/polaris`"
                            .into(),
                    ),
                ),
                None => check(
                    "polaris",
                    Status::Warn,
                    format!("nothing answers on http://localhost:{port}"),
                    Some("run `forge apply` to create the stack".into()),
                ),
            },
        );
    }
    checks
}

/// The `--fix` flag.
struct Fix {
    fix: bool,
}

async fn start_machine(machine: &str) -> bool {
    command::run_ok(
        "podman",
        &args(&["machine", "start", machine]),
        &[],
        Duration::from_secs(300),
    )
    .await
    .is_ok()
}

async fn podman_machine_check(machine: &str, fix: bool) -> Check {
    let t = Duration::from_secs(60);
    let state = command::run(
        "podman",
        &args(&["machine", "inspect", machine, "--format", "{{.State}}"]),
        &[],
        t,
    )
    .await;
    match state {
        Ok(o) if o.code == 0 && o.stdout.trim() == "running" => check(
            "podman machine",
            Status::Ok,
            format!("`{machine}` is running"),
            None,
        ),
        Ok(o) if o.code == 0 => {
            if fix && start_machine(machine).await {
                return check(
                    "podman machine",
                    Status::Ok,
                    format!("`{machine}` started"),
                    None,
                );
            }
            check(
                "podman machine",
                Status::Fail,
                format!("`{machine}` is {}", o.stdout.trim()),
                Some(format!(
                    "`podman machine start {machine}`, or `forge doctor --fix`"
                )),
            )
        }
        _ => {
            if fix {
                let init = args(&[
                    "machine",
                    "init",
                    machine,
                    "--cpus",
                    "4",
                    "--memory",
                    "8192",
                    "--disk-size",
                    "50",
                ]);
                if command::run_ok("podman", &init, &[], Duration::from_secs(900))
                    .await
                    .is_ok()
                    && start_machine(machine).await
                {
                    return check(
                        "podman machine",
                        Status::Ok,
                        format!("`{machine}` created and started"),
                        None,
                    );
                }
            }
            check(
                "podman machine",
                Status::Fail,
                format!("there is no Podman machine `{machine}`"),
                Some(format!(
                    "`podman machine init {machine} --cpus 4 --memory 8192 --disk-size 50 && podman machine start {machine}`, or `forge doctor --fix`"
                )),
            )
        }
    }
}

/// k3d clusters whose containers exist although k3d does not list them (ghosts).
async fn ghost_check(choice: Runtime) -> Check {
    let t = Duration::from_secs(30);
    let listed: Vec<String> =
        command::run("k3d", &args(&["cluster", "list", "-o", "json"]), &[], t)
            .await
            .ok()
            .and_then(|o| serde_json::from_str::<Vec<serde_json::Value>>(&o.stdout).ok())
            .map(|l| {
                l.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
    let program = if choice == Runtime::Docker {
        "docker"
    } else {
        "podman"
    };
    let containers = command::run(
        program,
        &args(&[
            "ps",
            "-a",
            "--filter",
            "name=k3d-",
            "--format",
            "{{.Names}}",
        ]),
        &[],
        t,
    )
    .await
    .map(|o| o.stdout)
    .unwrap_or_default();
    let mut ghosts: Vec<String> = containers
        .lines()
        .filter_map(|n| n.strip_prefix("k3d-"))
        .filter_map(|n| {
            n.rsplit_once("-server-")
                .or_else(|| n.rsplit_once("-agent-"))
                .or_else(|| n.strip_suffix("-serverlb").map(|c| (c, "")))
                .map(|(c, _)| c.to_string())
        })
        .filter(|c| !listed.contains(c))
        .collect();
    ghosts.sort();
    ghosts.dedup();
    if ghosts.is_empty() {
        check("ghost clusters", Status::Ok, "none", None)
    } else {
        check(
            "ghost clusters",
            Status::Warn,
            format!(
                "containers of clusters k3d does not list: {}",
                ghosts.join(", ")
            ),
            Some(format!("`k3d cluster delete {}`", ghosts.join(" "))),
        )
    }
}
