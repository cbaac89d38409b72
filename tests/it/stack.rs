//! The local stack as code, against the real Kubernetes control plane (with the node
//! stand-in playing the kubelet) and the fake `k3d` in `tests/support/bin`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::forge::{Project, Run};
use crate::support::peers::kube::{KubePeer, kube};
use crate::support::servers::unique;

const SHARED_SPECS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs");

fn support_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bin")
}

/// A project whose forge.yaml declares a k3d cluster (the fake) and the stack, in
/// namespaces of its own.
struct Stack {
    p: Project,
    name: String,
    rustfs_ns: String,
    polaris_ns: String,
    k3d_state: PathBuf,
    peer: &'static KubePeer,
}

/// The stack's Services use fixed node ports, which are cluster-wide: one stack at a time.
static NODE_PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_stack_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    NODE_PORTS.lock().unwrap_or_else(|e| e.into_inner())
}

impl Stack {
    fn new(extra_rustfs: &str) -> Self {
        let peer = kube();
        let name = unique("stk");
        let (rustfs_ns, polaris_ns) = (format!("{name}-rustfs"), format!("{name}-polaris"));
        let p = Project::new("");
        let k3d_state = p.path().join("k3d-state.json");
        let s = Self {
            p,
            name,
            rustfs_ns,
            polaris_ns,
            k3d_state,
            peer,
        };
        s.write(extra_rustfs, "17.6");
        s
    }

    fn write(&self, extra_rustfs: &str, pg_version: &str) {
        self.p.write(&format!(
            "project: stacktest\ncluster:\n  k3d:\n    name: {}\n    runtime: docker\nstack:\n  rustfs:\n    namespace: {}\n{extra_rustfs}  postgresql:\n    version: \"{pg_version}\"\n  polaris:\n    namespace: {}\n",
            self.name, self.rustfs_ns, self.polaris_ns
        ));
    }

    fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            support_bin().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            ("PATH".into(), path),
            (
                "FAKE_K3D_STATE".into(),
                self.k3d_state.display().to_string(),
            ),
            (
                "FAKE_K3D_SCHEMA".into(),
                format!("{SHARED_SPECS}/k3d/k3d-v1alpha5-schema.json"),
            ),
            (
                "FAKE_K3D_KUBECONFIG".into(),
                self.peer.kubeconfig.display().to_string(),
            ),
        ]
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut c = self.p.cmd(args);
        for (k, v) in self.env() {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().expect("forge").into()
    }

    /// `kubectl get KIND NAME -n NS -o jsonpath=PATH`.
    fn field(&self, kind: &str, name: &str, ns: &str, path: &str) -> String {
        self.kubectl(&[
            "get",
            kind,
            name,
            "-n",
            ns,
            "-o",
            &format!("jsonpath={path}"),
        ])
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = self.peer.kubectl(args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Plays k3s' helm-controller: once the HelmChart exists, creates the Deployment the
    /// chart would (a real chart is never installed here), so forge's wait can finish.
    fn helm_controller(&self) -> HelmStandIn {
        let stop = Arc::new(AtomicBool::new(false));
        let (peer, ns, flag) = (self.peer, self.polaris_ns.clone(), stop.clone());
        std::thread::spawn(move || {
            let deployment = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: polaris\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: polaris}}\n  template:\n    metadata:\n      labels: {{app: polaris}}\n    spec:\n      containers:\n        - name: polaris\n          image: apache/polaris:1.7.0\n"
            );
            while !flag.load(Ordering::SeqCst) {
                if peer
                    .kubectl(&["get", "helmchart", "polaris", "-n", &ns])
                    .status
                    .success()
                {
                    peer.kubectl_stdin(
                        &[
                            "apply",
                            "--server-side",
                            "--field-manager",
                            "helm-controller-stand-in",
                            "-f",
                            "-",
                        ],
                        &deployment,
                    );
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        HelmStandIn { stop }
    }
}

struct HelmStandIn {
    stop: Arc<AtomicBool>,
}

impl Drop for HelmStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for ns in [&self.rustfs_ns, &self.polaris_ns] {
            let _ = self.peer.kubectl(&[
                "delete",
                "namespace",
                ns,
                "--wait=false",
                "--ignore-not-found",
            ]);
        }
    }
}

