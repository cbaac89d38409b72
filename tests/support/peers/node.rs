//! The node stand-in: plays the kubelet of one fake node, [`NODE`], through the real
//! API, so that the real controllers (ReplicaSet, Deployment, StatefulSet, Job,
//! namespace, garbage collector) see pods "run" and derive their own status. Nothing
//! runs: no container, no image, no volume, no probe.
//!
//! It is a thread with its own tokio runtime, started by [`start`], that:
//! - registers the Node (Ready, with capacity) and its Lease in `kube-node-lease`;
//! - renews the Lease every [`LEASE_RENEW`]. That is the heartbeat the node-lifecycle
//!   controller watches: without it, after `--node-monitor-grace-period` (50 s in
//!   v1.37) the node turns `Ready=Unknown`, gets the `node.kubernetes.io/unreachable`
//!   NoExecute taint, its pods are marked not Ready and evicted 300 s later;
//! - every [`TICK`], lists all pods, binds each unbound pod whose `nodeSelector` the
//!   node matches through `pods/binding` (there is no scheduler), writes the status of
//!   its pods the way a kubelet would (see [`Fate`]), and finishes the graceful
//!   deletion of its pods (delete with grace period 0), as a kubelet does once the
//!   containers stopped: without that, pods stay Terminating and namespaces never go.
//!
//! What happens to a pod is its *fate*, the `forge.test/fate` annotation ([`FATE`]):
//!
//! | fate | what the node reports |
//! |---|---|
//! | (none), pod not owned by a Job | Running, containers running, Ready |
//! | (none), pod owned by a Job, or `complete` | Running + Ready for [`RUN_FOR`], then the container exits 0 |
//! | `fail` | Running + Ready for [`RUN_FOR`], then the container exits 1 |
//! | `crashloop` | the container keeps exiting 1: `CrashLoopBackOff`, restartCount +1 every [`RESTART_EVERY`], never Ready |
//! | `never-ready` | Running, containers running, never Ready (a failing readiness probe) |
//! | `pending` | never bound: Pending for ever (unschedulable) |
//!
//! An exit follows the kubelet's rule for the pod's `restartPolicy`: `Never` ends the
//! pod (phase Succeeded for 0, Failed otherwise); `OnFailure` ends it on 0 and restarts
//! it otherwise; `Always` restarts it, so a Deployment pod annotated `fail` crash-loops
//! like a real one instead of ending Failed (the ReplicaSet would replace it in a loop).
//! Restarts report `CrashLoopBackOff` with the exit in `lastState`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ::kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::{Client, Config};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Node, Pod};
use serde_json::{Value, json};

/// The fake node's name.
pub const NODE: &str = "forge-node";
/// The pod annotation that picks a fate (see the module docs).
pub const FATE: &str = "forge.test/fate";
/// How often pods are listed.
pub const TICK: Duration = Duration::from_millis(200);
/// How often the Lease is renewed (the kubelet's default is 10 s; duration 40 s).
pub const LEASE_RENEW: Duration = Duration::from_secs(5);
/// How often the node status (heartbeat time) is rewritten.
pub const STATUS_EVERY: Duration = Duration::from_secs(60);
/// How long a container that will exit runs first.
pub const RUN_FOR: Duration = Duration::from_secs(1);
/// How often a crash-looping container restarts (a kubelet backs off 10 s, 20 s, ...).
pub const RESTART_EVERY: Duration = Duration::from_secs(2);

const MANAGER: &str = "forge-node-stand-in";

/// The running stand-in.
pub struct NodeStandIn {
    /// Its log: every binding, status write, deletion and API error, one a line.
    pub log: PathBuf,
}

impl NodeStandIn {
    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = s.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Starts the stand-in against the cluster of `kubeconfig` and returns once the node
/// is registered and Ready, or panics after `timeout`. It runs until the process ends.
pub fn start(kubeconfig: &Path, log: PathBuf, timeout: Duration) -> NodeStandIn {
    let (tx, rx) = mpsc::channel::<Result<(), String>>();
    let kubeconfig = kubeconfig.to_path_buf();
    let log_path = log.clone();
    std::thread::Builder::new()
        .name("forge-node-stand-in".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("node stand-in runtime");
            rt.block_on(run(kubeconfig, log_path, tx));
        })
        .expect("spawn node stand-in thread");
    let stand_in = NodeStandIn { log };
    match rx.recv_timeout(timeout) {
        Ok(Ok(())) => stand_in,
        Ok(Err(e)) => panic!(
            "node stand-in could not register {NODE}: {e}\n{}",
            stand_in.log_tail(20)
        ),
        Err(_) => panic!(
            "node stand-in did not register {NODE} within {timeout:?}\n{}",
            stand_in.log_tail(20)
        ),
    }
}

