//! [`FakeResource`]: an in-memory resource kind for engine tests, like Terraform's
//! `MockProvider`. It records every call, can be told to fail or to be slow, and tracks
//! how many calls run at once, so tests can check ordering, parallelism and recovery.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// What a fake resource is asked to be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FakeSpec {
    /// Can change in place.
    #[serde(default)]
    pub value: String,
    /// Changing it forces a replace.
    #[serde(default)]
    pub immutable: String,
}

/// What a fake resource is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FakeState {
    /// As in the spec.
    pub value: String,
    /// As in the spec.
    pub immutable: String,
    /// Assigned on create: proves whether a thing was re-created.
    pub id: u64,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `read`, `create`, `update`, `import` or `delete`.
    pub op: &'static str,
    /// Resource name.
    pub name: String,
}

/// The world the fake resources live in, shared with the test.
#[derive(Debug, Default)]
pub struct World {
    /// What exists.
    pub objects: BTreeMap<String, FakeState>,
    /// Every call, in order of start.
    pub calls: Vec<Call>,
    /// `(op, name)` pairs that fail.
    pub fail: BTreeSet<(String, String)>,
    /// How long a call on a name takes.
    pub delay: BTreeMap<String, Duration>,
    /// Calls running now.
    pub running: usize,
    /// Most calls ever running at once.
    pub max_running: usize,
    /// `read` reports the server as not there yet.
    pub unavailable: bool,
    /// The tool this kind needs is not installed: `read` and `apply` say so.
    pub tool_missing: bool,
    next_id: u64,
}

/// The fake kind. Clones share one [`World`].
#[derive(Debug, Clone, Default)]
pub struct FakeResource {
    world: Arc<Mutex<World>>,
}

impl FakeResource {
    /// A fake with an empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// The world, to arrange or inspect.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `op` on `name` fail.
    pub fn fail(&self, op: &str, name: &str) {
        self.world().fail.insert((op.to_string(), name.to_string()));
    }

    /// Makes calls on `name` take `d`.
    pub fn delay(&self, name: &str, d: Duration) {
        self.world().delay.insert(name.to_string(), d);
    }

    /// Names of calls with this op, in order.
    pub fn calls(&self, op: &str) -> Vec<String> {
        self.world()
            .calls
            .iter()
            .filter(|c| c.op == op)
            .map(|c| c.name.clone())
            .collect()
    }

    async fn enter(&self, op: &'static str, name: &str) -> Result<(), ProviderError> {
        let delay = {
            let mut w = self.world();
            w.calls.push(Call {
                op,
                name: name.to_string(),
            });
            w.running += 1;
            w.max_running = w.max_running.max(w.running);
            w.delay.get(name).copied()
        };
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let mut w = self.world();
        w.running -= 1;
        if w.fail.contains(&(op.to_string(), name.to_string())) {
            return Err(ProviderError::Api {
                operation: format!("{op} {name}"),
                status: Some(500),
                code: None,
                message: "injected failure".into(),
                hint: None,
            });
        }
        Ok(())
    }
}

impl Kind for FakeResource {
    const KIND: &'static str = "fake";
    type Spec = FakeSpec;
}

#[async_trait]
impl Resource for FakeResource {
    type State = FakeState;

    async fn read(
        &self,
        _: &Ctx,
        name: &str,
        _: &FakeSpec,
        _: Option<&FakeState>,
    ) -> Result<Observed<FakeState>, ProviderError> {
        self.world().calls.push(Call {
            op: "read",
            name: name.to_string(),
        });
        let w = self.world();
        if w.tool_missing {
            return Err(ProviderError::ToolMissing {
                tool: "fakectl".into(),
                hint: "install fakectl".into(),
            });
        }
        if w.unavailable {
            return Ok(Observed::Unavailable("fake server not started".into()));
        }
        Ok(w.objects
            .get(name)
            .cloned()
            .map(Observed::Present)
            .unwrap_or(Observed::Absent))
    }

    fn plan(&self, spec: &FakeSpec, current: Option<&FakeState>) -> Planned {
        let after = json!({"value": spec.value, "immutable": spec.immutable, "id": "${unknown}"});
        match current {
            None => Planned {
                action: Action::Create,
                after,
                reasons: vec![],
            },
            Some(c) if c.immutable != spec.immutable => Planned {
                action: Action::Replace,
                after,
                reasons: vec!["`immutable` cannot be changed in place".into()],
            },
            Some(c) if c.value != spec.value => Planned {
                action: Action::Update,
                after: json!({"value": spec.value, "immutable": spec.immutable, "id": c.id}),
                reasons: vec![],
            },
            Some(c) => Planned {
                action: Action::NoOp,
                after: json!(c),
                reasons: vec![],
            },
        }
    }

    async fn apply(
        &self,
        _: &Ctx,
        name: &str,
        spec: &FakeSpec,
        current: Option<&FakeState>,
        action: Action,
    ) -> Result<FakeState, ProviderError> {
        let op = match (action, current) {
            (Action::Update, _) => "update",
            (Action::Import, _) => "import",
            _ => "create",
        };
        if self.world().tool_missing {
            return Err(ProviderError::ToolMissing {
                tool: "fakectl".into(),
                hint: "install fakectl".into(),
            });
        }
        self.enter(op, name).await?;
        let mut w = self.world();
        if let Some(existing) = w.objects.get(name).cloned() {
            // Converge: adopt what an interrupted run created instead of duplicating it.
            let state = FakeState {
                value: spec.value.clone(),
                immutable: existing.immutable,
                id: existing.id,
            };
            w.objects.insert(name.to_string(), state.clone());
            return Ok(state);
        }
        w.next_id += 1;
        let state = FakeState {
            value: spec.value.clone(),
            immutable: spec.immutable.clone(),
            id: w.next_id,
        };
        w.objects.insert(name.to_string(), state.clone());
        Ok(state)
    }

    async fn delete(
        &self,
        _: &Ctx,
        name: &str,
        _: &FakeSpec,
        _: &FakeState,
    ) -> Result<(), ProviderError> {
        self.enter("delete", name).await?;
        self.world().objects.remove(name);
        Ok(())
    }
}
