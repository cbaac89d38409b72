//! Smoke tests of the real peers, with clients we did not write (kubectl, psql): the
//! control plane's own controllers, driven by the node stand-in, must bring workloads
//! to the states a kubelet-backed cluster would. Every object carries a real command
//! and image too, so the same tests mean the same thing against a k3d cluster
//! (`FORGE_TEST_KUBECONFIG`), where the `forge.test/fate` annotations are ignored.

use std::time::{Duration, Instant};

use crate::support::peers::kube::{TestNamespace, kube};
use crate::support::peers::node::NODE;
use crate::support::peers::postgres::postgres;

/// Long enough for a loaded 2-core machine; a healthy run needs a few seconds.
const WAIT: &str = "--timeout=120s";

fn deployment(name: &str, replicas: u32, fate: Option<&str>, container: &str) -> String {
    let annotations = fate
        .map(|f| format!("\n      annotations:\n        forge.test/fate: {f}"))
        .unwrap_or_default();
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}{annotations}
    spec:
      containers:
{container}"
    )
}

const PAUSE: &str = "      - name: main\n        image: registry.k8s.io/pause:3.10\n";
const EXIT_1: &str =
    "      - name: main\n        image: busybox:1.37\n        command: [sh, -c, 'exit 1']\n";

/// Polls `f` every 250 ms until it returns `Some`, or panics with `what` and the
/// namespace's contents after `timeout`.
fn eventually<T>(
    ns: &TestNamespace,
    timeout: Duration,
    what: &str,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "{what}: not after {timeout:?}\n{}",
            ns.describe()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn control_plane_reports_its_start_up() {
    let k = kube();
    let version = k.kubectl_ok(&["version", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&version).expect("kubectl version json");
    if k.stand_in() {
        assert_eq!(v["serverVersion"]["gitVersion"], "v1.37.2", "{version}");
        let total = k
            .startup
            .iter()
            .find(|(step, _)| *step == "total")
            .map(|(_, d)| *d)
            .expect("total start-up time");
        eprintln!("kube peer start-up: {:?}", k.startup);
        assert!(total < Duration::from_secs(240), "{:?}", k.startup);
    }
    // The API server's certificate is checked against our CA: kubectl would refuse it otherwise.
    let ns = k.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    for expected in [
        "namespace/default",
        "namespace/kube-system",
        "namespace/kube-node-lease",
    ] {
        assert!(
            ns.lines().any(|l| l == expected),
            "{expected} missing:\n{ns}"
        );
    }
}

#[test]
fn node_stand_in_is_ready_and_heartbeats() {
    let k = kube();
    if !k.stand_in() {
        return; // a real cluster has real nodes
    }
    let ready = k.kubectl_ok(&[
        "get",
        "node",
        NODE,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
    ]);
    assert_eq!(ready, "True");
    let taints = k.kubectl_ok(&["get", "node", NODE, "-o", "jsonpath={.spec.taints}"]);
    assert!(!taints.contains("NoExecute"), "node tainted: {taints}");
    let renew = || {
        k.kubectl_ok(&[
            "get",
            "lease",
            NODE,
            "-n",
            "kube-node-lease",
            "-o",
            "jsonpath={.spec.renewTime}",
        ])
    };
    let first = renew();
    assert!(!first.is_empty(), "no Lease for {NODE}");
    let start = Instant::now();
    while renew() == first {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Lease not renewed in 30 s (still {first})"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn deployment_becomes_available() {
    let k = kube();
    let ns = k.namespace("deploy");
    ns.apply(&deployment("web", 2, None, PAUSE));
    ns.kubectl_ok(&["wait", "--for=condition=Available", "deployment/web", WAIT]);
    ns.kubectl_ok(&["rollout", "status", "deployment/web", WAIT]);
    assert_eq!(
        ns.jsonpath("deployment/web", "{.status.availableReplicas}"),
        "2"
    );
    assert_eq!(
        ns.jsonpath("deployment/web", "{.status.readyReplicas}"),
        "2"
    );
    let pods = ns.kubectl_ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.status.phase} {.status.podIP} {.spec.nodeName}{\"\\n\"}{end}",
    ]);
    let lines: Vec<&str> = pods.lines().collect();
    assert_eq!(lines.len(), 2, "{pods}");
    for line in lines {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[0], "Running", "{pods}");
        assert!(!f[1].is_empty(), "no pod IP: {pods}");
        if k.stand_in() {
            assert_eq!(f[2], NODE, "{pods}");
        }
    }
}

