//! `backend:`: where the state lives (this work dir, an S3 bucket, a Kubernetes Secret)
//! and whether it is encrypted at rest. Left out, the state is `.forge/state.json`
//! in the work dir, unencrypted, as before backends existed.

use schemars::JsonSchema;
use serde::Deserialize;

use super::SecretRef;
use crate::config::Located;

/// Where the state lives. At most one of `local`, `s3` and `kubernetes`; none is `local`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// A file on this machine (the default: `.forge/state.json` in the work dir).
    #[serde(default)]
    pub local: Option<Located<LocalBackend>>,
    /// An object in an S3 bucket (AWS or an S3-compatible store), locked with a lock
    /// object written by conditional writes.
    #[serde(default)]
    pub s3: Option<Located<S3Backend>>,
    /// A Secret in a Kubernetes namespace, locked with a `coordination.k8s.io` Lease.
    #[serde(default)]
    pub kubernetes: Option<Located<KubernetesBackend>>,
    /// Encrypt the state at rest with a passphrase (all backends).
    #[serde(default)]
    pub encryption: Option<Encryption>,
}

/// A state file on this machine.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalBackend {
    /// The state file, relative to the work dir (default `.forge/state.json`). Its lock
    /// is `<path>.lock` beside it.
    #[serde(default)]
    pub path: Option<String>,
}

/// State in an S3 object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Backend {
    /// The bucket (it must exist; forge does not create it).
    pub bucket: String,
    /// The object key of the state, e.g. `lakehouse/forge.state.json`. The lock is
    /// `<key>.lock` and, where the bucket has no versioning, the previous version `<key>.backup`.
    pub key: String,
    /// Region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint URL of an S3-compatible store; leave out for AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Path-style addressing (default: on when `endpoint` is given).
    #[serde(default)]
    pub path_style: Option<bool>,
    /// AWS profile from `~/.aws/config`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Access key id by reference; leave out for the default credential chain.
    #[serde(default)]
    pub access_key: Option<SecretRef>,
    /// Secret access key by reference.
    #[serde(default)]
    pub secret_key: Option<SecretRef>,
    /// Seconds a lock stays valid without a heartbeat (default 30); the holder renews it
    /// every third of that. A lock older than this is reported as stale.
    #[serde(default)]
    pub lease_seconds: Option<u32>,
    /// Run even when the store ignores conditional writes (`If-None-Match`, `If-Match`),
    /// i.e. with a lock that two runs starting at the same moment can both take. Off by
    /// default: forge then refuses to run on such a store.
    #[serde(default)]
    pub allow_unsafe_locking: bool,
}

/// State in a Kubernetes Secret.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesBackend {
    /// The kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`), relative to the work dir.
    #[serde(default)]
    pub kubeconfig: Option<String>,
    /// The context (default: the kubeconfig's current context).
    #[serde(default)]
    pub context: Option<String>,
    /// The namespace holding the Secret and the Lease (default `default`); it must exist.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Suffix of the Secret `forge-state-<name>` and the Lease `forge-lock-<name>`
    /// (default: the project name).
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds the Lease stays valid without renewal (default 30); renewed every third of that.
    #[serde(default)]
    pub lease_seconds: Option<u32>,
}

/// Encryption at rest: XChaCha20-Poly1305 with a key derived from a passphrase by Argon2id.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// The passphrase, by reference (`{env: NAME}` or `{file: PATH}`), never written here.
    pub passphrase: SecretRef,
}

impl Backend {
    /// What is wrong with this section that its types cannot say: two backends at once,
    /// a generated secret (the state that would keep it is what it unlocks), a lease too
    /// short to renew. `at` is where `backend:` is written.
    pub fn problems(&self, at: Option<crate::config::Span>) -> Vec<crate::config::Problem> {
        use crate::config::{Problem, ProblemKind};
        let mut out = Vec::new();
        let chosen: Vec<(&str, crate::config::Span)> = [
            self.local.as_ref().map(|l| ("local", l.span)),
            self.s3.as_ref().map(|s| ("s3", s.span)),
            self.kubernetes.as_ref().map(|k| ("kubernetes", k.span)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let [(first, _), (second, span), ..] = chosen.as_slice() {
            out.push(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("`backend` names two places for the state: `{first}` and `{second}`"),
                    Some(*span).filter(|s| s.len > 0).or(at),
                    "a second backend",
                )
                .with_help("keep one; to move the state from one to the other, see `forge state migrate --help`"),
            );
        }
        let generated = |what: &str| {
            Problem::new(
                ProblemKind::Secret,
                format!(
                    "`{what}` cannot be generated: forge would keep it in the very state it opens"
                ),
                at,
                "in this backend",
            )
            .with_help("use `{env: NAME}` or `{file: PATH}`")
        };
        let is_generated = |r: &Option<SecretRef>| matches!(r, Some(SecretRef::Generate(_)));
        if let Some(s3) = &self.s3 {
            if is_generated(&s3.access_key) {
                out.push(generated("backend.s3.access_key"));
            }
            if is_generated(&s3.secret_key) {
                out.push(generated("backend.s3.secret_key"));
            }
        }
        if let Some(e) = &self.encryption
            && matches!(e.passphrase, SecretRef::Generate(_))
        {
            out.push(generated("backend.encryption.passphrase"));
        }
        let leases = [
            self.s3.as_ref().and_then(|s| s.lease_seconds),
            self.kubernetes.as_ref().and_then(|k| k.lease_seconds),
        ];
        if let Some(l) = leases.into_iter().flatten().find(|l| *l < 3) {
            out.push(
                Problem::new(
                    ProblemKind::InvalidValue,
                    format!("a lease of {l}s is too short to be renewed in time"),
                    at,
                    "here",
                )
                .with_help("use `lease_seconds: 3` or more (the default is 30)"),
            );
        }
        out
    }
}