#[test]
fn full_stack_apply_no_op_change_drift_and_destroy() {
    let _serial = one_stack_at_a_time();
    let s = Stack::new("");
    let _helm = s.helm_controller();
    let start = Instant::now();
    let r = s.run(&["apply", "--auto-approve", "--timeout", "120s"], &[]);
    let r = r.expect_code(0);
    let apply_time = start.elapsed();
    assert!(
        r.stdout
            .contains(&format!("k3d_cluster.{}: Creation complete", s.name)),
        "{}",
        r.stdout
    );
    // What forge applied, read back with kubectl (a client we did not write).
    assert_eq!(
        s.field(
            "deployment",
            "rustfs",
            &s.rustfs_ns,
            "{.status.availableReplicas}"
        ),
        "1"
    );
    assert_eq!(
        s.field(
            "statefulset",
            "postgresql",
            &s.polaris_ns,
            "{.status.readyReplicas}"
        ),
        "1"
    );
    assert_eq!(
        s.field(
            "job",
            "polaris-bootstrap",
            &s.polaris_ns,
            "{.status.succeeded}"
        ),
        "1"
    );
    assert_eq!(
        s.field(
            "secret",
            "rustfs-credentials",
            &s.rustfs_ns,
            "{.metadata.labels.app\\.kubernetes\\.io/managed-by}"
        ),
        "forge"
    );
    let managers = s.kubectl(&[
        "get",
        "deployment",
        "rustfs",
        "-n",
        &s.rustfs_ns,
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert!(
        managers.split_whitespace().any(|m| m == "forge"),
        "server-side applied by forge: {managers}"
    );
    // The bootstrap Job runs the admin tool with the seed's arguments.
    let args = s.kubectl(&[
        "get",
        "job",
        "polaris-bootstrap",
        "-n",
        &s.polaris_ns,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].args}",
    ]);
    assert!(
        args.contains("bootstrap")
            && args.contains("--realm=POLARIS")
            && args.contains("--credential=POLARIS,$(ROOT_CLIENT_ID),$(ROOT_CLIENT_SECRET)"),
        "{args}"
    );
    // Secrets hold generated values; the state keeps them (0600), plan output never.
    let state = std::fs::read_to_string(s.p.state_path()).expect("state");
    let pg_password = serde_json::from_str::<serde_json::Value>(&state).expect("json")["secrets"]["stack.postgresql.password"].as_str().expect("generated").to_string();
    assert!(!r.stdout.contains(&pg_password));
    let kubeconfig = s.p.path().join(".kube/config");
    assert!(
        kubeconfig.exists(),
        "the cluster's kubeconfig is written into the work dir"
    );
    // Nothing to do now.
    let r = s.run(&["plan", "--detailed-exitcode"], &[]).expect_code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // forge.yaml changes PostgreSQL's version: exactly that field changes.
    s.write("", "17.7");
    let r = s.run(&["plan", "--detailed-exitcode"], &[]).expect_code(2);
    assert!(
        r.stdout.contains("~ StatefulSet/")
            && r.stdout.contains(
                ".spec.template.spec.containers[0].image = \"postgres:17.6\" -> \"postgres:17.7\""
            ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    s.run(&["apply", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    assert_eq!(
        s.field(
            "statefulset",
            "postgresql",
            &s.polaris_ns,
            "{.spec.template.spec.containers[0].image}"
        ),
        "postgres:17.7"
    );
    // A hand edit in the cluster shows as drift and is put back.
    s.kubectl(&[
        "scale",
        "deployment",
        "rustfs",
        "-n",
        &s.rustfs_ns,
        "--replicas=2",
    ]);
    let r = s.run(&["plan"], &[]).expect_code(0);
    assert!(
        r.stdout
            .contains("kube_manifest.rustfs has changed outside forge"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(".spec.replicas = 2 -> 1"), "{}", r.stdout);
    s.run(&["apply", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    assert_eq!(
        s.field("deployment", "rustfs", &s.rustfs_ns, "{.spec.replicas}"),
        "1"
    );
    // Destroy: Polaris, then data services, then the cluster.
    let r = s
        .run(&["destroy", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    let order: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("Destruction complete"))
        .collect();
    let pos = |needle: &str| {
        order
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not destroyed: {order:?}"))
    };
    assert!(pos("kube_manifest.polaris:") < pos("kube_manifest.postgresql:"));
    assert!(pos("kube_manifest.postgresql:") < pos("k3d_cluster."));
    assert!(
        s.kubectl(&[
            "get",
            "namespace",
            &s.rustfs_ns,
            "--ignore-not-found",
            "-o",
            "name"
        ])
        .trim()
        .is_empty(),
        "namespace deleted"
    );
    assert_eq!(
        std::fs::read_to_string(&s.k3d_state)
            .expect("fake k3d state")
            .trim(),
        "{}"
    );
    eprintln!("full stack apply took {apply_time:?}");
}

#[test]
fn a_workload_that_never_becomes_ready_times_out_naming_it() {
    let _serial = one_stack_at_a_time();
    let s = Stack::new("    pod_annotations: {forge.test/fate: never-ready}\n");
    let r = s.run(
        &[
            "apply",
            "--auto-approve",
            "--timeout",
            "15s",
            "--target",
            "kube_manifest.rustfs",
        ],
        &[],
    );
    let r = r.expect_code(3);
    let text = r.flat();
    assert!(
        text.contains(&format!("Deployment {}/rustfs to be ready", s.rustfs_ns)),
        "{text}"
    );
    assert!(text.contains("0/1 available"), "{text}");
    assert!(text.contains("conditions: Available=False"), "{text}");
    assert!(
        text.contains("not ready"),
        "the pod's state is named: {text}"
    );
    s.run(&["destroy", "--auto-approve", "--timeout", "60s"], &[])
        .expect_code(0);
}

#[test]
fn a_failing_bootstrap_job_is_reported_with_its_reason() {
    let _serial = one_stack_at_a_time();
    let s = Stack::new("");
    let p = s.p.path().join("forge.yaml");
    let yaml = std::fs::read_to_string(&p).expect("yaml")
        + "    pod_annotations: {forge.test/fate: fail}\n";
    s.p.write(&yaml);
    let r = s
        .run(
            &[
                "apply",
                "--auto-approve",
                "--timeout",
                "90s",
                "--target",
                "kube_manifest.polaris",
            ],
            &[],
        )
        .expect_code(3);
    let text = r.flat();
    assert!(
        text.contains(&format!("Job {}/polaris-bootstrap failed", s.polaris_ns)),
        "{text}"
    );
    assert!(text.contains("BackoffLimitExceeded"), "{text}");
    s.run(&["destroy", "--auto-approve", "--timeout", "60s"], &[])
        .expect_code(0);
}

#[test]
fn k3d_failures_ghosts_and_a_stopped_cluster() {
    let s = Stack::new("");
    let cluster = format!("k3d_cluster.{}", s.name);
    // A create that fails half-way.
    let r = s
        .run(
            &["apply", "--auto-approve", "--target", &cluster],
            &[("FAKE_K3D_FAIL_CREATE", "1")],
        )
        .expect_code(3);
    assert!(r.flat().contains("Failed Cluster Start"), "{}", r.stdout);
    // The next plan sees the half-made (stopped) cluster and starts it.
    let r = s.run(&["plan", "--target", &cluster], &[]).expect_code(0);
    assert!(
        r.stdout
            .contains("the cluster is stopped: forge will start it"),
        "{}",
        r.stdout
    );
    s.run(&["apply", "--auto-approve", "--target", &cluster], &[])
        .expect_code(0);
    s.run(&["plan", "--detailed-exitcode", "--target", &cluster], &[])
        .expect_code(0);
    // k3d lists it but its API does not answer: a ghost, replaced.
    let r = s
        .run(
            &["plan", "--target", &cluster],
            &[("FAKE_K3D_GHOST", &s.name)],
        )
        .expect_code(0);
    assert!(
        r.stdout.contains("must be replaced") && r.stdout.contains("ghost cluster"),
        "{}",
        r.stdout
    );
    // k3d not installed: a warning in plan, an error in apply.
    let no_k3d = s.p.path().join("no-k3d");
    std::fs::create_dir_all(&no_k3d).expect("dir");
    let bare = format!("{}:/usr/bin:/bin", no_k3d.display());
    let r = s
        .run(&["plan", "--target", &cluster], &[("PATH", &bare)])
        .expect_code(0);
    assert!(r.stdout.contains("`k3d` is not installed"), "{}", r.stdout);
    s.run(&["destroy", "--auto-approve", "--target", &cluster], &[])
        .expect_code(0);
}

#[test]
fn rendered_configs_validate_against_the_vendors_schemas() {
    let k3d_schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{SHARED_SPECS}/k3d/k3d-v1alpha5-schema.json"))
            .expect("k3d schema"),
    )
    .expect("json");
    let spec: forge::providers::k3d::ClusterSpec = serde_json::from_value(serde_json::json!({
        "name": "dev", "k3s_version": "v1.35.1-k3s1", "servers": 1, "agents": 2, "runtime": "auto", "podman_machine": "k3d",
        "ports": {"s3": 19000, "console": 19001, "polaris": 18181}, "kubeconfig": "/tmp/kc"
    }))
    .expect("spec");
    let text =
        forge::providers::k3d::render_config(&spec, Duration::from_secs(120)).expect("render");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
    let v = jsonschema::validator_for(&k3d_schema).expect("schema");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    // The Polaris Helm values forge renders, against the chart's own values.schema.json.
    let values_schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{SHARED_SPECS}/polaris-helm-values.schema.json"))
            .expect("values schema"),
    )
    .expect("json");
    let v = jsonschema::validator_for(&values_schema).expect("schema");
    for persistence in ["relational-jdbc", "in-memory"] {
        let mut features = serde_json::Map::new();
        features.insert("DROP_WITH_PURGE_ENABLED".into(), true.into());
        let values = forge::providers::kube::stack::PolarisValues {
            version: "1.7.0".into(),
            replicas: 1,
            node_port: 32181,
            realm: "POLARIS".into(),
            persistence: persistence.into(),
            features,
            region: "us-east-1".into(),
            s3_endpoint_internal: "http://rustfs-svc.rustfs.svc:9000".into(),
            pod_annotations: Default::default(),
        }
        .render()
        .expect("render values");
        let doc: serde_json::Value = serde_saphyr::from_str(&values).expect("yaml");
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{persistence}: {errors:?}\n{values}");
    }
}

#[test]
fn doctor_reports_each_check_with_a_hint() {
    let s = Stack::new("");
    let r = s.run(&["doctor", "--json"], &[]);
    let v: serde_json::Value =
        serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let checks = v["checks"].as_array().expect("checks");
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
    };
    assert_eq!(find("tool: k3d")["status"], "ok");
    assert_eq!(find("container runtime")["status"], "ok", "{checks:?}");
    assert_eq!(find("container runtime")["message"], "Docker is running");
    assert!(
        checks
            .iter()
            .any(|c| c["name"].as_str().is_some_and(|n| n.starts_with("port ")))
    );
    assert_eq!(v["ok"], r.code == 0);
    // Without k3d and without a runtime: failures, each with what to do.
    let bare = s.p.path().join("no-k3d");
    std::fs::create_dir_all(&bare).expect("dir");
    let r = s.run(
        &["doctor", "--json"],
        &[("PATH", &format!("{}:/usr/bin:/bin", bare.display()))],
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json");
    assert_eq!(v["ok"], false);
    let k3d = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "tool: k3d")
        .expect("k3d check")
        .clone();
    assert_eq!(k3d["status"], "fail");
    assert!(k3d["hint"].as_str().expect("hint").contains("k3d.io"));
}

/// Not a test: `bench/stack.sh` runs it to time a no-op `forge plan` of the whole stack
/// against the real API server with hyperfine, once the stack is applied.
#[test]
#[ignore = "benchmark: run through bench/stack.sh"]
fn bench_noop_plan_of_the_full_stack() {
    let _serial = one_stack_at_a_time();
    let s = Stack::new("");
    let _helm = s.helm_controller();
    s.run(&["apply", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    s.run(&["plan", "--detailed-exitcode"], &[]).expect_code(0);
    let forge = std::env::var("FORGE_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_forge").to_string());
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out_dir).expect("bench dir");
    let mut cmd = std::process::Command::new("hyperfine");
    cmd.args(["-N", "--warmup", "2", "--runs", "15", "--export-markdown"])
        .arg(out_dir.join("stack-noop-plan.md"));
    cmd.arg(format!(
        "{forge} -f {} plan --detailed-exitcode",
        s.p.path().join("forge.yaml").display()
    ));
    cmd.arg(format!(
        "kubectl --kubeconfig {} get deploy,sts,job,secret,svc,pvc,helmchart -A -o json",
        s.peer.kubeconfig.display()
    ));
    for (k, v) in s.env() {
        cmd.env(k, v);
    }
    cmd.env("NO_COLOR", "1").env("USER", "tester");
    let status = cmd.status().expect("hyperfine");
    assert!(status.success());
    s.run(&["destroy", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
}

#[test]
fn an_existing_cluster_is_read_not_created_and_its_helm_controller_is_left_alone() {
    let _serial = one_stack_at_a_time();
    let s = Stack::new("");
    let context = s.kubectl(&["config", "current-context"]).trim().to_string();
    s.p.write(&format!(
        "project: stacktest\ncluster:\n  existing:\n    context: {context}\n    kubeconfig: {}\nstack:\n  rustfs:\n    namespace: {}\n  polaris:\n    namespace: {}\n    persistence: in-memory\n",
        s.peer.kubeconfig.display(),
        s.rustfs_ns,
        s.polaris_ns
    ));
    let _helm = s.helm_controller();
    let r = s.run(&["plan"], &[]).expect_code(0);
    assert!(
        r.stdout
            .contains(&format!("# kube_context.{context} will be read")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("<= kube_context \"{context}\"")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout
            .contains("kube_manifest.helm-controller will be created"),
        "the cluster has the HelmChart CRD already: {}",
        r.stdout
    );
    s.run(&["apply", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    assert!(
        s.kubectl(&[
            "get",
            "namespace",
            "helm-controller",
            "--ignore-not-found",
            "-o",
            "name"
        ])
        .trim()
        .is_empty(),
        "no second helm-controller installed"
    );
    assert_eq!(
        s.field("helmchart", "polaris", &s.polaris_ns, "{.spec.version}"),
        "1.7.0"
    );
    s.run(&["plan", "--detailed-exitcode"], &[]).expect_code(0);
    s.run(&["destroy", "--auto-approve", "--timeout", "120s"], &[])
        .expect_code(0);
    assert!(
        !s.kubectl(&["get", "crd", "helmcharts.helm.cattle.io", "-o", "name"])
            .trim()
            .is_empty(),
        "the cluster's CRD is never deleted"
    );
}

#[test]
fn api_server_faults_are_retried_or_reported_and_the_next_apply_converges() {
    use crate::support::proxy::{Fault, FaultProxy};
    let _serial = one_stack_at_a_time();
    let s = Stack::new("");
    let Some(dir) = s.peer.dir.clone() else {
        return;
    };
    let port: u16 = s
        .peer
        .server
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("API server port");
    let pki = dir.join("pki");
    let proxy = FaultProxy::start_tls(
        port,
        &pki.join("apiserver.crt"),
        &pki.join("apiserver.key"),
        s.peer.ca.as_ref().expect("ca"),
    );
    let proxied = s.p.path().join("proxied-kubeconfig");
    let text = std::fs::read_to_string(&s.peer.kubeconfig)
        .expect("kubeconfig")
        .replace(&s.peer.server, &format!("https://127.0.0.1:{}", proxy.port));
    std::fs::write(&proxied, text).expect("write kubeconfig");
    let via_proxy = [("FAKE_K3D_KUBECONFIG", proxied.to_str().expect("utf8"))];
    let target = ["--target", "kube_manifest.rustfs"];
    let deployment = format!(
        "/apis/apps/v1/namespaces/{}/deployments/rustfs",
        s.rustfs_ns
    );
    let status500 = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected by the test proxy","reason":"InternalError","code":500}"#;
    // Passing faults: two 500s on the Deployment's apply, a connection cut mid-body on a read.
    proxy.add(
        Some("PATCH"),
        &deployment,
        Some(2),
        Fault::Status(500, status500.into()),
    );
    proxy.add(
        Some("GET"),
        &format!(
            "/api/v1/namespaces/{}/secrets/rustfs-credentials",
            s.rustfs_ns
        ),
        Some(1),
        Fault::ResetMidBody,
    );
    let apply = |extra: &[(&str, &str)]| {
        let mut args = vec!["apply", "--auto-approve", "--timeout", "60s"];
        args.extend(target);
        s.run(&args, extra)
    };
    apply(&via_proxy).expect_code(0);
    assert!(
        proxy.count("PATCH", &deployment) >= 3,
        "the 500s were retried: {:?}",
        proxy.seen()
    );
    // A fault that does not pass: the change fails with the resource and the server's
    // message; state stays consistent, and once it passes the next apply converges.
    proxy.add(
        Some("PATCH"),
        &deployment,
        None,
        Fault::Status(500, status500.into()),
    );
    s.write("    image_tag: 1.0.0-alpha.86\n", "17.6");
    let r = apply(&via_proxy).expect_code(3);
    assert!(r.flat().contains(&format!("kube_manifest.rustfs: Modifications failed: apply Deployment/{}/rustfs failed: injected by the test proxy", s.rustfs_ns)), "{}", r.stdout);
    proxy.clear();
    apply(&via_proxy).expect_code(0);
    assert_eq!(
        s.field(
            "deployment",
            "rustfs",
            &s.rustfs_ns,
            "{.spec.template.spec.containers[0].image}"
        ),
        "rustfs/rustfs:1.0.0-alpha.86"
    );
    let mut plan = vec!["plan", "--detailed-exitcode"];
    plan.extend(target);
    s.run(&plan, &via_proxy).expect_code(0);
    let mut destroy = vec!["destroy", "--auto-approve", "--timeout", "60s"];
    destroy.extend(target);
    s.run(&destroy, &via_proxy).expect_code(0);
}
