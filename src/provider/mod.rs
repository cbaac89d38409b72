//! The provider boundary: [`Kind`] (a kind's name and its typed spec, what forge.yaml
//! declares), one typed trait ([`Resource`]) that each implemented kind adds, an erased
//! twin ([`DynResource`]) the engine holds, and the [`Registry`] of kinds.
//!
//! `read` and `apply`/`delete` do the I/O; `plan` is pure, so every diff rule can be
//! unit-tested without a server. Specs and states cross the boundary as JSON, so the
//! engine never names an SDK type. A kind that forge.yaml can declare but this version
//! cannot apply yet is a [`PlannedKind`]: its spec is typed all the same, so what
//! `forge plan` shows for it is checked by the compiler.

pub mod conformance;
mod error;
pub mod fake;
mod planned;
mod registry;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use error::{Cause, ProviderError};
pub use planned::PlannedKind;
pub use registry::Registry;

use crate::secret::Secrets;

/// What every provider call may use: secrets, the work directory, time limits and the stop signal.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Secret values, read on demand.
    pub secrets: Secrets,
    /// The work directory.
    pub work_dir: PathBuf,
    /// Upper bound for any single wait on the outside world.
    pub timeout: Duration,
    /// Set when the user asked to stop (Ctrl-C); long waits should give up early.
    pub cancel: CancellationToken,
}

impl Ctx {
    /// A context for tests and tools.
    pub fn new(work_dir: PathBuf, secrets: Secrets) -> Self {
        Self {
            secrets,
            work_dir,
            timeout: Duration::from_secs(300),
            cancel: CancellationToken::new(),
        }
    }
}

/// What `read` found.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<S> {
    /// It exists; this is what it looks like.
    Present(S),
    /// It does not exist.
    Absent,
    /// It cannot exist yet (its cluster or server is not there); planned as absent.
    Unavailable(String),
}

/// What `apply` should do for one resource. Rendered as `+`, `~`, `-/+`, `-`, `<=`, `<-`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do.
    NoOp,
    /// Create it.
    Create,
    /// Read it only (an existing thing forge uses but does not manage).
    Read,
    /// Change it in place.
    Update,
    /// Delete it and create it again.
    Replace,
    /// Delete it.
    Delete,
    /// It exists but forge has no record of it: take it into state (and update it if it differs).
    Import,
}

impl Action {
    /// The symbol shown in plans.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Import => "<-",
        }
    }

    /// Whether apply has work to do.
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

/// What a provider's `plan` decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The action.
    pub action: Action,
    /// What the resource's state should look like afterwards (for the diff shown to the user).
    pub after: Value,
    /// Why a replace is needed (one line per immutable attribute that changed).
    pub reasons: Vec<String>,
}

/// A kind of thing forge.yaml can declare: its name and the spec it is declared with.
/// The expansion stage builds specs of this type (`declare::<K>(name, K::Spec { .. })`),
/// and the kind's name is written only here, in its own module.
pub trait Kind: Send + Sync + 'static {
    /// The kind, e.g. `"s3_bucket"`: the first part of the address.
    const KIND: &'static str;
    /// What forge.yaml asks for (after expansion), with secret references, never values,
    /// and `${kind.name.attr}` placeholders where a value comes from another resource.
    /// Plain data without SDK types.
    type Spec: DeserializeOwned + Serialize + Send + Sync;
}

/// One kind of thing forge manages (an S3 bucket, a Polaris catalog, a k3d cluster).
#[async_trait]
pub trait Resource: Kind {
    /// What `read` observes and the state file keeps.
    type State: DeserializeOwned + Serialize + Send + Sync;

    /// Top-level attributes of the state that are secret: shown as `(sensitive)`.
    fn sensitive(&self) -> &'static [&'static str] {
        &[]
    }

    /// Looks at the real world. `Absent` is not an error, and neither is a server that
    /// is not there yet (`Unavailable`). `prior` is what the state file remembers.
    async fn read(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Self::Spec,
        prior: Option<&Self::State>,
    ) -> Result<Observed<Self::State>, ProviderError>;

    /// Decides what apply would do. Pure: no I/O. `current` is `None` when it does not exist.
    fn plan(&self, spec: &Self::Spec, current: Option<&Self::State>) -> Planned;

    /// What the user should know about this resource beyond its action, shown as plan
    /// warnings (e.g. an imported principal whose secret forge cannot know). Pure.
    fn warnings(&self, _spec: &Self::Spec, _current: Option<&Self::State>) -> Vec<String> {
        vec![]
    }

    /// Whether this kind carries out a `Replace` itself, in one `apply` call with
    /// `Action::Replace` (a principal rotates its credentials), instead of the engine
    /// deleting it and creating it again.
    fn replaces_in_place(&self) -> bool {
        false
    }

    /// Carries out a Create, Update or Import and returns what is there afterwards.
    /// Must converge: a create that finds the thing already there (an earlier run was
    /// interrupted after creating it) adopts it instead of failing or duplicating it.
    async fn apply(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Self::Spec,
        current: Option<&Self::State>,
        action: Action,
    ) -> Result<Self::State, ProviderError>;

    /// Removes it. Deleting something already gone is `Ok`.
    async fn delete(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Self::Spec,
        state: &Self::State,
    ) -> Result<(), ProviderError>;
}

