//! Kubernetes: clients from a kubeconfig (and context), and the `kube_manifest` kind:
//! a set of objects applied with server-side apply (field manager `forge`), labelled as
//! forge's, pruned when they leave the set, diffed field by field against the live
//! objects, and waited on (Deployments available, StatefulSets ready, Jobs complete)
//! with timeouts whose errors name what was not ready, its conditions and its events.

pub mod client;
pub mod context;
pub mod flatten;
pub mod manifest;
pub mod stack;
pub mod wait;

pub use context::KubeContext;
pub use manifest::KubeManifest;
