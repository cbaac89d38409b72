//! The real Kubernetes control plane, started once per test binary by [`kube`]:
//! etcd, kube-apiserver and kube-controller-manager (v1.37.2, built by
//! `tests/peers/build.sh kube`) with exactly the flags of `tests/peers/start-kube.sh`,
//! the k3s HelmChart CRDs, and the [node stand-in](super::node) playing the kubelet.
//!
//! With `FORGE_TEST_KUBECONFIG` set, that cluster (a k3d cluster on a laptop) is used
//! instead and nothing is started: no CRDs are applied and no stand-in runs, since a
//! real cluster has k3s' CRDs and kubelets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ::kube::api::Api;
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::runtime::wait::{await_condition, conditions};
use ::kube::{Client, Config};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::super::http::get_status;
use super::super::process::{Guarded, free_port};
use super::super::servers::unique;
use super::node::{self, NodeStandIn};
use super::{fresh_dir, peers_cache};

/// The HelmChart and HelmChartConfig CRDs, as k3s installs them.
pub const HELM_CRDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/kube/crds/helm.cattle.io.yaml"
);
const HELM_CRD_NAMES: [&str; 2] = [
    "helmcharts.helm.cattle.io",
    "helmchartconfigs.helm.cattle.io",
];

/// A Kubernetes API to test against: the control plane started here, or the cluster
/// of `FORGE_TEST_KUBECONFIG`.
pub struct KubePeer {
    /// The kubeconfig for kubectl, kube-rs and (here) the controller-manager.
    pub kubeconfig: PathBuf,
    /// The API server, `https://127.0.0.1:PORT` here.
    pub server: String,
    /// The bearer token (user `forge-admin`, group `system:masters`); `None` for
    /// `FORGE_TEST_KUBECONFIG`, whose credentials stay in its kubeconfig.
    pub token: Option<String>,
    /// The CA that signed the API server's certificate; `None` for `FORGE_TEST_KUBECONFIG`.
    pub ca: Option<PathBuf>,
    /// The directory with the PKI, etcd's data and every log; `None` for `FORGE_TEST_KUBECONFIG`.
    pub dir: Option<PathBuf>,
    /// The node stand-in, if this harness started the control plane.
    pub node: Option<NodeStandIn>,
    /// How long each start-up step took, in order (empty for `FORGE_TEST_KUBECONFIG`).
    pub startup: Vec<(&'static str, Duration)>,
    _processes: Mutex<Vec<Guarded>>,
}

/// The Kubernetes peer, started on first use. Panics (in every test that asks) if it
/// could not start, with the log tail of the peer that failed.
pub fn kube() -> &'static KubePeer {
    static KUBE: OnceLock<Result<KubePeer, String>> = OnceLock::new();
    let peer = KUBE.get_or_init(|| {
        if let Some(path) = std::env::var_os("FORGE_TEST_KUBECONFIG") {
            return Ok(KubePeer::external(PathBuf::from(path)));
        }
        // Its own thread: the start-up blocks on a runtime of its own, which cannot
        // happen on a thread already inside one (a #[tokio::test]). A panic there
        // drops, and so stops, whatever had started.
        std::thread::Builder::new()
            .name("forge-kube-peer".into())
            .spawn(KubePeer::start)
            .expect("spawn kube peer thread")
            .join()
            .map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "kube peer start-up panicked".into())
            })
    });
    match peer {
        Ok(peer) => peer,
        Err(e) => panic!("the Kubernetes peer did not start: {e}"),
    }
}

impl KubePeer {
    fn external(kubeconfig: PathBuf) -> Self {
        let kc = Kubeconfig::read_from(&kubeconfig).unwrap_or_else(|e| {
            panic!(
                "FORGE_TEST_KUBECONFIG={}: cannot read: {e}",
                kubeconfig.display()
            )
        });
        let context = kc.current_context.clone().unwrap_or_default();
        let cluster = kc
            .contexts
            .iter()
            .find(|c| c.name == context)
            .and_then(|c| c.context.as_ref())
            .map(|c| c.cluster.clone())
            .unwrap_or_default();
        let server = kc
            .clusters
            .iter()
            .find(|c| c.name == cluster)
            .and_then(|c| c.cluster.as_ref())
            .and_then(|c| c.server.clone())
            .unwrap_or_else(|| {
                panic!(
                    "FORGE_TEST_KUBECONFIG={}: no server for current context `{context}`",
                    kubeconfig.display()
                )
            });
        Self {
            kubeconfig,
            server,
            token: None,
            ca: None,
            dir: None,
            node: None,
            startup: Vec::new(),
            _processes: Mutex::new(Vec::new()),
        }
    }