/// What a pod's containers do, from its fate and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Never bound.
    Pending,
    /// Runs; Ready or not.
    Run { ready: bool },
    /// Runs for [`RUN_FOR`], then exits with this code (the restart policy decides the rest).
    Exit(i32),
    /// Keeps exiting 1 and being restarted, whatever the restart policy.
    CrashLoop,
}

impl Fate {
    fn of(pod: &Pod) -> Self {
        let annotation = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(FATE))
            .map(String::as_str);
        let job_owned = pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "Job");
        match annotation {
            Some("pending") => Fate::Pending,
            Some("never-ready") => Fate::Run { ready: false },
            Some("crashloop") => Fate::CrashLoop,
            Some("fail") => Fate::Exit(1),
            Some("complete") => Fate::Exit(0),
            _ if job_owned => Fate::Exit(0),
            _ => Fate::Run { ready: true },
        }
    }
}

/// What the stand-in remembers of one pod (by UID).
struct Track {
    since: Instant,
    started_at: String,
    finished_at: Option<String>,
    ip: String,
    deleting: bool,
}

struct StandIn {
    client: Client,
    log: PathBuf,
    tracks: HashMap<String, Track>,
    next_ip: u32,
    node_labels: serde_json::Map<String, Value>,
    registered_at: String,
}

