//! Engine tests: plan + apply + state through [`Engine`], with the fake resource kind.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::apply::ApplyReport;
use crate::config::Span;
use crate::expand::{Declared, Dep, ResourceDecl};
use crate::graph::action::ActionGraph;
use crate::plan::ResourceChange;
use crate::provider::ProviderError;
use crate::provider::fake::FakeResource;
use crate::state::Status;

struct H {
    fake: FakeResource,
    registry: Registry,
    dir: tempfile::TempDir,
}

fn h() -> H {
    let fake = FakeResource::new();
    let mut registry = Registry::new();
    registry.register(fake.clone());
    H {
        fake,
        registry,
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

fn fake(name: &str, value: &str, deps: &[&str]) -> ResourceDecl {
    ResourceDecl {
        addr: format!("fake.{name}").parse().expect("addr"),
        spec: json!({"value": value, "immutable": "i"}),
        deps: deps
            .iter()
            .map(|d| Dep {
                target: format!("fake.{d}").parse().expect("addr"),
                span: None,
            })
            .collect(),
        span: Span::default(),
    }
}

fn cfg(decls: Vec<ResourceDecl>) -> Declared {
    Declared::synthetic(decls)
}

impl H {
    fn store(&self) -> StateStore {
        StateStore::open(self.dir.path(), "test", Duration::ZERO).expect("open state")
    }

    /// A run of `config` against the state in the test's directory.
    fn engine(&self, config: &Declared) -> Engine {
        Engine::new(config.clone(), self.store(), self.registry.clone()).expect("engine")
    }

    async fn plan_with(
        &self,
        config: &Declared,
        destroy: bool,
        targets: &[&str],
        excludes: &[&str],
    ) -> Plan {
        let engine = self.engine(config);
        let ctx = engine.context(Mode::Plan, Duration::from_secs(300), Default::default());
        let request = PlanRequest {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
            destroy,
            parallelism: 4,
            ..PlanRequest::default()
        };
        engine.plan(&ctx, &request).await.expect("plan")
    }

    async fn plan(&self, config: &Declared) -> Plan {
        self.plan_with(config, false, &[], &[]).await
    }

    async fn apply_plan(&self, config: &Declared, plan: &Plan, parallelism: usize) -> ApplyReport {
        let engine = self.engine(config);
        let ctx = engine.context(Mode::Apply, Duration::from_secs(300), Default::default());
        engine
            .apply(plan, ctx, parallelism, None)
            .await
            .expect("apply")
            .report
    }

    async fn apply(&self, config: &Declared) -> (Plan, ApplyReport) {
        let plan = self.plan(config).await;
        let report = self.apply_plan(config, &plan, 10).await;
        (plan, report)
    }

    fn state(&self) -> State {
        StateStore::peek(self.dir.path())
            .expect("peek")
            .unwrap_or_default()
    }
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .filter(|c| c.action.is_change())
        .map(|c| (c.addr.to_string(), c.action))
        .collect()
}

#[tokio::test]
async fn creates_in_dependency_order_then_has_nothing_to_do() {
    // a <- b <- c, and d alone
    let h = h();
    let config = cfg(vec![
        fake("c", "1", &["b"]),
        fake("b", "1", &["a"]),
        fake("a", "1", &[]),
        fake("d", "1", &[]),
    ]);
    let (plan, report) = h.apply(&config).await;
    assert_eq!(plan.summary().add, 4);
    assert!(report.complete(), "{report:?}");
    let creates = h.fake.calls("create");
    let pos = |n: &str| creates.iter().position(|x| x == n).expect("created");
    assert!(pos("a") < pos("b") && pos("b") < pos("c"), "{creates:?}");
    let again = h.plan(&config).await;
    assert!(!again.has_changes(), "{:?}", actions(&again));
    assert_eq!(h.state().resources.len(), 4);
    assert!(
        h.state()
            .resources
            .values()
            .all(|r| r.status == Status::Ready)
    );
}

#[tokio::test]
async fn parallelism_is_respected() {
    let h = h();
    let decls: Vec<ResourceDecl> = (0..8).map(|i| fake(&format!("r{i}"), "v", &[])).collect();
    for i in 0..8 {
        h.fake.delay(&format!("r{i}"), Duration::from_millis(40));
    }
    let config = cfg(decls);
    let plan = h.plan(&config).await;
    h.apply_plan(&config, &plan, 3).await;
    assert_eq!(h.fake.world().max_running, 3);
}

#[tokio::test]
async fn a_failure_skips_only_what_depends_on_it() {
    // bucket <- catalog <- table ; cluster <- namespace
    let h = h();
    h.fake.fail("create", "bucket");
    let config = cfg(vec![
        fake("bucket", "1", &[]),
        fake("catalog", "1", &["bucket"]),
        fake("table", "1", &["catalog"]),
        fake("cluster", "1", &[]),
        fake("namespace", "1", &["cluster"]),
    ]);
    let (_, report) = h.apply(&config).await;
    let done: Vec<String> = report.done.iter().map(|d| d.0.to_string()).collect();
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(
        done.contains(&"fake.cluster".to_string()) && done.contains(&"fake.namespace".to_string())
    );
    assert_eq!(report.failed.len(), 1);
    let skipped: Vec<(String, String)> = report
        .skipped
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("fake.catalog".into(), "fake.bucket".into()),
            ("fake.table".into(), "fake.bucket".into())
        ]
    );
    assert_eq!(h.state().resources["fake.bucket"].status, Status::Failed);
    // Fix the cause: the next apply creates exactly what is missing.
    h.fake.world().fail.clear();
    let (plan, report) = h.apply(&config).await;
    assert_eq!(actions(&plan).len(), 3, "{:?}", actions(&plan));
    assert!(report.complete());
    assert_eq!(
        h.fake
            .calls("create")
            .iter()
            .filter(|n| *n == "cluster")
            .count(),
        1
    );
}