    fn start() -> Self {
        let t0 = Instant::now();
        let mut startup = Vec::new();
        let mut step = {
            let mut last = Instant::now();
            move |name: &'static str, startup: &mut Vec<(&'static str, Duration)>| {
                startup.push((name, last.elapsed()));
                last = Instant::now();
            }
        };
        let bin = peers_cache().join("bin");
        for b in ["etcd", "kube-apiserver", "kube-controller-manager"] {
            assert!(
                bin.join(b).is_file(),
                "{} is missing: run `tests/peers/build.sh kube` (about 8 minutes cold; see docs/testing-peers.md)",
                bin.join(b).display()
            );
        }
        let dir = fresh_dir("kube");
        let pki = dir.join("pki");
        std::fs::create_dir_all(&pki).expect("pki dir");
        let token = make_pki(&pki);
        let (etcd_port, etcd_peer_port, api_port, kcm_port) =
            (free_port(), free_port(), free_port(), free_port());
        let server = format!("https://127.0.0.1:{api_port}");
        let kubeconfig = dir.join("kubeconfig");
        write_kubeconfig(&kubeconfig, &server, &pki.join("ca.crt"), &token);
        step("pki", &mut startup);

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("start-up runtime");
        let mut processes = Vec::new();

        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let etcd_peer_url = format!("http://127.0.0.1:{etcd_peer_port}");
        let args = [
            "--name".into(),
            "forge".into(),
            "--data-dir".into(),
            dir.join("etcd").display().to_string(),
            "--listen-client-urls".into(),
            etcd_url.clone(),
            "--advertise-client-urls".into(),
            etcd_url.clone(),
            "--listen-peer-urls".into(),
            etcd_peer_url.clone(),
            "--initial-advertise-peer-urls".into(),
            etcd_peer_url.clone(),
            "--initial-cluster".into(),
            format!("forge={etcd_peer_url}"),
            "--unsafe-no-fsync".into(),
            "--log-level".into(),
            "warn".into(),
        ];
        let mut etcd = spawn(&bin, "etcd", &args, &dir);
        // /health answers 503 until etcd has a leader.
        etcd.wait_ready(Duration::from_secs(30), || {
            get_status(etcd_port, "/health") == Some(200)
        });
        processes.push(etcd);
        step("etcd", &mut startup);

        let p = |f: &str| pki.join(f).display().to_string();
        let args = [
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            // v1.37 refuses to reconcile endpoints for a loopback advertise address.
            "--endpoint-reconciler-type=none".into(),
            format!("--cert-dir={}", pki.display()),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            format!("--token-auth-file={}", p("tokens.csv")),
            "--authorization-mode=RBAC".into(),
            format!("--service-account-issuer={server}"),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            "--allow-privileged=true".into(),
            "--profiling=false".into(),
            "--v=0".into(),
        ];
        let mut apiserver = spawn(&bin, "kube-apiserver", &args, &dir);
        let client = rt.block_on(client(&kubeconfig));
        apiserver.wait_ready(Duration::from_secs(90), || rt.block_on(readyz(&client)));
        processes.push(apiserver);
        step("kube-apiserver", &mut startup);

