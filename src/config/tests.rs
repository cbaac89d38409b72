use std::collections::BTreeMap;
use std::path::Path;

use super::*;

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([("USER".to_string(), "kameshs".to_string())])
}

fn load_str(text: &str) -> Result<Config, Error> {
    parse(Path::new("forge.yaml"), text.to_string(), Path::new("/tmp/polaris-dev"), &env())
}

fn problems(text: &str) -> Vec<Problem> {
    match load_str(text) {
        Err(Error::Invalid(p)) => p.problems,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("expected problems"),
    }
}

#[test]
fn minimal_bucket_file() {
    let cfg = load_str("stores:\n  - name: local\n    endpoint: http://localhost:9000\nbuckets:\n  - name: data-one\n").expect("valid");
    assert_eq!(cfg.resources.len(), 1);
    assert_eq!(cfg.resources[0].addr.to_string(), "s3_bucket.data-one");
    assert_eq!(cfg.resources[0].spec["store"]["endpoint"], "http://localhost:9000");
}

#[test]
fn env_variables_are_resolved_and_missing_ones_reported() {
    let cfg = load_str("naming: {prefix: \"${env:USER}\"}\nproject: \"p-${env:NOPE:-x}\"\n").expect("valid");
    assert_eq!(cfg.file.naming.prefix.as_ref().map(|p| p.value.as_str()), Some("kameshs"));
    assert_eq!(cfg.file.project.as_ref().map(|p| p.value.as_str()), Some("p-x"));
    let p = problems("project: \"${env:FORGE_UNSET}\"\n");
    assert_eq!(p[0].kind, ProblemKind::MissingVariable);
}

#[test]
fn reports_every_problem() {
    let text = "projekt: x\nbuckets:\n  - name: Bad_Name\n  - name: ok-bucket\n    store: nowhere\n    depends_on: [s3_bucket.missing]\n";
    let p = problems(text);
    let kinds: Vec<ProblemKind> = p.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&ProblemKind::UnknownField), "{kinds:?}");
    assert!(kinds.contains(&ProblemKind::InvalidValue), "{kinds:?}");
    assert!(kinds.contains(&ProblemKind::DanglingReference), "{kinds:?}");
    assert!(p.len() >= 3);
}

#[test]
fn references_become_dependencies() {
    let text = "stores: [{name: local, endpoint: \"http://x\"}]\nbuckets: [{name: abc}]\nfiles:\n  - name: out\n    path: out.txt\n    content: \"${s3_bucket.abc.bucket}\"\n";
    let cfg = load_str(text).expect("valid");
    let file = cfg.resources.iter().find(|r| r.addr.kind() == "local_file").expect("file");
    assert_eq!(file.deps[0].target, "s3_bucket.abc");
}
