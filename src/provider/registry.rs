//! The [`Registry`]: resource kinds by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::DynResource;
use super::planned::{NotYet, PlannedKind};

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
    pub fn register_planned<K: PlannedKind>(&mut self) -> &mut Self {
        self.kinds.insert(K::KIND, Arc::new(NotYet::<K>::new()));
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
