//! One conformance check ([`forge::state::conformance::check`]) against every backend
//! and store: local, S3 on moto (versioned and not) and on s3s-fs, Kubernetes on the
//! real API server.

use std::sync::Arc;

use forge::state::backend::{BackendSpec, StateBackend};
use forge::state::conformance::check;

use super::{bucket, kube_spec, s3_spec};
use crate::support::servers::{moto, s3s_fs};

fn conforms(what: &str, spec: &BackendSpec) {
    let make = || -> Arc<dyn StateBackend> { spec.open().expect("open the backend") };
    if let Err(v) = check(&make) {
        panic!(
            "the {what} backend breaks the contract: {}",
            forge::render::error_chain(&v)
        );
    }
}

#[test]
fn local_backend_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    conforms("local", &BackendSpec::default_local(dir.path()));
}

#[test]
fn s3_backend_conforms_on_moto_with_versioning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bucket(moto(), true);
    conforms(
        "S3 (moto, versioned)",
        &s3_spec(moto(), &b, "team/forge.state.json", dir.path()),
    );
    let keys: Vec<String> = super::objects(moto(), &b)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        !keys.iter().any(|k| k.ends_with(".backup")),
        "versioning keeps the previous version, no .backup: {keys:?}"
    );
}

#[test]
fn s3_backend_conforms_on_moto_without_versioning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bucket(moto(), false);
    conforms(
        "S3 (moto)",
        &s3_spec(moto(), &b, "forge.state.json", dir.path()),
    );
    let keys: Vec<String> = super::objects(moto(), &b)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        keys.contains(&"forge.state.json.backup".to_string()),
        "{keys:?}"
    );
}

#[test]
fn s3_backend_conforms_on_s3s_fs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bucket(s3s_fs(), false);
    conforms(
        "S3 (s3s-fs)",
        &s3_spec(s3s_fs(), &b, "forge.state.json", dir.path()),
    );
}

#[test]
fn kubernetes_backend_conforms_on_the_real_api_server() {
    conforms("Kubernetes", &kube_spec());
}