        let args = [
            format!("--kubeconfig={}", kubeconfig.display()),
            "--leader-elect=false".into(),
            format!("--service-account-private-key-file={}", p("sa.key")),
            format!("--root-ca-file={}", p("ca.crt")),
            "--use-service-account-credentials=false".into(),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={kcm_port}"),
            format!("--cert-dir={}", pki.join("kcm").display()),
            // Otherwise it creates /usr/libexec/kubernetes/... on the host.
            format!(
                "--flex-volume-plugin-dir={}",
                dir.join("kcm-flexvolume").display()
            ),
            "--profiling=false".into(),
            "--v=0".into(),
        ];
        let mut kcm = spawn(&bin, "kube-controller-manager", &args, &dir);
        // Its /healthz answers before any controller runs; the `default` ServiceAccount
        // appearing proves the controllers are running against this API server.
        let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
        kcm.wait_ready(Duration::from_secs(60), || {
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(3), sas.get_opt("default"))
                    .await
                    .is_ok_and(|r| matches!(r, Ok(Some(_))))
            })
        });
        processes.push(kcm);
        step("kube-controller-manager", &mut startup);

        let out = kubectl_at(&kubeconfig, &["apply", "--server-side", "-f", HELM_CRDS]);
        assert!(
            out.status.success(),
            "kubectl apply {HELM_CRDS} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        for name in HELM_CRD_NAMES {
            let established = rt.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(60),
                    await_condition(crds.clone(), name, conditions::is_crd_established()),
                )
                .await
            });
            assert!(
                matches!(established, Ok(Ok(_))),
                "CRD {name} not Established within 60 s: {established:?}"
            );
        }
        step("helm CRDs", &mut startup);

        let node = node::start(&kubeconfig, dir.join("node.log"), Duration::from_secs(60));
        step("node stand-in", &mut startup);
        startup.push(("total", t0.elapsed()));
        drop(rt);

        Self {
            kubeconfig,
            server,
            token: Some(token),
            ca: Some(pki.join("ca.crt")),
            dir: Some(dir),
            node: Some(node),
            startup,
            _processes: Mutex::new(processes),
        }
    }

    /// Whether pods are run by the node stand-in (fates apply) rather than kubelets.
    pub fn stand_in(&self) -> bool {
        self.node.is_some()
    }

    /// `kubectl --kubeconfig=KUBECONFIG ARGS`, run to completion.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        kubectl_at(&self.kubeconfig, args)
    }

    /// Like [`kubectl`](Self::kubectl) with `input` on stdin (for `-f -`).
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = Command::new("kubectl")
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl (is it on PATH?)");
        child
            .stdin
            .take()
            .expect("kubectl stdin")
            .write_all(input.as_bytes())
            .expect("write kubectl stdin");
        child.wait_with_output().expect("wait for kubectl")
    }

    /// `kubectl ARGS`; its stdout, or a panic with stderr if it failed.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A kube-rs client for this cluster. Call it inside a tokio runtime.
    pub async fn client(&self) -> Client {
        client(&self.kubeconfig).await
    }

    /// A fresh namespace `PREFIX-PID-N` whose `default` ServiceAccount exists (pods can
    /// be created at once). It is deleted, without waiting, when dropped.
    pub fn namespace(&'static self, prefix: &str) -> TestNamespace {
        let name = unique(prefix);
        assert!(name.len() <= 63, "namespace name too long: {name}");
        self.kubectl_ok(&["create", "namespace", &name]);
        self.kubectl_ok(&[
            "wait",
            "--for=create",
            "serviceaccount/default",
            "-n",
            &name,
            "--timeout=60s",
        ]);
        TestNamespace { name, peer: self }
    }

    /// What is in namespace `ns` (objects and events) and the node stand-in's recent
    /// log, for failure messages.
    pub fn describe(&self, ns: &str) -> String {
        let out = self.kubectl(&["get", "all,events", "-n", ns, "-o", "wide"]);
        let mut s = format!(
            "--- kubectl get all,events -n {ns}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(node) = &self.node {
            s.push_str(&format!(
                "--- node stand-in log ({})\n{}\n",
                node.log.display(),
                node.log_tail(30)
            ));
        }
        s
    }
}

/// A namespace for one test; deleted (without waiting) on drop.
pub struct TestNamespace {
    /// Its name.
    pub name: String,
    peer: &'static KubePeer,
}

impl TestNamespace {
    /// `kubectl apply --server-side -n NAME -f -` of `yaml`, whatever its outcome.
    pub fn try_apply(&self, yaml: &str) -> Output {
        self.peer.kubectl_stdin(
            &["apply", "--server-side", "-n", &self.name, "-f", "-"],
            yaml,
        )
    }

