//! The named S3 stores buckets can live on: `local` (the stack's RustFS, reached on its
//! host port, depending on its manifest), `aws` (the L2C account, through the default
//! credential chain) and those declared under `stores:`. Each is a [`StoreSpec`]: its
//! endpoint and how to authenticate, credentials given explicitly per store.

use super::{Addr, Dep, Expander};
use crate::config::defaults as d;
use crate::config::tree::Span;
use crate::config::{Located, Problem, ProblemKind, did_you_mean};
use crate::providers::aws::StoreSpec;
use crate::providers::kube::manifest::KubeManifest;

impl Expander<'_> {
    pub(super) fn stores(&mut self) {
        let (s3, ..) = self.ports();
        if let Some(r) = self.file.stack.as_ref().and_then(|s| s.rustfs.as_ref()) {
            let store = StoreSpec {
                endpoint: Some(format!("http://localhost:{s3}")),
                region: Some(d::REGION.into()),
                path_style: Some(true),
                profile: None,
                access_key: Some(self.secret(&r.access_key, "stack.rustfs.access_key")),
                secret_key: Some(self.secret(&r.secret_key, "stack.rustfs.secret_key")),
            };
            let rustfs = Addr::<KubeManifest>::fixed("rustfs").dep();
            self.stores.insert("local".into(), (store, Some(rustfs)));
        }
        if let Some(l2c) = &self.file.l2c {
            let store = StoreSpec {
                endpoint: l2c.aws.endpoint.clone(),
                region: l2c.aws.region.clone(),
                path_style: Some(l2c.aws.endpoint.is_some()),
                profile: l2c.aws.profile.clone(),
                access_key: None,
                secret_key: None,
            };
            self.stores.insert("aws".into(), (store, None));
        }
        for s in &self.file.stores {
            let store = StoreSpec {
                endpoint: s.endpoint.clone(),
                region: s.region.clone(),
                path_style: Some(s.path_style.unwrap_or(s.endpoint.is_some())),
                profile: s.profile.clone(),
                access_key: s
                    .access_key
                    .as_ref()
                    .map(|r| self.secret(&Some(r.clone()), "")),
                secret_key: s
                    .secret_key
                    .as_ref()
                    .map(|r| self.secret(&Some(r.clone()), "")),
            };
            self.stores.insert(s.name.value.clone(), (store, None));
        }
    }

    /// The store named `name` (or `default` when none is written, reported at `user`),
    /// with what it depends on. An unknown store is reported with the known ones.
    pub(super) fn store(
        &mut self,
        name: Option<&Located<String>>,
        default: &str,
        user: Option<Span>,
    ) -> Option<(StoreSpec, Option<Dep>)> {
        let (value, span) = match name {
            Some(n) => (n.value.as_str(), Some(n.span)),
            None => (default, user),
        };
        if let Some(found) = self.stores.get(value) {
            return Some(found.clone());
        }
        let known: Vec<&str> = self.stores.keys().map(String::as_str).collect();
        let help = match value {
            "local" => "`local` is the stack's RustFS: add `stack: {rustfs: {}}`, or declare a store named `local` under `stores:`".to_string(),
            "aws" => "`aws` is the L2C account: add an `l2c:` section, or declare a store named `aws` under `stores:`".to_string(),
            _ => match did_you_mean(value, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it under `stores:` (known stores: {})",
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                ),
            },
        };
        let label = if name.is_some() {
            "no store with this name"
        } else {
            "uses the default store"
        };
        let value = value.to_string();
        self.problem(
            Problem::new(
                ProblemKind::DanglingReference,
                format!("store `{value}` is not defined"),
                span,
                label,
            )
            .with_help(help),
        );
        None
    }
}
