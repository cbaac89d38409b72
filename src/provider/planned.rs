//! [`PlannedKind`]: a kind forge.yaml can declare whose provider is not in this version.
//! It plans as a create (its server cannot be read yet), shows its typed spec without
//! the connection block, and fails clearly in apply. [`NotYet`] is its engine side.

use std::marker::PhantomData;

use async_trait::async_trait;
use serde_json::Value;

use super::{Action, Ctx, DynResource, Kind, Observed, Planned, ProviderError};

/// A declared kind without a provider yet.
pub trait PlannedKind: Kind {
    /// The spec's field saying how to reach the server (endpoint, credentials): not part
    /// of the resource, so not shown in plans.
    const CONNECTION: Option<&'static str>;

    /// What can be checked already although the kind cannot be applied: that its
    /// connection exists (its error is said once per reason in the plan).
    fn preflight(_spec: &Self::Spec) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// The engine's view of a [`PlannedKind`].
pub(super) struct NotYet<K>(PhantomData<fn() -> K>);

impl<K> NotYet<K> {
    pub(super) fn new() -> Self {
        Self(PhantomData)
    }
}

#[async_trait]
impl<K: PlannedKind> DynResource for NotYet<K> {
    fn kind(&self) -> &'static str {
        K::KIND
    }
    fn sensitive(&self) -> &'static [&'static str] {
        &[]
    }
    async fn read(
        &self,
        _: &Ctx,
        _: &str,
        spec: &Value,
        prior: Option<&Value>,
    ) -> Result<Observed<Value>, ProviderError> {
        if let Ok(typed) = serde_json::from_value::<K::Spec>(spec.clone()) {
            K::preflight(&typed)?;
        }
        match prior {
            Some(p) => Ok(Observed::Present(p.clone())),
            // Said once per plan for all such resources (see `plan::refresh`).
            None => Err(ProviderError::NotImplemented {
                kind: K::KIND.to_string(),
            }),
        }
    }
    fn plan(&self, spec: &Value, current: Option<&Value>) -> Result<Planned, ProviderError> {
        // Decoding proves the spec has the kind's shape; what is shown is that spec.
        let typed: K::Spec =
            serde_json::from_value(spec.clone()).map_err(|source| ProviderError::Decode {
                kind: K::KIND.to_string(),
                what: "spec",
                source,
            })?;
        let mut after = serde_json::to_value(&typed).map_err(|source| ProviderError::Decode {
            kind: K::KIND.to_string(),
            what: "spec",
            source,
        })?;
        if let (Some(conn), Some(obj)) = (K::CONNECTION, after.as_object_mut()) {
            obj.remove(conn);
        }
        let action = if current.is_some() {
            Action::NoOp
        } else {
            Action::Create
        };
        Ok(Planned {
            action,
            after,
            reasons: vec![],
        })
    }
    async fn apply(
        &self,
        _: &Ctx,
        _: &str,
        _: &Value,
        _: Option<&Value>,
        _: Action,
    ) -> Result<Value, ProviderError> {
        Err(ProviderError::NotImplemented {
            kind: K::KIND.to_string(),
        })
    }
    async fn delete(&self, _: &Ctx, _: &str, _: &Value, _: &Value) -> Result<(), ProviderError> {
        Err(ProviderError::NotImplemented {
            kind: K::KIND.to_string(),
        })
    }
}