    /// [`try_apply`](Self::try_apply); its stdout, or a panic with stderr on failure.
    pub fn apply(&self, yaml: &str) -> String {
        let out = self.try_apply(yaml);
        assert!(
            out.status.success(),
            "kubectl apply -n {} failed:\n{}\n--- input\n{yaml}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl ARGS -n NAME`.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["-n", &self.name]);
        self.peer.kubectl(&all)
    }

    /// `kubectl ARGS -n NAME`; its stdout, or a panic with stderr and the namespace's
    /// contents if it failed.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} -n {} failed:\n{}\n{}",
            args.join(" "),
            self.name,
            String::from_utf8_lossy(&out.stderr),
            self.describe()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get KIND/NAME -o jsonpath=PATH -n NAME` (empty if absent).
    pub fn jsonpath(&self, object: &str, path: &str) -> String {
        let out = self.kubectl(&["get", object, "-o", &format!("jsonpath={path}")]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// See [`KubePeer::describe`].
    pub fn describe(&self) -> String {
        self.peer.describe(&self.name)
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let _ = self.peer.kubectl(&[
            "delete",
            "namespace",
            &self.name,
            "--wait=false",
            "--ignore-not-found",
        ]);
    }
}

fn spawn(bin: &Path, name: &str, args: &[String], dir: &Path) -> Guarded {
    Guarded::spawn(
        name,
        &bin.join(name),
        args,
        &[],
        dir,
        dir.join(format!("{name}.log")),
    )
}

fn kubectl_at(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .args(args)
        .output()
        .expect("run kubectl (is it on PATH?)")
}

async fn client(kubeconfig: &Path) -> Client {
    let kc = Kubeconfig::read_from(kubeconfig).expect("read kubeconfig");
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig to client config");
    Client::try_from(config).expect("kube client")
}

/// `GET /readyz` answers `ok`: every post-start hook (RBAC bootstrap, system
/// namespaces, priority classes) has run.
async fn readyz(client: &Client) -> bool {
    let req = http::Request::get("/readyz")
        .body(Vec::new())
        .expect("readyz request");
    matches!(
        tokio::time::timeout(Duration::from_secs(3), client.request_text(req)).await,
        Ok(Ok(body)) if body.trim() == "ok"
    )
}

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (is it installed?)");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The PKI of `start-kube.sh` in `pki`: a CA, the API server's leaf (IP SAN 127.0.0.1,
/// CA:FALSE, serverAuth: rustls rejects a CA certificate as the end entity), the
/// ServiceAccount key pair and a token file. Returns the token.
fn make_pki(pki: &Path) -> String {
    openssl(
        pki,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=forge-test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        pki,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=kube-apiserver",
            "-keyout",
            "apiserver.key",
            "-out",
            "apiserver.csr",
        ],
    );
    std::fs::write(
        pki.join("apiserver.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n\
         basicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("write apiserver.ext");
    openssl(
        pki,
        &[
            "x509",
            "-req",
            "-in",
            "apiserver.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3650",
            "-extfile",
            "apiserver.ext",
            "-out",
            "apiserver.crt",
        ],
    );
    openssl(pki, &["genrsa", "-out", "sa.key", "2048"]);
    openssl(pki, &["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
    let token = String::from_utf8(openssl(pki, &["rand", "-hex", "24"]))
        .expect("hex token")
        .trim()
        .to_string();
    std::fs::write(
        pki.join("tokens.csv"),
        format!("{token},forge-admin,forge-admin-uid,\"system:masters\"\n"),
    )
    .expect("write tokens.csv");
    token
}

/// The kubeconfig of `start-kube.sh`: cluster `forge-test`, user `forge-admin` (token),
/// context `forge-test`, current.
fn write_kubeconfig(path: &Path, server: &str, ca: &Path, token: &str) {
    let ca_data = String::from_utf8(openssl(
        ca.parent().expect("pki dir"),
        &["base64", "-A", "-in", &ca.display().to_string()],
    ))
    .expect("base64 CA");
    let kubeconfig = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: forge-test
  cluster:
    server: {server}
    certificate-authority-data: {ca_data}
users:
- name: forge-admin
  user:
    token: {token}
contexts:
- name: forge-test
  context:
    cluster: forge-test
    user: forge-admin
current-context: forge-test
"
    );
    std::fs::write(path, kubeconfig).expect("write kubeconfig");
}
