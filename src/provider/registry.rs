//! The [`Registry`]: resource kinds by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Action, Ctx, DynResource, Observed, Planned, ProviderError};

/// Every resource kind forge knows, by kind name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn DynResource>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a kind (replacing one of the same name).
    pub fn register(&mut self, resource: impl DynResource + 'static) -> &mut Self {
        self.kinds.insert(resource.kind(), Arc::new(resource));
        self
    }

    /// Adds a kind that forge.yaml can declare but this version cannot apply yet. It
    /// plans as a create (its server cannot exist yet) and fails clearly on apply.
    pub fn register_planned(&mut self, kind: &'static str) -> &mut Self {
        self.kinds.insert(kind, Arc::new(NotYet { kind }));
        self
    }

    /// The kind's provider.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn DynResource>> {
        self.kinds.get(kind).cloned()
    }

    /// Names of all kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds.keys()).finish()
    }
}

/// A kind without a provider in this version.
struct NotYet {
    kind: &'static str,
}

#[async_trait]
impl DynResource for NotYet {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn sensitive(&self) -> &'static [&'static str] {
        &[]
    }
    async fn read(
        &self,
        _: &Ctx,
        _: &str,
        _: &Value,
        prior: Option<&Value>,
    ) -> Result<Observed<Value>, ProviderError> {
        Ok(match prior {
            Some(p) => Observed::Present(p.clone()),
            None => Observed::Unavailable(format!(
                "this version of forge cannot read `{}` yet",
                self.kind
            )),
        })
    }
    fn plan(&self, spec: &Value, current: Option<&Value>) -> Result<Planned, ProviderError> {
        let action = if current.is_some() {
            Action::NoOp
        } else {
            Action::Create
        };
        // Connection blocks (endpoint and credentials of the server) are not part of the
        // resource itself; leave them out of what the plan shows.
        let mut after = json!(spec);
        if let Some(obj) = after.as_object_mut() {
            for key in ["polaris", "snowflake", "aws"] {
                obj.remove(key);
            }
        }
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
            kind: self.kind.to_string(),
        })
    }
    async fn delete(&self, _: &Ctx, _: &str, _: &Value, _: &Value) -> Result<(), ProviderError> {
        Err(ProviderError::NotImplemented {
            kind: self.kind.to_string(),
        })
    }
}