async fn run(kubeconfig: PathBuf, log: PathBuf, ready: mpsc::Sender<Result<(), String>>) {
    let client = match client(&kubeconfig).await {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut s = StandIn {
        client,
        log,
        tracks: HashMap::new(),
        next_ip: 0,
        node_labels: serde_json::Map::new(),
        registered_at: rfc3339_now(),
    };
    let registered = Instant::now();
    let node_uid = match s.register().await {
        Ok(uid) => uid,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let (mut last_lease, mut last_status) = (Instant::now(), registered);
    // Each call has its own timeout, so that one stuck request cannot hold up the
    // Lease renewals (the node would turn NotReady 50 s later).
    let limit = Duration::from_secs(10);
    loop {
        if last_lease.elapsed() >= LEASE_RENEW {
            match tokio::time::timeout(limit, s.renew_lease(&node_uid)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => s.note(&format!("lease renewal failed: {e}")),
                Err(_) => s.note("lease renewal timed out"),
            }
            last_lease = Instant::now();
        }
        if last_status.elapsed() >= STATUS_EVERY {
            match tokio::time::timeout(limit, s.write_node_status()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => s.note(&format!("node status failed: {e}")),
                Err(_) => s.note("node status timed out"),
            }
            last_status = Instant::now();
        }
        match tokio::time::timeout(limit, s.tick()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => s.note(&format!("pod pass failed: {e}")),
            Err(_) => s.note("pod pass timed out"),
        }
        tokio::time::sleep(TICK).await;
    }
}

async fn client(kubeconfig: &Path) -> Result<Client, String> {
    let kc = Kubeconfig::read_from(kubeconfig).map_err(|e| format!("kubeconfig: {e}"))?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .map_err(|e| format!("kubeconfig: {e}"))?;
    Client::try_from(config).map_err(|e| format!("client: {e}"))
}

fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl StandIn {
    fn note(&self, line: &str) {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
        {
            let _ = writeln!(
                f,
                "{} {line}",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
        }
    }

    /// Creates (or takes over) the Node, marks it Ready, and creates its Lease.
    /// Returns the Node's UID.
    async fn register(&mut self) -> Result<String, String> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let pp = PatchParams::apply(MANAGER).force();
        let labels = json!({
            "kubernetes.io/hostname": NODE,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "forge-stand-in",
        });
        self.node_labels = labels.as_object().cloned().unwrap_or_default();
        let node = nodes
            .patch(
                NODE,
                &pp,
                &Patch::Apply(json!({
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": { "name": NODE, "labels": labels },
                })),
            )
            .await
            .map_err(|e| format!("apply node: {e}"))?;
        let uid = node.metadata.uid.unwrap_or_default();
        self.write_node_status().await?;
        self.renew_lease(&uid).await?;
        self.note(&format!("registered node {NODE} (uid {uid})"));
        Ok(uid)
    }

    /// Writes the node's conditions (all healthy, last transition at registration,
    /// heartbeat now), addresses, capacity and info.
    async fn write_node_status(&self) -> Result<(), String> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let now = rfc3339_now();
        let condition = |kind: &str, status: &str, reason: &str, message: &str| {
            json!({
                "type": kind, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": self.registered_at,
            })
        };
        let resources =
            json!({ "cpu": "8", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi" });
        let status = json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": { "name": NODE },
            "status": {
                "conditions": [
                    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "stand-in"),
                    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "stand-in"),
                    condition("PIDPressure", "False", "KubeletHasSufficientPID", "stand-in"),
                    condition("Ready", "True", "KubeletReady", "forge node stand-in is posting ready status"),
                ],
                "addresses": [
                    { "type": "InternalIP", "address": "127.0.0.1" },
                    { "type": "Hostname", "address": NODE },
                ],
                "capacity": resources,
                "allocatable": resources,
                "daemonEndpoints": { "kubeletEndpoint": { "Port": 10250 } },
                "nodeInfo": {
                    "machineID": "forge", "systemUUID": "forge", "bootID": "forge",
                    "kernelVersion": "stand-in", "osImage": "forge node stand-in",
                    "containerRuntimeVersion": "none://0", "kubeletVersion": "v1.37.2",
                    "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64",
                },
            },
        });
        nodes
            .patch_status(
                NODE,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(status),
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("node status: {e}"))
    }

    async fn renew_lease(&self, node_uid: &str) -> Result<(), String> {
        let leases: Api<Lease> = Api::namespaced(self.client.clone(), "kube-node-lease");
        let renew = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let lease = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": NODE,
                "namespace": "kube-node-lease",
                "ownerReferences": [{ "apiVersion": "v1", "kind": "Node", "name": NODE, "uid": node_uid }],
            },
            "spec": { "holderIdentity": NODE, "leaseDurationSeconds": 40, "renewTime": renew },
        });
        leases
            .patch(
                NODE,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(lease),
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("lease: {e}"))
    }

    /// One pass over all pods.
    async fn tick(&mut self) -> Result<(), String> {
        let all: Api<Pod> = Api::all(self.client.clone());
        let pods = all
            .list(&ListParams::default())
            .await
            .map_err(|e| format!("list pods: {e}"))?;
        let mut seen = HashSet::new();
        for mut pod in pods.items {
            let (Some(uid), Some(ns), Some(name)) = (
                pod.metadata.uid.clone(),
                pod.metadata.namespace.clone(),
                pod.metadata.name.clone(),
            ) else {
                continue;
            };
            seen.insert(uid.clone());
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
            let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
            let deleting = pod.metadata.deletion_timestamp.is_some();
            match node_name.as_deref() {
                None if !deleting => {
                    if Fate::of(&pod) == Fate::Pending || !self.selects_node(&pod) {
                        continue;
                    }
                    if let Err(e) = self.bind(&api, &name, &uid).await {
                        self.note(&format!("bind {ns}/{name}: {e}"));
                        continue;
                    }
                    if let Some(spec) = pod.spec.as_mut() {
                        spec.node_name = Some(NODE.into());
                    }
                }
                Some(NODE) => {}
                _ => continue,
            }
            if deleting {
                self.finish_deletion(&api, &ns, &name, &uid).await;
                continue;
            }
            self.write_pod_status(&api, &pod, &ns, &name, &uid).await;
        }
        self.tracks.retain(|uid, _| seen.contains(uid));
        Ok(())
    }

    /// Whether the pod's `nodeSelector` (if any) matches the node's labels.
    fn selects_node(&self, pod: &Pod) -> bool {
        pod.spec
            .as_ref()
            .and_then(|s| s.node_selector.as_ref())
            .is_none_or(|sel| {
                sel.iter()
                    .all(|(k, v)| self.node_labels.get(k).and_then(Value::as_str) == Some(v))
            })
    }

    async fn bind(&mut self, api: &Api<Pod>, name: &str, uid: &str) -> Result<(), String> {
        let binding = json!({
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": { "name": name, "uid": uid },
            "target": { "apiVersion": "v1", "kind": "Node", "name": NODE },
        });
        api.create_subresource::<_, Value>("binding", name, &PostParams::default(), &binding)
            .await
            .map_err(|e| e.to_string())?;
        self.note(&format!("bound {}/{name}", api_ns(api)));
        Ok(())
    }

    async fn finish_deletion(&mut self, api: &Api<Pod>, ns: &str, name: &str, uid: &str) {
        if self.tracks.get(uid).is_some_and(|t| t.deleting) {
            return;
        }
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(uid.into()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(name, &dp).await {
            Ok(_) => {
                self.note(&format!("deleted {ns}/{name} (grace period over)"));
                let track = self.track(uid);
                track.deleting = true;
            }
            Err(e) => self.note(&format!("delete {ns}/{name}: {e}")),
        }
    }

    fn track(&mut self, uid: &str) -> &mut Track {
        let next_ip = &mut self.next_ip;
        self.tracks.entry(uid.to_string()).or_insert_with(|| {
            *next_ip += 1;
            Track {
                since: Instant::now(),
                started_at: rfc3339_now(),
                finished_at: None,
                ip: format!("10.244.{}.{}", *next_ip / 250, *next_ip % 250 + 1),
                deleting: false,
            }
        })
    }

    async fn write_pod_status(
        &mut self,
        api: &Api<Pod>,
        pod: &Pod,
        ns: &str,
        name: &str,
        uid: &str,
    ) {
        let fate = Fate::of(pod);
        let track = self.track(uid);
        let status = desired_status(pod, fate, track);
        // Compared with what the API holds, not with what was last written: like a
        // kubelet's status manager, this undoes other writers (the node-lifecycle
        // controller marks pods not Ready when a node's heartbeat stops).
        let observed = serde_json::to_value(&pod.status).unwrap_or(Value::Null);
        if signature(&observed) == signature(&status) {
            return;
        }
        // Strategic merge: conditions merge by type, so others' conditions stay.
        let patch = json!({ "status": status });
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch))
            .await
        {
            Ok(_) => {
                let mut line = format!("status {ns}/{name}: {}", status["phase"]);
                if let Some(c) = status["containerStatuses"].get(0) {
                    let _ = write!(line, " ready={} restarts={}", c["ready"], c["restartCount"]);
                }
                self.note(&line);
            }
            Err(e) => self.note(&format!("status {ns}/{name}: {e}")),
        }
    }
}