/// [`Resource`] with specs and states as JSON: what the engine holds.
#[async_trait]
pub trait DynResource: Send + Sync {
    /// The kind.
    fn kind(&self) -> &'static str;
    /// Secret attributes.
    fn sensitive(&self) -> &'static [&'static str];
    /// See [`Resource::read`].
    async fn read(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        prior: Option<&Value>,
    ) -> Result<Observed<Value>, ProviderError>;
    /// See [`Resource::plan`].
    fn plan(&self, spec: &Value, current: Option<&Value>) -> Result<Planned, ProviderError>;
    /// See [`Resource::warnings`].
    fn warnings(&self, _spec: &Value, _current: Option<&Value>) -> Vec<String> {
        vec![]
    }
    /// See [`Resource::replaces_in_place`].
    fn replaces_in_place(&self) -> bool {
        false
    }
    /// See [`Resource::apply`].
    async fn apply(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        current: Option<&Value>,
        action: Action,
    ) -> Result<Value, ProviderError>;
    /// See [`Resource::delete`].
    async fn delete(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        state: &Value,
    ) -> Result<(), ProviderError>;
}

fn from_json<T: DeserializeOwned>(
    kind: &str,
    what: &'static str,
    v: &Value,
) -> Result<T, ProviderError> {
    serde_json::from_value(v.clone()).map_err(|source| ProviderError::Decode {
        kind: kind.to_string(),
        what,
        source,
    })
}

fn to_json<T: Serialize>(kind: &str, v: &T) -> Result<Value, ProviderError> {
    serde_json::to_value(v).map_err(|source| ProviderError::Decode {
        kind: kind.to_string(),
        what: "state",
        source,
    })
}

#[async_trait]
impl<R: Resource> DynResource for R {
    fn kind(&self) -> &'static str {
        R::KIND
    }
    fn sensitive(&self) -> &'static [&'static str] {
        Resource::sensitive(self)
    }
    async fn read(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        prior: Option<&Value>,
    ) -> Result<Observed<Value>, ProviderError> {
        let spec: R::Spec = from_json(R::KIND, "spec", spec)?;
        // A prior state written by an older forge may not decode; treat it as unknown.
        let prior: Option<R::State> = prior.and_then(|p| serde_json::from_value(p.clone()).ok());
        Ok(
            match Resource::read(self, ctx, name, &spec, prior.as_ref()).await? {
                Observed::Present(s) => Observed::Present(to_json(R::KIND, &s)?),
                Observed::Absent => Observed::Absent,
                Observed::Unavailable(why) => Observed::Unavailable(why),
            },
        )
    }
    fn plan(&self, spec: &Value, current: Option<&Value>) -> Result<Planned, ProviderError> {
        let spec: R::Spec = from_json(R::KIND, "spec", spec)?;
        let current: Option<R::State> = current
            .map(|c| from_json(R::KIND, "state", c))
            .transpose()?;
        Ok(Resource::plan(self, &spec, current.as_ref()))
    }
    fn warnings(&self, spec: &Value, current: Option<&Value>) -> Vec<String> {
        let Ok(spec) = serde_json::from_value::<R::Spec>(spec.clone()) else {
            return vec![];
        };
        let current: Option<R::State> =
            current.and_then(|c| serde_json::from_value(c.clone()).ok());
        Resource::warnings(self, &spec, current.as_ref())
    }
    fn replaces_in_place(&self) -> bool {
        Resource::replaces_in_place(self)
    }
    async fn apply(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        current: Option<&Value>,
        action: Action,
    ) -> Result<Value, ProviderError> {
        let spec: R::Spec = from_json(R::KIND, "spec", spec)?;
        let current: Option<R::State> =
            current.and_then(|c| serde_json::from_value(c.clone()).ok());
        to_json(
            R::KIND,
            &Resource::apply(self, ctx, name, &spec, current.as_ref(), action).await?,
        )
    }
    async fn delete(
        &self,
        ctx: &Ctx,
        name: &str,
        spec: &Value,
        state: &Value,
    ) -> Result<(), ProviderError> {
        let spec: R::Spec = from_json(R::KIND, "spec", spec)?;
        let state: R::State = from_json(R::KIND, "state", state)?;
        Resource::delete(self, ctx, name, &spec, &state).await
    }
}
