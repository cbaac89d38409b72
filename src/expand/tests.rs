//! Expansion and diagnostics: forge.yaml text in, declarations or rendered problems out.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::config::{Error, json_schema, parse};

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([("USER".to_string(), "kameshs".to_string())])
}

/// Expands `text` as forge.yaml, with `version` and `project` in front when it lacks
/// them (every forge.yaml needs both).
fn load_str(text: &str) -> Result<Declared, Error> {
    let has = |key: &str| text.lines().any(|l| l.starts_with(key));
    let mut full = String::new();
    if !has("version:") {
        full.push_str("version: 1\n");
    }
    if !has("project:") && !has("projekt:") {
        full.push_str("project: polaris-dev\n");
    }
    load_exact(&(full + text))
}

/// Expands exactly `text`.
fn load_exact(text: &str) -> Result<Declared, Error> {
    expand(parse(
        Path::new("forge.yaml"),
        text.to_string(),
        Path::new("/tmp/polaris-dev"),
        &env(),
    )?)
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
    assert_eq!(
        cfg.resources[0].spec["store"]["endpoint"],
        "http://localhost:9000"
    );
}

#[test]
fn env_variables_are_resolved_and_missing_ones_reported() {
    let cfg = load_str("naming: {prefix: \"${env:USER}\"}\nproject: \"p-${env:NOPE:-x}\"\n")
        .expect("valid");
    assert_eq!(
        cfg.config
            .file
            .naming
            .prefix
            .as_ref()
            .map(|p| p.value.as_str()),
        Some("kameshs")
    );
    assert_eq!(
        cfg.config.file.project.as_ref().map(|p| p.value.as_str()),
        Some("p-x")
    );
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
    let file = cfg
        .resources
        .iter()
        .find(|r| r.addr.kind() == "local_file")
        .expect("file");
    assert_eq!(file.deps[0].target.to_string(), "s3_bucket.abc");
}

/// Renders problems the way `forge` prints them, without colours.
fn rendered(text: &str) -> String {
    let problems = match load_str(text) {
        Err(Error::Invalid(p)) => p,
        Err(e) => panic!("unexpected error {e}"),
        Ok(cfg) => match crate::graph::ResourceGraph::build(&cfg, &crate::state::State::new()) {
            Err(p) => p,
            Ok(_) => panic!("expected problems"),
        },
    };
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, problems.as_ref())
        .expect("render");
    out
}

const STORE: &str = "stores: [{name: local, endpoint: \"http://localhost:9000\"}]\n";

#[test]
fn diagnostic_yaml_syntax() {
    insta::assert_snapshot!(rendered("buckets:\n  - name: [a, b\n  - name: c\n"));
}

#[test]
fn diagnostic_unknown_field() {
    insta::assert_snapshot!(rendered(&format!(
        "{STORE}buckets:\n  - name: data\n    force_destroi: true\n"
    )));
}

#[test]
fn diagnostic_wrong_type() {
    insta::assert_snapshot!(rendered("cluster:\n  k3d:\n    agents: lots\n"));
}

#[test]
fn diagnostic_missing_field() {
    insta::assert_snapshot!(rendered(&format!("{STORE}buckets:\n  - store: local\n")));
}

#[test]
fn diagnostic_invalid_value() {
    insta::assert_snapshot!(rendered("cluster:\n  k3d:\n    runtime: dockr\n"));
}

#[test]
fn diagnostic_dangling_reference() {
    insta::assert_snapshot!(rendered(&format!(
        "{STORE}buckets:\n  - name: data\n  - name: logs\n    depends_on: [s3_bucket.dta]\n"
    )));
}

#[test]
fn diagnostic_duplicate_name() {
    insta::assert_snapshot!(rendered(&format!(
        "{STORE}buckets:\n  - name: data\n  - name: data\n"
    )));
}

#[test]
fn diagnostic_dependency_cycle() {
    insta::assert_snapshot!(rendered(&format!(
        "{STORE}buckets:\n  - name: aaa\n    depends_on: [s3_bucket.bbb]\n  - name: bbb\n    depends_on: [s3_bucket.aaa]\n"
    )));
}

#[test]
fn diagnostic_missing_variable() {
    insta::assert_snapshot!(rendered(
        "naming:\n  prefix: ${env:FORGE_TEST_UNSET_PREFIX}\n"
    ));
}