#[tokio::test]
async fn an_interrupted_create_is_completed_without_duplicates() {
    let h = h();
    let config = cfg(vec![fake("a", "1", &[]), fake("b", "1", &["a"])]);
    h.apply(&config).await;
    let id_a = h.fake.world().objects["a"].id;
    // Simulate a crash right after `b` was created but before the result was saved:
    // state says `creating`, the world has it.
    {
        let mut store = h.store();
        store
            .state_mut()
            .resources
            .get_mut("fake.b")
            .expect("b")
            .status = Status::Creating;
        store.save().expect("save");
    }
    let plan = h.plan(&config).await;
    assert_eq!(actions(&plan), vec![("fake.b".into(), Action::Import)]);
    assert!(
        plan.changes
            .iter()
            .any(|c| c.reasons.iter().any(|r| r.contains("interrupted")))
    );
    let report = h.apply_plan(&config, &plan, 10).await;
    assert!(report.complete());
    assert_eq!(
        h.fake.calls("create").iter().filter(|n| *n == "b").count(),
        1,
        "not created twice"
    );
    assert_eq!(h.state().resources["fake.b"].status, Status::Ready);
    assert_eq!(h.fake.world().objects["a"].id, id_a);
    // And a crash before the side effect: state says creating, the world has nothing.
    {
        let mut store = h.store();
        store
            .state_mut()
            .resources
            .get_mut("fake.b")
            .expect("b")
            .status = Status::Creating;
        store.save().expect("save");
    }
    h.fake.world().objects.remove("b");
    let plan = h.plan(&config).await;
    assert_eq!(actions(&plan), vec![("fake.b".into(), Action::Create)]);
    assert!(h.apply_plan(&config, &plan, 10).await.complete());
    assert!(h.fake.world().objects.contains_key("b"));
}

