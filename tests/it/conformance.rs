//! The conformance check of every implemented kind against its test server
//! ([`forge::provider::conformance`]): create, no-op plan, create again (adoption),
//! delete, absent. A new kind joins with one test below.

use std::path::{Path, PathBuf};

use forge::provider::conformance::{check, check_read_only};
use forge::provider::{Ctx, Resource};
use forge::providers::aws::{BucketSpec, S3Bucket, StoreSpec};
use forge::providers::k3d::{ClusterSpec, K3dCluster, Ports};
use forge::providers::kube::client::ClusterRef;
use forge::providers::kube::context::{ContextSpec, KubeContext};
use forge::providers::kube::manifest::{KubeManifest, ManifestSpec};
use forge::providers::local_file::{FileSpec, LocalFileResource};
use forge::secret::{SecretSpec, Secrets};

use crate::support::peers::kube::kube;
use crate::support::servers::{S3Server, moto, s3s_fs, unique};

fn ctx(dir: &Path) -> Ctx {
    Ctx::new(dir.to_path_buf(), Secrets::default())
}

/// Runs the check and fails the test with the violation, its causes on one line.
async fn conforms<R: Resource>(r: &R, dir: &Path, name: &str, spec: R::Spec)
where
    R::State: std::fmt::Debug,
{
    if let Err(v) = check(r, &ctx(dir), name, &spec).await {
        panic!(
            "{} `{name}` breaks the contract: {}",
            R::KIND,
            forge::render::error_chain(&v)
        );
    }
}

/// A bucket spec on `server`, its keys given by file (as `{file: ...}` in forge.yaml).
fn bucket(server: &S3Server, dir: &Path) -> (String, BucketSpec) {
    let name = unique("conf");
    let ak = Some(SecretSpec::File(write(dir, "ak", &server.access_key)));
    let sk = Some(SecretSpec::File(write(dir, "sk", &server.secret_key)));
    let spec = BucketSpec {
        bucket: name.clone(),
        store: StoreSpec {
            endpoint: Some(server.endpoint.clone()),
            region: Some("us-east-1".into()),
            profile: None,
            path_style: Some(true),
            access_key: ak,
            secret_key: sk,
        },
        tags: [("owner".to_string(), "conformance".to_string())].into(),
        versioning: None,
        force_destroy: false,
    };
    (name, spec)
}

#[tokio::test]
async fn s3_bucket_on_moto() {
    let dir = tempfile::tempdir().expect("tmp");
    let (name, spec) = bucket(moto(), dir.path());
    conforms(&S3Bucket::new(), dir.path(), &name, spec).await;
}

#[tokio::test]
async fn s3_bucket_on_s3s_fs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (name, spec) = bucket(s3s_fs(), dir.path());
    conforms(&S3Bucket::new(), dir.path(), &name, spec).await;
}

#[tokio::test]
async fn local_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = FileSpec {
        path: dir.path().join("out/creds.txt"),
        content: "client_id=abc\n".into(),
        mode: "0600".into(),
    };
    conforms(&LocalFileResource, dir.path(), "creds", spec).await;
}

#[tokio::test]
async fn kube_manifest_on_the_real_api_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let ns = peer.namespace("conf");
    let spec = ManifestSpec {
        cluster: ClusterRef {
            kubeconfig: Some(peer.kubeconfig.clone()),
            context: None,
        },
        objects: vec![serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "conf", "namespace": ns.name},
            "data": {"greeting": "hello"},
        })],
        wait: vec![],
        timeout_seconds: Some(60),
        unless_present: None,
    };
    conforms(&KubeManifest::default(), dir.path(), &unique("conf"), spec).await;
}

#[tokio::test]
async fn kube_context_is_read_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let context = String::from_utf8_lossy(&peer.kubectl(&["config", "current-context"]).stdout)
        .trim()
        .to_string();
    let spec = ContextSpec {
        context: context.clone(),
        kubeconfig: Some(peer.kubeconfig.clone()),
    };
    if let Err(v) = check_read_only(&KubeContext, &ctx(dir.path()), &context, &spec).await {
        panic!(
            "kube_context breaks the contract: {}",
            forge::render::error_chain(&v)
        );
    }
}

#[tokio::test]
async fn k3d_cluster_with_the_fake_k3d() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bin");
    // The fake k3d takes its knobs from the environment: a wrapper sets them.
    let wrapper = dir.path().join("k3d");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexport FAKE_K3D_STATE={state}\nexport FAKE_K3D_SCHEMA={schema}\nexport FAKE_K3D_KUBECONFIG={kc}\nexec python3 {fake} \"$@\"\n",
            state = dir.path().join("k3d-state.json").display(),
            schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs/k3d/k3d-v1alpha5-schema.json"),
            kc = peer.kubeconfig.display(),
            fake = support.join("k3d").display(),
        ),
    )
    .expect("wrapper");
    make_executable(&wrapper);
    let name = unique("conf");
    let spec = ClusterSpec {
        name: name.clone(),
        k3s_version: "v1.35.1-k3s1".into(),
        servers: 1,
        agents: 0,
        runtime: "docker".into(),
        podman_machine: "k3d".into(),
        ports: Ports {
            s3: 19000,
            console: 19001,
            polaris: 18181,
        },
        kubeconfig: dir.path().join(".kube/config"),
        update_default_kubeconfig: false,
    };
    let k3d = K3dCluster {
        program: Some(wrapper.display().to_string()),
    };
    conforms(&k3d, dir.path(), &name, spec).await;
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
