//! Expansion: the checked forge.yaml model ([`Config`]) becomes resource declarations
//! ([`Declared`]): one address, one typed spec and the dependencies of each resource.
//!
//! forge.yaml's sections are sugar: a catalog declares its bucket and its Polaris
//! catalog, a principal its role assignments, an L2C target a whole chain of AWS and
//! Snowflake objects. Each section has a file here; [`Expander::run`] calls them in the
//! order their outputs are needed (like the steps of Terraform's graph builders). Every
//! declaration is typed: `x.declare::<S3Bucket>(name, BucketSpec { .. }, span, deps)`,
//! with the kind's name taken from [`Kind::KIND`] and each dependency a typed [`Addr`].
//! Specs hold secret *references* and `${kind.name.attr}` placeholders, never secret
//! values. Nothing here does I/O.

mod buckets;
mod catalog;
pub use catalog::{catalog_stores, polaris_connection};
mod cluster;
mod files;
mod l2c;
mod stack;
mod stores;
mod validate;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::addr::ResourceAddr;
use crate::config::model::SecretRef;
use crate::config::tree::{Node, PathSeg, Span, Value};
use crate::config::{
    self, Config, Env, Located, OutputDecl, Problem, ProblemKind, Problems, defaults as d,
};
use crate::provider::Kind;
use crate::providers::aws::StoreSpec;
use crate::providers::kube::client::ClusterRef;
use crate::secret::SecretSpec;
use crate::template::{self, Placeholder};

/// A dependency of one resource on another, and where the user wrote it (`None` when
/// forge.yaml implies it, e.g. a catalog on its bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// The resource depended on.
    pub target: ResourceAddr,
    /// Where it was written, if it was.
    pub span: Option<Span>,
}