#[tokio::test]
async fn ctrl_c_stops_scheduling_and_state_lets_the_next_run_finish() {
    let h = h();
    h.fake.delay("a", Duration::from_millis(50));
    let config = cfg(vec![
        fake("a", "1", &[]),
        fake("b", "1", &["a"]),
        fake("c", "1", &["b"]),
    ]);
    let plan = h.plan(&config).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let engine = h.engine(&config);
    let ctx = engine.context(Mode::Apply, Duration::from_secs(300), cancel.clone());
    let task = tokio::spawn({
        let plan = plan.clone();
        async move {
            engine
                .apply(&plan, ctx, 1, None)
                .await
                .expect("apply")
                .report
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    cancel.cancel();
    let report = task.await.expect("join");
    assert!(report.interrupted);
    assert_eq!(report.done.len(), 1, "the running change finished");
    assert_eq!(report.not_run.len(), 2);
    assert_eq!(h.state().resources["fake.a"].status, Status::Ready);
    let (plan, report) = h.apply(&config).await;
    assert_eq!(actions(&plan).len(), 2);
    assert!(report.complete());
}

#[tokio::test]
async fn updates_replaces_and_drift() {
    let h = h();
    let config = cfg(vec![fake("a", "1", &[]), fake("b", "1", &[])]);
    h.apply(&config).await;
    // Someone changes `a` by hand; forge.yaml now wants `b` changed and `a` unchanged.
    h.fake.world().objects.get_mut("a").expect("a").value = "hand-edited".into();
    let mut config2 = cfg(vec![fake("a", "1", &[]), fake("b", "2", &[])]);
    let plan = h.plan(&config2).await;
    assert_eq!(
        actions(&plan),
        vec![
            ("fake.a".into(), Action::Update),
            ("fake.b".into(), Action::Update)
        ]
    );
    assert_eq!(
        plan.drift.len(),
        1,
        "drift reported once, for the resource it affects"
    );
    assert_eq!(plan.drift[0].addr.to_string(), "fake.a");
    assert_eq!(plan.drift[0].changes[0].path, "value");
    // A changed immutable attribute is a replace, with the reason.
    config2.resources[1].spec = json!({"value": "2", "immutable": "other"});
    let plan = h.plan(&config2).await;
    let b = plan
        .changes
        .iter()
        .find(|c| c.addr.to_string() == "fake.b")
        .expect("b");
    assert_eq!(b.action, Action::Replace);
    assert!(b.reasons[0].contains("immutable"));
    let report = h.apply_plan(&config2, &plan, 10).await;
    assert!(report.complete());
    assert_eq!(h.fake.calls("delete"), vec!["b"]);
    assert!(!h.plan(&config2).await.has_changes());
}

#[tokio::test]
async fn drift_that_does_not_affect_the_plan_is_not_reported() {
    let h = h();
    let config = cfg(vec![fake("a", "1", &[])]);
    h.apply(&config).await;
    // Changed by hand to exactly what forge.yaml now asks for.
    h.fake.world().objects.get_mut("a").expect("a").value = "2".into();
    let plan = h.plan(&cfg(vec![fake("a", "2", &[])])).await;
    assert!(!plan.has_changes());
    assert!(plan.drift.is_empty());
}

#[tokio::test]
async fn removed_resources_are_deleted_dependents_first_and_destroy_reverses() {
    let h = h();
    let config = cfg(vec![
        fake("a", "1", &[]),
        fake("b", "1", &["a"]),
        fake("c", "1", &["b"]),
        fake("keep", "1", &[]),
    ]);
    h.apply(&config).await;
    let plan = h.plan(&cfg(vec![fake("keep", "1", &[])])).await;
    assert_eq!(plan.summary().destroy, 3);
    assert!(plan.changes.iter().all(|c| {
        c.addr.to_string() == "fake.keep"
            || c.reasons
                .iter()
                .any(|r| r.contains("no longer in forge.yaml"))
    }));
    h.apply_plan(&cfg(vec![fake("keep", "1", &[])]), &plan, 10)
        .await;
    assert_eq!(h.fake.calls("delete"), vec!["c", "b", "a"]);
    let destroy = h
        .plan_with(&cfg(vec![fake("keep", "1", &[])]), true, &[], &[])
        .await;
    assert_eq!(
        actions(&destroy),
        vec![("fake.keep".into(), Action::Delete)]
    );
    h.apply_plan(&config, &destroy, 10).await;
    assert!(h.state().resources.is_empty());
    assert!(h.fake.world().objects.is_empty());
}

#[tokio::test]
async fn targets_pull_in_dependencies_and_excludes_drop_dependents() {
    let h = h();
    let config = cfg(vec![
        fake("a", "1", &[]),
        fake("b", "1", &["a"]),
        fake("c", "1", &["b"]),
        fake("d", "1", &[]),
    ]);
    let plan = h.plan_with(&config, false, &["fake.b"], &[]).await;
    assert_eq!(
        actions(&plan)
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>(),
        vec!["fake.a", "fake.b"]
    );
    let plan = h.plan_with(&config, false, &[], &["fake.b"]).await;
    let mut names: Vec<String> = actions(&plan).into_iter().map(|a| a.0).collect();
    names.sort();
    assert_eq!(names, vec!["fake.a", "fake.d"]);
    let store = h.store();
    let graph = ResourceGraph::build(&config, store.state()).expect("graph");
    let err =
        Selection::resolve(&graph, &["fake.bb".into()], &[], false).expect_err("unknown target");
    assert!(err.to_string().contains("did you mean `fake.b`"), "{err}");
}

#[tokio::test]
async fn existing_unmanaged_objects_are_imported_not_recreated() {
    let h = h();
    h.fake.world().objects.insert(
        "a".into(),
        crate::provider::fake::FakeState {
            value: "old".into(),
            immutable: "i".into(),
            id: 42,
        },
    );
    let config = cfg(vec![fake("a", "new", &[])]);
    let plan = h.plan(&config).await;
    assert_eq!(actions(&plan), vec![("fake.a".into(), Action::Import)]);
    assert_eq!(plan.summary().import, 1);
    assert_eq!(plan.summary().change, 1);
    h.apply_plan(&config, &plan, 10).await;
    assert_eq!(h.fake.world().objects["a"].id, 42);
    assert!(h.fake.calls("create").is_empty());
}

#[tokio::test]
async fn a_server_that_is_not_there_yet_plans_as_create() {
    let h = h();
    h.fake.world().unavailable = true;
    let plan = h.plan(&cfg(vec![fake("a", "1", &[])])).await;
    assert_eq!(actions(&plan), vec![("fake.a".into(), Action::Create)]);
}

#[tokio::test]
async fn a_missing_tool_warns_once_in_plan_and_apply_refuses_its_branch_without_calling() {
    // a <- b (b needs a); c is independent.
    let h = h();
    h.fake.world().tool_missing = true;
    let config = cfg(vec![fake("a", "1", &[]), fake("b", "1", &["a"])]);
    let plan = h.plan(&config).await;
    assert_eq!(plan.blocked.len(), 1, "one warning for one reason");
    assert!(
        plan.blocked[0]
            .message
            .contains("`fakectl` is not installed")
    );
    assert_eq!(plan.blocked[0].addrs.len(), 2);
    let creates_before = h.fake.calls("create").len();
    let report = h.apply_plan(&config, &plan, 10).await;
    assert!(matches!(report.failed[0].2, ProviderError::Blocked { .. }));
    assert_eq!(
        h.fake.calls("create").len(),
        creates_before,
        "nothing was attempted"
    );
}

#[tokio::test]
async fn refresh_false_trusts_state() {
    let h = h();
    let config = cfg(vec![fake("a", "1", &[])]);
    h.apply(&config).await;
    h.fake.world().objects.clear();
    let reads_before = h.fake.calls("read").len();
    let engine = h.engine(&config);
    let ctx = engine.context(Mode::Plan, Duration::from_secs(300), Default::default());
    let request = PlanRequest {
        refresh: false,
        ..PlanRequest::default()
    };
    let plan = engine.plan(&ctx, &request).await.expect("plan");
    assert!(
        !plan.has_changes(),
        "the object is gone, but state says it is there"
    );
    assert_eq!(h.fake.calls("read").len(), reads_before, "nothing was read");
    drop(engine);
    assert!(
        h.plan(&config).await.has_changes(),
        "a refreshing plan sees it is gone"
    );
}

#[tokio::test]
async fn references_resolve_from_state_and_are_unknown_before() {
    let h = h();
    let mut b = fake("b", "x", &["a"]);
    b.spec = json!({"value": "${fake.a.id}", "immutable": "i"});
    let config = cfg(vec![fake("a", "1", &[]), b]);
    let plan = h.plan(&config).await;
    let change = plan
        .changes
        .iter()
        .find(|c| c.addr.to_string() == "fake.b")
        .expect("b");
    assert!(crate::plan::is_unknown(
        &change.after.as_ref().expect("after")["value"]
    ));
    h.apply_plan(&config, &plan, 10).await;
    let id = h.fake.world().objects["a"].id;
    assert_eq!(h.fake.world().objects["b"].value, id.to_string());
}

#[tokio::test]
async fn outputs_are_evaluated_after_apply() {
    let h = h();
    let mut config = cfg(vec![fake("a", "hello", &[])]);
    config.outputs = vec![
        crate::config::OutputDecl {
            name: "greeting".into(),
            value: "${fake.a.value} world".into(),
            sensitive: false,
            description: None,
        },
        crate::config::OutputDecl {
            name: "secret".into(),
            value: "${fake.a.id}".into(),
            sensitive: true,
            description: None,
        },
    ];
    h.apply(&config).await;
    let outputs = h.state().outputs;
    assert_eq!(outputs["greeting"].value, "hello world");
    assert!(outputs["secret"].sensitive);
}

#[test]
fn delete_edges_are_reversed() {
    let change = |name: &str, action, deps: &[&str]| ResourceChange {
        addr: format!("fake.{name}").parse().expect("addr"),
        action,
        before: None,
        after: None,
        spec: None,
        changes: vec![],
        reasons: vec![],
        sensitive: vec![],
        depends_on: deps
            .iter()
            .map(|d| format!("fake.{d}").parse().expect("addr"))
            .collect(),
    };
    let nodes = vec![
        change("a", Action::Delete, &[]),
        change("b", Action::Delete, &["a"]),
        change("c", Action::Create, &["x"]),
        change("d", Action::Create, &["c"]),
    ];
    let deps = ActionGraph::build(&nodes).waits_for;
    assert_eq!(
        deps[0],
        vec![1],
        "a is deleted after b, which depends on it"
    );
    assert!(deps[1].is_empty());
    assert_eq!(deps[3], vec![2]);
}

#[tokio::test]
async fn a_config_that_declares_nothing_cannot_delete_everything_unless_destroying() {
    let h = h();
    let config = cfg(vec![fake("a", "1", &[]), fake("b", "1", &["a"])]);
    h.apply(&config).await;
    // forge.yaml emptied (or pointed at the wrong file): the plan deletes both...
    let emptied = cfg(vec![]);
    let plan = h.plan(&emptied).await;
    assert_eq!(plan.summary().destroy, 2);
    // ...and apply refuses it, touching nothing.
    let engine = h.engine(&emptied);
    let ctx = engine.context(Mode::Apply, Duration::from_secs(300), Default::default());
    match engine.apply(&plan, ctx, 10, None).await {
        Err(Error::EmptiedConfig { deletes: 2, .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("an emptied config deleted everything"),
    }
    assert!(h.fake.calls("delete").is_empty());
    assert_eq!(h.state().resources.len(), 2);
    // `forge destroy` is how to delete everything.
    let destroy = h.plan_with(&emptied, true, &[], &[]).await;
    assert!(h.apply_plan(&emptied, &destroy, 10).await.complete());
    assert!(h.fake.world().objects.is_empty());
}