/// The pod conditions the stand-in writes, as a kubelet does.
const OWN_CONDITIONS: [&str; 5] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
];

/// What of a pod status the stand-in keeps as it wants it: phase, IP, the status of
/// its own conditions, and each container's readiness, restarts and state.
fn signature(status: &Value) -> Value {
    let mut conditions: Vec<(String, String)> = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            // Others' conditions (DisruptionTarget, readiness gates) are left alone.
            c["type"]
                .as_str()
                .is_some_and(|t| OWN_CONDITIONS.contains(&t))
        })
        .map(|c| (c["type"].to_string(), c["status"].to_string()))
        .collect();
    conditions.sort();
    let containers = |key: &str| -> Vec<Value> {
        status[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let state: Vec<&String> = c["state"]
                    .as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .collect();
                json!([c["name"], c["ready"], c["restartCount"], state])
            })
            .collect()
    };
    json!({
        "phase": status["phase"],
        "podIP": status["podIP"],
        "conditions": conditions,
        "containers": containers("containerStatuses"),
        "init": containers("initContainerStatuses"),
    })
}

fn api_ns(api: &Api<Pod>) -> String {
    api.namespace().unwrap_or_default().to_string()
}

/// The status a kubelet would report now for `pod` with `fate`, `track.since` after it
/// was bound. Sets `track.finished_at` the first time the pod ends.
fn desired_status(pod: &Pod, fate: Fate, track: &mut Track) -> Value {
    let spec = pod.spec.clone().unwrap_or_default();
    let policy = spec.restart_policy.as_deref().unwrap_or("Always");
    let elapsed = track.since.elapsed();
    // (phase, ready, how each container is, restarts, last termination exit code)
    enum Now {
        Running { ready: bool },
        Looping { exit: i32, restarts: u64 },
        Ended { exit: i32 },
    }
    let restarts_after = |exit: i32| match policy {
        "Never" => false,
        "OnFailure" => exit != 0,
        _ => true,
    };
    let looping = |exit: i32| Now::Looping {
        exit,
        restarts: 1
            + (elapsed.saturating_sub(RUN_FOR).as_millis() / RESTART_EVERY.as_millis()) as u64,
    };
    let now = match fate {
        Fate::Pending | Fate::Run { ready: true } => Now::Running { ready: true },
        Fate::Run { ready: false } => Now::Running { ready: false },
        Fate::CrashLoop => looping(1),
        Fate::Exit(_) if elapsed < RUN_FOR => Now::Running { ready: true },
        Fate::Exit(exit) if restarts_after(exit) => looping(exit),
        Fate::Exit(exit) => Now::Ended { exit },
    };
    if matches!(now, Now::Ended { .. }) && track.finished_at.is_none() {
        track.finished_at = Some(rfc3339_now());
    }
    let started = track.started_at.clone();
    let finished = track.finished_at.clone().unwrap_or_else(rfc3339_now);
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let terminated = |exit: i32, at: &str| {
        json!({ "terminated": {
            "exitCode": exit,
            "reason": if exit == 0 { "Completed" } else { "Error" },
            "startedAt": started, "finishedAt": at,
        }})
    };
    let container = |c: &Container| {
        let (ready, state, last, restarts) = match &now {
            Now::Running { ready } => (
                *ready,
                json!({ "running": { "startedAt": started } }),
                json!({}),
                0,
            ),
            Now::Looping { exit, restarts } => (
                false,
                json!({ "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": format!("back-off restarting failed container {} in pod {}", c.name, pod.metadata.name.clone().unwrap_or_default()),
                }}),
                terminated(*exit, &started),
                *restarts,
            ),
            Now::Ended { exit } => (false, terminated(*exit, &finished), json!({}), 0),
        };
        json!({
            "name": c.name,
            "image": c.image.clone().unwrap_or_default(),
            "imageID": format!("forge-stand-in/{}", c.image.clone().unwrap_or_default()),
            "containerID": format!("forge://{uid}/{}", c.name),
            "ready": ready,
            "started": matches!(now, Now::Running { .. }),
            "restartCount": restarts,
            "state": state,
            "lastState": last,
        })
    };
    let (phase, ready, at, reason) = match &now {
        Now::Running { ready } => (
            "Running",
            *ready,
            &started,
            if *ready {
                None
            } else {
                Some("ContainersNotReady")
            },
        ),
        Now::Looping { .. } => ("Running", false, &started, Some("ContainersNotReady")),
        Now::Ended { exit } => (
            if *exit == 0 { "Succeeded" } else { "Failed" },
            false,
            &finished,
            Some("PodCompleted"),
        ),
    };
    let cond = |kind: &str, status: bool, reason: Option<&str>| {
        let mut c = json!({ "type": kind, "status": if status { "True" } else { "False" }, "lastTransitionTime": at });
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        c
    };
    let ended = matches!(now, Now::Ended { .. });
    json!({
        "phase": phase,
        "conditions": [
            cond("PodReadyToStartContainers", !ended, None),
            cond("Initialized", true, ended.then_some("PodCompleted")),
            cond("Ready", ready, reason),
            cond("ContainersReady", ready, reason),
            cond("PodScheduled", true, None),
        ],
        "hostIP": "127.0.0.1",
        "hostIPs": [{ "ip": "127.0.0.1" }],
        "podIP": track.ip,
        "podIPs": [{ "ip": track.ip }],
        "startTime": started,
        "initContainerStatuses": spec.init_containers.iter().flatten().map(|c| json!({
            "name": c.name,
            "image": c.image.clone().unwrap_or_default(),
            "imageID": format!("forge-stand-in/{}", c.image.clone().unwrap_or_default()),
            "containerID": format!("forge://{uid}/{}", c.name),
            "ready": true, "started": false, "restartCount": 0,
            "state": terminated(0, &started), "lastState": {},
        })).collect::<Vec<_>>(),
        "containerStatuses": spec.containers.iter().map(container).collect::<Vec<_>>(),
    })
}