/// The typed address of a resource of kind `K`: built from `K::KIND`, so no kind name
/// is written outside its own module.
pub struct Addr<K> {
    addr: ResourceAddr,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Addr<K> {
    fn clone(&self) -> Self {
        Self {
            addr: self.addr.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> std::fmt::Debug for Addr<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

impl<K: Kind> Addr<K> {
    /// The address of `K` named `name`, if `name` is a valid resource name.
    pub fn new(name: &str) -> Result<Self, crate::addr::AddrError> {
        Ok(Self {
            addr: ResourceAddr::new(K::KIND, name)?,
            kind: PhantomData,
        })
    }

    /// The address of one of forge's own resources, whose name is a constant.
    pub fn fixed(name: &'static str) -> Self {
        Self::new(name).expect("forge's own resource names are valid")
    }

    /// A dependency on it, not written by the user.
    pub fn dep(&self) -> Dep {
        Dep {
            target: self.addr.clone(),
            span: None,
        }
    }

    /// A dependency on it, written by the user at `span`.
    pub fn dep_at(&self, span: Span) -> Dep {
        Dep {
            target: self.addr.clone(),
            span: Some(span),
        }
    }

    /// `${kind.name.attr}`: the value of its attribute `attr`, known after it is applied.
    pub fn attr(&self, attr: &str) -> String {
        format!("${{{}.{attr}}}", self.addr)
    }
}

/// One resource forge.yaml declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDecl {
    /// Its address.
    pub addr: ResourceAddr,
    /// The spec its provider gets (the kind's spec type, as JSON).
    pub spec: Json,
    /// What it depends on.
    pub deps: Vec<Dep>,
    /// Where it is declared.
    pub span: Span,
}

/// What forge.yaml declares: the resources, in declaration order, and the outputs.
#[derive(Debug, Clone)]
pub struct Declared {
    /// The file it comes from.
    pub config: Arc<Config>,
    /// The resources, in declaration order.
    pub resources: Vec<ResourceDecl>,
    /// The outputs.
    pub outputs: Vec<OutputDecl>,
    /// Digest of everything that determines a plan (resolved specs, dependencies, outputs).
    pub digest: String,
}

impl Declared {
    /// A resource declaration by address.
    pub fn resource(&self, addr: &ResourceAddr) -> Option<&ResourceDecl> {
        self.resources.iter().find(|r| &r.addr == addr)
    }

    /// Problems found after expansion (e.g. a dependency cycle), as diagnostics of the file.
    pub fn problems(&self, problems: Vec<Problem>) -> Problems {
        self.config.problems(problems)
    }

    /// The work directory.
    pub fn work_dir(&self) -> &Path {
        &self.config.work_dir
    }

    /// Declarations made by hand, for engine tests and tools.
    #[doc(hidden)]
    pub fn synthetic(resources: Vec<ResourceDecl>) -> Self {
        let digest = digest(&resources, &[]);
        Declared {
            config: Arc::new(Config::synthetic()),
            resources,
            outputs: vec![],
            digest,
        }
    }
}

/// Reads forge.yaml, checks it and expands it: every problem of both stages is
/// reported at once.
pub fn load(path: &Path, work_dir: &Path, env: &dyn Env) -> Result<Declared, config::Error> {
    expand(config::load(path, work_dir, env)?)
}

/// Expands a parsed forge.yaml. The problems the parser found are reported together
/// with the ones found here, so the user sees all of them in one run.
pub fn expand(config: Config) -> Result<Declared, config::Error> {
    let out = Expander::new(&config).run();
    let mut problems = config.problems.clone();
    problems.extend(out.problems);
    let mut resources = out.resources;
    let out = Expansion {
        not_addresses: out.not_addresses,
        ..Expansion::default()
    };
    let refs = ref_spans(&config.tree);
    problems.extend(validate::check(
        &mut resources,
        &out.not_addresses,
        &config.outputs,
        &refs,
        &config.pruned,
    ));
    // One mistake can surface through several resources (a catalog declares a bucket too).
    let mut seen_spans = std::collections::BTreeSet::new();
    problems.retain(|p| {
        p.kind != ProblemKind::DuplicateName || seen_spans.insert(p.span.map(|s| s.start))
    });
    if !problems.is_empty() {
        return Err(config::Error::Invalid(Box::new(config.problems(problems))));
    }
    let outputs = config.outputs.clone();
    let digest = digest(&resources, &outputs);
    Ok(Declared {
        config: Arc::new(config),
        resources,
        outputs,
        digest,
    })
}

/// Which of Polaris's name rules applies.
#[derive(Debug, Clone, Copy)]
enum NameRule {
    /// Catalogs, principals and roles (the management API's spec).
    Management,
    /// Tables and views (`EntityNameValidator`).
    Entity,
    /// A dotted namespace (`EntityNameValidator` on each level).
    Namespace,
}

/// What expansion produced: declarations and the problems found on the way.
#[derive(Debug, Default)]
struct Expansion {
    resources: Vec<ResourceDecl>,
    problems: Vec<Problem>,
    not_addresses: Vec<validate::NotAnAddress>,
}

/// Walks the model section by section, declaring resources.
pub(crate) struct Expander<'a> {
    file: &'a config::ForgeFile,
    tree: &'a Node,
    work_dir: &'a Path,
    home: &'a Path,
    names: &'a config::naming::NameParts,
    out: Expansion,
    /// The cluster resource, once declared: everything on the cluster depends on it.
    cluster: Option<Dep>,
    /// How Kubernetes resources reach the cluster.
    cluster_ref: ClusterRef,
    /// The named S3 stores, with the resource each depends on (RustFS for `local`).
    stores: BTreeMap<String, (StoreSpec, Option<Dep>)>,
}

impl<'a> Expander<'a> {
    fn new(config: &'a Config) -> Self {
        Self {
            file: &config.file,
            tree: &config.tree,
            work_dir: &config.work_dir,
            home: &config.home,
            names: &config.names,
            out: Expansion::default(),
            cluster: None,
            cluster_ref: ClusterRef::default(),
            stores: BTreeMap::new(),
        }
    }

    /// The steps, in order:
    /// 1. the cluster first: the stack's manifests name it and depend on it;
    /// 2. the stack, which declares RustFS (the `local` store depends on it) and Polaris
    ///    (the catalog's connection depends on it);
    /// 3. the stores, which need the stack's RustFS and the L2C account;
    /// 4. the catalog, whose buckets live on those stores;
    /// 5. L2C, which copies the catalog's tables and names its catalogs;
    /// 6. the plain buckets and files, which may depend on anything above.
    fn run(mut self) -> Expansion {
        self.cluster();
        self.stack();
        self.stores();
        self.catalog();
        self.l2c();
        self.buckets();
        self.files();
        self.out
    }

    /// Declares a resource of kind `K`. An invalid name is reported at `span` and
    /// nothing is declared.
    fn declare<K: Kind>(
        &mut self,
        name: &str,
        spec: K::Spec,
        span: Span,
        deps: Vec<Dep>,
    ) -> Option<Addr<K>> {
        match Addr::<K>::new(name) {
            Ok(addr) => {
                let spec = serde_json::to_value(&spec)
                    .expect("specs are plain data and always serialize to JSON");
                self.out.resources.push(ResourceDecl {
                    addr: addr.addr.clone(),
                    spec,
                    deps,
                    span,
                });
                Some(addr)
            }
            Err(e) => {
                self.problem(
                    Problem::new(
                        ProblemKind::InvalidValue,
                        e.to_string(),
                        Some(span),
                        "not usable as a resource name",
                    )
                    .with_help("names may use letters, digits and `_ - . /`"),
                );
                None
            }
        }
    }

    /// A dependency on the `K` named `name` that the user wrote at `span`. A name no
    /// resource can have is reported there.
    fn dep_on<K: Kind>(&mut self, name: &str, span: Span) -> Option<Dep> {
        match Addr::<K>::new(name) {
            Ok(a) => Some(a.dep_at(span)),
            Err(e) => {
                self.problem(
                    Problem::new(
                        ProblemKind::DanglingReference,
                        e.to_string(),
                        Some(span),
                        format!("no `{}` can have this name", K::KIND),
                    )
                    .with_help("names may use letters, digits and `_ - . /`"),
                );
                None
            }
        }
    }

    /// Dependencies the user wrote as `kind.name` strings (`depends_on:`) for the `K`
    /// named `name`. Text that is not an address is reported by [`validate`] as a
    /// reference to nothing.
    fn user_deps<K: Kind>(&mut self, name: &str, written: &[Located<String>]) -> Vec<Dep> {
        let mut deps = Vec::new();
        for d in written {
            match d.value.parse::<ResourceAddr>() {
                Ok(target) => deps.push(Dep {
                    target,
                    span: Some(d.span),
                }),
                Err(_) => self.out.not_addresses.push(validate::NotAnAddress {
                    text: d.value.clone(),
                    span: d.span,
                    from: format!("{}.{name}", K::KIND),
                }),
            }
        }
        deps
    }

    fn problem(&mut self, p: Problem) {
        self.out.problems.push(p);
    }

    /// Checks a Polaris entity name by the rules Polaris 1.7 applies to `what` (see
    /// [`crate::providers::polaris::names`]); a refused name is reported at `span`.
    fn polaris_name(&mut self, rule: NameRule, what: &str, name: &str, span: Span) {
        use crate::providers::polaris::names;
        let (checked, help) = match rule {
            NameRule::Management => (
                names::check_management_name(name),
                "catalog, principal and role names are 1 to 256 characters on one line, not starting with `system$`",
            ),
            NameRule::Entity => (
                names::check_entity_name(name),
                "Polaris 1.7 refuses `/ \\ : * ? \" < > | # +` and backticks, control characters, `.` and `..`, and leading or trailing whitespace in namespace, table and view names",
            ),
            NameRule::Namespace => (
                names::check_namespace(name),
                "namespace levels are separated by `.`; Polaris 1.7 refuses `/ \\ : * ? \" < > | # +` and backticks, control characters, empty levels and leading or trailing whitespace in each level",
            ),
        };
        if let Err(why) = checked {
            self.problem(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("`{name}` is not a valid Polaris {what} name: {why}"),
                    Some(span),
                    "Polaris would refuse this name",
                )
                .with_help(help),
            );
        }
    }

    /// The span of the key at `path` (e.g. `["stack", "polaris"]`), for problems about a section.
    fn key_span(&self, path: &[&str]) -> Option<Span> {
        let (last, parent) = path.split_last()?;
        let segs: Vec<PathSeg> = parent.iter().map(|k| PathSeg::Key(k.to_string())).collect();
        let node = self.tree.at_path(&segs)?;
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(last))
                .map(|(k, _)| k.span),
            _ => None,
        }
    }

    /// `p` resolved against the work dir.
    fn path(&self, p: &str) -> PathBuf {
        self.work_dir.join(p)
    }

    /// The host ports of the stack: the k3d cluster's, else the defaults.
    fn ports(&self) -> (u16, u16, u16) {
        match &self.file.cluster {
            Some(config::model::Cluster::K3d(k)) => (
                k.ports.s3.unwrap_or(d::S3_PORT),
                k.ports.console.unwrap_or(d::CONSOLE_PORT),
                k.ports.polaris.unwrap_or(d::POLARIS_PORT),
            ),
            _ => (d::S3_PORT, d::CONSOLE_PORT, d::POLARIS_PORT),
        }
    }

    /// The Polaris realm: `stack.polaris.realm`, else the default.
    fn realm(&self) -> String {
        self.file
            .stack
            .as_ref()
            .and_then(|s| s.polaris.as_ref())
            .and_then(|p| p.realm.clone())
            .unwrap_or_else(|| d::REALM.into())
    }

    /// A secret reference as specs hold it: files resolved against the work dir,
    /// generated secrets keyed by `key` (their place in forge.yaml) and generated when
    /// nothing is given.
    fn secret(&self, r: &Option<SecretRef>, key: &str) -> SecretSpec {
        match r {
            Some(SecretRef::Env(n)) => SecretSpec::Env(n.clone()),
            Some(SecretRef::File(p)) => SecretSpec::File(self.work_dir.join(p)),
            Some(SecretRef::Generate(g)) => SecretSpec::Generate {
                key: key.into(),
                length: g.length.unwrap_or(d::SECRET_LENGTH),
            },
            None => SecretSpec::Generate {
                key: key.into(),
                length: d::SECRET_LENGTH,
            },
        }
    }

    /// The cluster dependency for a stack service; without a cluster, a problem at the
    /// service's key.
    fn needs_cluster(&mut self, what: &str) -> Vec<Dep> {
        match &self.cluster {
            Some(c) => vec![c.clone()],
            None => {
                let span = self.key_span(&["stack", what]);
                self.problem(
                    Problem::new(ProblemKind::MissingField, format!("`stack.{what}` needs a cluster to run on"), span, "declared here, with no `cluster:`")
                        .with_help("add a `cluster:` section (`k3d:` for a local cluster, `existing:` for a kubeconfig context)"),
                );
                vec![]
            }
        }
    }
}

fn digest(resources: &[ResourceDecl], outputs: &[OutputDecl]) -> String {
    let mut h = Sha256::new();
    for r in resources {
        h.update(r.addr.to_string());
        h.update(r.spec.to_string());
        for d in &r.deps {
            h.update(d.target.to_string());
        }
    }
    h.update(serde_json::to_string(outputs).expect("outputs are plain strings"));
    hex::encode(h.finalize())
}

/// Where each `${kind.name.attr}` reference is written, by address text.
fn ref_spans(root: &Node) -> BTreeMap<String, Span> {
    let mut out = BTreeMap::new();
    root.walk_strings(&mut |s, span| {
        for f in template::scan(s) {
            if let Placeholder::Ref { addr, .. } = f.placeholder {
                out.entry(addr).or_insert(span);
            }
        }
    });
    out
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