#[test]
fn statefulset_becomes_ready() {
    let k = kube();
    let ns = k.namespace("sts");
    ns.apply(
        "apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: main
        image: registry.k8s.io/pause:3.10
",
    );
    ns.kubectl_ok(&["rollout", "status", "statefulset/db", WAIT]);
    assert_eq!(
        ns.jsonpath("statefulset/db", "{.status.readyReplicas}"),
        "2"
    );
    // OrderedReady: db-1 was only created once db-0 was Ready.
    let names = ns.jsonpath("pods", "{.items[*].metadata.name}");
    let mut names: Vec<&str> = names.split_whitespace().collect();
    names.sort();
    assert_eq!(names, ["db-0", "db-1"]);
    // The EndpointSlice controller publishes the ready pods' IPs behind the Service.
    let ips = ns.jsonpath("pods", "{.items[*].status.podIP}");
    let mut ips: Vec<&str> = ips.split_whitespace().collect();
    ips.sort();
    assert_eq!(ips.len(), 2, "pod IPs: {ips:?}");
    eventually(
        &ns,
        Duration::from_secs(60),
        "EndpointSlice lists both pods",
        || {
            let out = ns.jsonpath(
            "endpointslices",
            "{.items[?(@.metadata.labels.kubernetes\\.io/service-name==\"db\")].endpoints[*].addresses[*]}",
        );
            let mut got: Vec<&str> = out.split_whitespace().collect();
            got.sort();
            (got == ips).then_some(())
        },
    );
}

#[test]
fn daemonset_runs_on_the_node() {
    let k = kube();
    let ns = k.namespace("ds");
    ns.apply(
        "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: main
        image: registry.k8s.io/pause:3.10
",
    );
    ns.kubectl_ok(&["rollout", "status", "daemonset/agent", WAIT]);
    let nodes = k
        .kubectl_ok(&["get", "nodes", "-o", "name"])
        .lines()
        .count();
    assert_eq!(
        ns.jsonpath("daemonset/agent", "{.status.numberReady}"),
        nodes.to_string()
    );
    if k.stand_in() {
        assert_eq!(ns.jsonpath("pods", "{.items[*].spec.nodeName}"), NODE);
    }
}

#[test]
fn job_completes() {
    let k = kube();
    let ns = k.namespace("job");
    ns.apply(
        "apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.37
        command: [sh, -c, 'echo done']
",
    );
    ns.kubectl_ok(&["wait", "--for=condition=Complete", "job/once", WAIT]);
    assert_eq!(ns.jsonpath("job/once", "{.status.succeeded}"), "1");
    assert_eq!(ns.jsonpath("job/once", "{.status.failed}"), "");
    let phase = ns.jsonpath("pods", "{.items[*].status.phase}");
    assert_eq!(phase, "Succeeded");
}

#[test]
fn failing_job_is_reported_failed() {
    let k = kube();
    let ns = k.namespace("jobfail");
    ns.apply(
        "apiVersion: batch/v1
kind: Job
metadata:
  name: broken
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        forge.test/fate: fail
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.37
        command: [sh, -c, 'exit 1']
",
    );
    ns.kubectl_ok(&["wait", "--for=condition=Failed", "job/broken", WAIT]);
    assert_eq!(
        ns.jsonpath(
            "job/broken",
            "{.status.conditions[?(@.type==\"Failed\")].reason}"
        ),
        "BackoffLimitExceeded"
    );
    assert_eq!(ns.jsonpath("job/broken", "{.status.failed}"), "1");
    assert_eq!(ns.jsonpath("job/broken", "{.status.succeeded}"), "");
    let exit = ns.jsonpath(
        "pods",
        "{.items[*].status.containerStatuses[0].state.terminated.exitCode}",
    );
    assert_eq!(exit, "1");
}

#[test]
fn crashloop_pod_is_never_ready() {
    let k = kube();
    let ns = k.namespace("crash");
    ns.apply(&deployment("crash", 1, Some("crashloop"), EXIT_1));
    // A real kubelet backs off 10 s, 20 s, ...: two restarts take about 30 s there.
    let start = Instant::now();
    let restarts = eventually(&ns, Duration::from_secs(120), "restartCount >= 2", || {
        let out = ns.jsonpath(
            "pods",
            "{.items[*].status.conditions[?(@.type==\"Ready\")].status} {.items[*].status.containerStatuses[0].restartCount} {.items[*].status.containerStatuses[0].state.waiting.reason}",
        );
        let f: Vec<&str> = out.split_whitespace().collect();
        assert_ne!(
            f.first(),
            Some(&"True"),
            "crash-looping pod became Ready: {out}"
        );
        let restarts: u32 = f.get(1).and_then(|r| r.parse().ok()).unwrap_or(0);
        (restarts >= 2).then(|| (restarts, f.get(2).map(|s| s.to_string())))
    });
    assert_eq!(
        restarts.1.as_deref(),
        Some("CrashLoopBackOff"),
        "{restarts:?}"
    );
    eprintln!(
        "crashloop: {} restarts after {:?}",
        restarts.0,
        start.elapsed()
    );
    assert_eq!(
        ns.jsonpath("deployment/crash", "{.status.availableReplicas}"),
        ""
    );
    let out = ns.kubectl(&[
        "wait",
        "--for=condition=Available",
        "deployment/crash",
        "--timeout=3s",
    ]);
    assert!(
        !out.status.success(),
        "crash-looping Deployment reported Available"
    );
}

