//! State backends (issue 18): the conformance check of every backend against its
//! store ([`conformance`]), the real binary sharing one state from several work dirs
//! ([`sharing`]: locking, stale locks, SIGKILL, convergence), encrypted state
//! ([`encryption`]), the state commands ([`commands`]) and the CI example of the docs
//! ([`ci`]).

mod bench;
mod ci;
mod commands;
mod conformance;
mod encryption;
mod sharing;

use std::path::Path;
use std::time::Duration;

use forge::providers::aws::StoreSpec;
use forge::providers::kube::client::ClusterRef;
use forge::secret::SecretSpec;
use forge::state::backend::BackendSpec;

use crate::support::peers::kube::kube;
use crate::support::servers::{S3Server, boto3, unique};

/// A new bucket on `server`, versioned or not.
pub fn bucket(server: &S3Server, versioning: bool) -> String {
    let name = unique("state");
    let mut code = format!("s3.create_bucket(Bucket='{name}')\n");
    if versioning {
        code.push_str(&format!(
            "s3.put_bucket_versioning(Bucket='{name}', VersioningConfiguration={{'Status': 'Enabled'}})\n"
        ));
    }
    boto3(server, &code);
    name
}

/// An S3 backend on `server` in `bucket`, its keys given by files in `dir`.
pub fn s3_spec(server: &S3Server, bucket: &str, key: &str, dir: &Path) -> BackendSpec {
    let write = |name: &str, value: &str| {
        let p = dir.join(name);
        std::fs::write(&p, value).expect("key file");
        SecretSpec::File(p)
    };
    BackendSpec::S3 {
        store: StoreSpec {
            endpoint: Some(server.endpoint.clone()),
            region: Some("us-east-1".into()),
            profile: None,
            path_style: Some(true),
            access_key: Some(write("ak", &server.access_key)),
            secret_key: Some(write("sk", &server.secret_key)),
        },
        bucket: bucket.into(),
        key: key.into(),
        lease: Duration::from_secs(30),
        allow_unsafe_locking: false,
    }
}

/// A Kubernetes backend on the API server peer, under a name no other test uses.
pub fn kube_spec() -> BackendSpec {
    BackendSpec::Kubernetes {
        cluster: ClusterRef {
            kubeconfig: Some(kube().kubeconfig.clone()),
            context: None,
        },
        namespace: "default".into(),
        name: unique("conf"),
        lease: Duration::from_secs(30),
    }
}

/// forge.yaml's `backend:` for S3 on `server`, keys from env `K` and `S`.
pub fn s3_yaml(server: &S3Server, bucket: &str, key: &str, extra: &str) -> String {
    format!(
        "backend:\n  s3:\n    bucket: {bucket}\n    key: {key}\n    endpoint: {}\n    access_key: {{env: K}}\n    secret_key: {{env: S}}\n{extra}",
        server.endpoint
    )
}

/// The env of [`s3_yaml`]'s keys for `server`.
pub fn s3_env(server: &S3Server) -> Vec<(&'static str, String)> {
    vec![
        ("K", server.access_key.clone()),
        ("S", server.secret_key.clone()),
    ]
}

/// Every object of `bucket`, keys and bytes (all versions where versioned).
pub fn objects(server: &S3Server, bucket: &str) -> Vec<(String, Vec<u8>)> {
    let out = boto3(
        server,
        &format!(
            "import base64\nout = []\ntry:\n    vs = s3.list_object_versions(Bucket='{bucket}').get('Versions', [])\n    items = [(v['Key'], v['VersionId']) for v in vs]\nexcept Exception:\n    items = [(o['Key'], None) for o in s3.list_objects_v2(Bucket='{bucket}').get('Contents', [])]\nfor k, v in items:\n    kw = {{'VersionId': v}} if v and v != 'null' else {{}}\n    out.append([k, base64.b64encode(s3.get_object(Bucket='{bucket}', Key=k, **kw)['Body'].read()).decode()])\nprint(json.dumps(out))"
        ),
    );
    let items: Vec<(String, String)> = serde_json::from_str(&out).expect("objects json");
    items
        .into_iter()
        .map(|(k, b)| {
            use base64::Engine as _;
            (
                k,
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .expect("base64"),
            )
        })
        .collect()
}

/// An error report on one line: miette's frame (`│`) and line wraps gone.
pub fn flat(s: &str) -> String {
    s.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