#[test]
fn diagnostic_secret_in_file() {
    insta::assert_snapshot!(rendered(
        "cluster: {k3d: {}}\nstack:\n  postgresql:\n    password: hunter2\n"
    ));
}

#[test]
fn diagnostic_several_problems_at_once() {
    insta::assert_snapshot!(rendered(&format!(
        "projekt: x\n{STORE}buckets:\n  - name: Bad_Name\n  - name: good-one\n    store: nowhere\n"
    )));
}

#[test]
fn example_file_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/forge.yaml.example"))
        .expect("example");
    assert!(text.starts_with("# yaml-language-server: $schema=./schemas/forge.schema.json"));
    let cfg = load_str(&text).expect("forge.yaml.example is valid");
    assert!(
        cfg.resources.len() > 20,
        "the example declares the whole stack"
    );
}

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/forge.schema.json"
    ))
    .expect("schema file");
    assert!(
        committed == json_schema(),
        "schemas/forge.schema.json is out of date: run `cargo run -- schema` and commit it"
    );
}

#[test]
fn diagnostic_stack_without_cluster() {
    insta::assert_snapshot!(rendered("stack:\n  rustfs: {}\n"));
}

/// What a new user gets wrong, each rejected with a located problem: (file, problem
/// kind, words the message must hold, 1-based line it must point at).
const BROKEN: &[(&str, ProblemKind, &str, usize)] = &[
    ("", ProblemKind::MissingField, "declares nothing", 1),
    (
        "# only a comment\n\n",
        ProblemKind::MissingField,
        "declares nothing",
        1,
    ),
    ("project: x\n", ProblemKind::MissingField, "`version`", 1),
    ("version: 1\n", ProblemKind::MissingField, "`project`", 1),
    (
        "version: 2\nproject: x\n",
        ProblemKind::InvalidValue,
        "version 2",
        1,
    ),
    (
        "version: 1\nproject: x\ncluster:\n  k3d:\n    ports: [19000, 19001, 18181]\n",
        ProblemKind::WrongType,
        "expected a mapping, found a list",
        5,
    ),
    (
        "version: 1\nproject: x\nnaming: [me, true]\n",
        ProblemKind::WrongType,
        "expected a mapping, found a list",
        3,
    ),
    (
        "version: 1\nproject: x\nbuckets:\n  - [data, local]\n",
        ProblemKind::WrongType,
        "expected a mapping, found a list",
        4,
    ),
    (
        "version: 1\nproject: x\ncluster:\n  k3d:\n    ports: {s3: 0}\n",
        ProblemKind::InvalidValue,
        "integer 0",
        5,
    ),
    (
        "version: 1\nproject: x\ncluster:\n  k3d:\n    ports: {polaris: 70000}\n",
        ProblemKind::InvalidValue,
        "integer 70000",
        5,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs:\n    - name: polardb\n      bucket: Bad_Bucket\n",
        ProblemKind::InvalidValue,
        "not a valid bucket name",
        8,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\n  namespaces:\n    - catalog: polardb\n      name: wild/life\n",
        ProblemKind::InvalidValue,
        "must not contain `/`",
        9,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\n  namespaces:\n    - catalog: polardb\n      name: wild..life\n",
        ProblemKind::InvalidValue,
        "must not be empty",
        9,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\n  namespaces: [{catalog: polardb, name: wildlife}]\n  tables:\n    - catalog: polardb\n      namespace: wildlife\n      name: \"pen+guins\"\n      dataset: penguins\n",
        ProblemKind::InvalidValue,
        "must not contain `+`",
        11,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\nl2c:\n  tables:\n    - {catalog: nope, namespace: ns, table: t}\n",
        ProblemKind::DanglingReference,
        "which `catalog.catalogs` does not declare",
        9,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\n  namespaces: [{catalog: polardb, name: wildlife}]\n  tables:\n    - catalog: polardb\n      namespace: wildlife\n      name: fruits\n      dataset: fruits\n",
        ProblemKind::InvalidValue,
        "neither a built-in dataset (penguins) nor a path ending in .csv or .parquet",
        12,
    ),
    (
        "version: 1\nproject: x\nstores: [{name: s3, endpoint: \"http://127.0.0.1:9\"}]\ncatalog:\n  catalogs: [{name: polardb, store: s3}]\n  namespaces: [{catalog: polardb, name: wildlife}]\n  tables:\n    - catalog: polardb\n      namespace: wildlife\n      name: penguins\n      dataset: penguins\n",
        ProblemKind::InvalidValue,
        "needs the keys of store `s3`",
        10,
    ),
    (
        "version: 1\nproject: x\nstack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: \"system$cat\"}]\n",
        ProblemKind::InvalidValue,
        "system$",
        6,
    ),
    (
        "version: 1\nproject: x\na: 1\na: 2\n",
        ProblemKind::Syntax,
        "appears twice",
        4,
    ),
    (
        "version: 1\nproject: x\n---\nversion: 1\n",
        ProblemKind::Syntax,
        "more than one YAML document",
        4,
    ),
];