#[test]
fn never_ready_pod_keeps_deployment_unavailable() {
    let k = kube();
    let ns = k.namespace("notready");
    let container = "      - name: main
        image: busybox:1.37
        command: [sleep, '3600']
        readinessProbe:
          exec: {command: ['false']}
          periodSeconds: 2
";
    ns.apply(&deployment("shy", 1, Some("never-ready"), container));
    eventually(&ns, Duration::from_secs(120), "pod Running", || {
        (ns.jsonpath("pods", "{.items[*].status.phase}") == "Running").then_some(())
    });
    let out = ns.kubectl(&[
        "wait",
        "--for=condition=Available",
        "deployment/shy",
        "--timeout=5s",
    ]);
    assert!(
        !out.status.success(),
        "never-ready Deployment reported Available"
    );
    assert_eq!(
        ns.jsonpath(
            "pods",
            "{.items[*].status.conditions[?(@.type==\"Ready\")].status}"
        ),
        "False"
    );
    assert_eq!(
        ns.jsonpath("deployment/shy", "{.status.unavailableReplicas}"),
        "1"
    );
}

#[test]
fn namespace_deletion_finishes() {
    let k = kube();
    let ns = k.namespace("nsdel");
    ns.apply(&deployment("web", 1, None, PAUSE));
    ns.apply(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {a: b}
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData: {password: x}
",
    );
    // A running pod makes this meaningful: bound pods are deleted gracefully, and only
    // the node (here the stand-in) can finish that.
    ns.kubectl_ok(&["wait", "--for=condition=Available", "deployment/web", WAIT]);
    let start = Instant::now();
    k.kubectl_ok(&["delete", "namespace", &ns.name, WAIT]);
    let out = k.kubectl(&["get", "namespace", &ns.name]);
    assert!(!out.status.success(), "namespace still there");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NotFound") || stderr.contains("not found"),
        "{stderr}"
    );
    eprintln!("namespace deletion took {:?}", start.elapsed());
}

#[test]
fn helmchart_can_be_created_and_read_back() {
    let k = kube();
    let ns = k.namespace("helm");
    ns.apply(
        "apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: polaris
spec:
  repo: https://downloads.apache.org/polaris/helm-chart
  chart: polaris
  version: 1.7.0
  targetNamespace: lakehouse
  valuesContent: |-
    persistence:
      type: relational-jdbc
",
    );
    let got: serde_json::Value =
        serde_json::from_str(&ns.kubectl_ok(&["get", "helmchart", "polaris", "-o", "json"]))
            .expect("helmchart json");
    assert_eq!(got["spec"]["chart"], "polaris");
    assert_eq!(got["spec"]["version"], "1.7.0");
    assert_eq!(got["spec"]["targetNamespace"], "lakehouse");
    assert_eq!(
        got["spec"]["valuesContent"],
        "persistence:\n  type: relational-jdbc"
    );
    // The CRD's schema is enforced: a wrong type is rejected by the API server.
    let out = ns.try_apply(
        "apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: bad
spec:
  chart: x
  bootstrap: not-a-bool
",
    );
    assert!(
        !out.status.success(),
        "a string in a boolean field was accepted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bootstrap"), "{stderr}");
}

#[test]
fn postgres_answers() {
    let pg = postgres();
    assert_eq!(pg.psql("select 1"), "1");
    assert_eq!(pg.psql("select current_database()"), "polaris");
    assert!(pg.psql("show server_version").starts_with("15."));
    eprintln!("postgres start-up: {:?}", pg.startup);
}

#[test]
#[ignore = "slow (about 70 s): run with --ignored to check the node heartbeat"]
fn node_stays_ready_past_the_grace_period() {
    let k = kube();
    if !k.stand_in() {
        return;
    }
    let ns = k.namespace("grace");
    ns.apply(&deployment("web", 1, None, PAUSE));
    ns.kubectl_ok(&["wait", "--for=condition=Available", "deployment/web", WAIT]);
    // --node-monitor-grace-period is 50 s: without Lease renewals the node would be
    // Ready=Unknown and tainted unreachable by now, and its pods not Ready.
    std::thread::sleep(Duration::from_secs(65));
    let ready = k.kubectl_ok(&[
        "get",
        "node",
        NODE,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
    ]);
    assert_eq!(ready, "True", "{}", ns.describe());
    let taints = k.kubectl_ok(&["get", "node", NODE, "-o", "jsonpath={.spec.taints}"]);
    assert_eq!(taints, "", "node tainted");
    assert_eq!(
        ns.jsonpath(
            "pods",
            "{.items[*].status.conditions[?(@.type==\"Ready\")].status}"
        ),
        "True"
    );
    assert_eq!(
        ns.jsonpath("deployment/web", "{.status.availableReplicas}"),
        "1"
    );
}