#[test]
fn broken_files_are_rejected_at_their_line() {
    for (text, kind, words, line) in BROKEN {
        let problems = match load_exact(text) {
            Err(Error::Invalid(p)) => p,
            Err(e) => panic!("{text:?}: unexpected error {e}"),
            Ok(_) => panic!("{text:?} was accepted"),
        };
        let found = problems
            .problems
            .iter()
            .find(|p| p.kind == *kind && p.message.contains(words));
        let Some(p) = found else {
            panic!(
                "{text:?}: no {kind:?} problem saying {words:?} in {:?}",
                problems.problems
            );
        };
        let at = p
            .span
            .map(|s| crate::config::tree::offset_to_line_col(text, s.start).0);
        assert_eq!(at, Some(*line), "{text:?}: {} at the wrong line", p.message);
    }
}

#[test]
fn parser_wording_never_reaches_the_user() {
    let mut bomb = String::from("version: 1\nproject: x\na: &a [1,1,1,1,1,1,1,1,1,1]\n");
    for (i, c) in ('b'..='h').enumerate() {
        let prev = (b'a' + i as u8) as char;
        bomb.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    for text in [
        bomb.as_str(),
        "version: 1\nproject: x\na: 1\na: 2\n",
        "version: 1\nproject: x\n---\nversion: 1\n",
    ] {
        let out = rendered(text);
        for leak in [
            "DuplicateKeyPolicy",
            "from_str_multiple",
            "budget breached",
            "Nodes {",
            "Options",
        ] {
            assert!(!out.contains(leak), "{leak} leaked:\n{out}");
        }
    }
    assert!(rendered(&bomb).contains("alias bomb"));
}

#[test]
fn a_file_that_is_not_utf8_says_where() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("forge.yaml");
    std::fs::write(&path, b"version: 1\nproject: \xff\xfe\n").expect("write");
    match crate::config::load(&path, dir.path(), &env()) {
        Err(
            e @ Error::NotUtf8 {
                line: 2,
                column: 10,
                ..
            },
        ) => {
            assert!(e.to_string().contains("not UTF-8"), "{e}");
        }
        other => panic!("expected NotUtf8 at 2:10, got {other:?}"),
    }
}

#[test]
fn tables_and_query_use_the_catalog_stores_own_keys() {
    let cfg = load_str("stack: {rustfs: {}}\ncluster: {k3d: {}}\ncatalog:\n  catalogs: [{name: polardb}]\n  namespaces: [{catalog: polardb, name: wildlife}]\n  tables: [{catalog: polardb, namespace: wildlife, name: penguins, dataset: penguins}]\n").expect("valid");
    let table = cfg
        .resources
        .iter()
        .find(|r| r.addr.to_string() == "polaris_table.polardb/wildlife/penguins")
        .expect("the table");
    assert_eq!(table.spec["dataset"]["source"]["builtin"], "penguins");
    assert_eq!(
        table.spec["dataset"]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(table.spec["storage"]["path_style"], true);
    assert!(table.spec["storage"]["access_key"]["generate"].is_object());
    let stores = catalog_stores(&cfg);
    assert_eq!(stores.len(), 1);
    let (name, storage) = &stores[0];
    assert_eq!(name, "polardb");
    let storage = storage.as_ref().expect("the stack's RustFS has keys");
    assert_eq!(
        serde_json::to_value(storage).expect("json"),
        table.spec["storage"]
    );
}
