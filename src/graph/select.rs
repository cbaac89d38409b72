//! `--target` and `--exclude`: which resources a run touches.
//!
//! A target pulls in what it depends on; an exclude also leaves out what depends on it.
//! A pattern that matches nothing is an error, never a silent "no changes".

use std::collections::BTreeSet;

use super::ResourceGraph;
use crate::addr::ResourceAddr;
use crate::config::suggest_addr;

/// A pattern that selected nothing.
#[derive(Debug, thiserror::Error)]
#[error("`{pattern}` ({flag}) matches no resource{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct SelectError {
    /// The pattern as given.
    pub pattern: String,
    /// `--target` or `--exclude`.
    pub flag: &'static str,
    /// The closest address.
    pub suggestion: Option<String>,
}

/// Whether `addr` matches `pattern`: an exact address, or a pattern with `*` wildcards
/// (`polaris_namespace.polardb/*`), or a bare kind (`s3_bucket`) for all of that kind.
pub fn matches(pattern: &str, addr: &ResourceAddr) -> bool {
    let text = addr.to_string();
    if !pattern.contains('.') && !pattern.contains('*') {
        return addr.kind() == pattern;
    }
    glob(pattern.as_bytes(), text.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The resources a run may touch.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Selected addresses; `None` means all.
    pub only: Option<BTreeSet<ResourceAddr>>,
}

impl Selection {
    /// Everything.
    pub fn all() -> Self {
        Self { only: None }
    }

    /// Whether `addr` is selected.
    pub fn includes(&self, addr: &ResourceAddr) -> bool {
        self.only.as_ref().is_none_or(|s| s.contains(addr))
    }

    /// Resolves `--target`/`--exclude` on `graph`. For destroy, a target pulls in its
    /// dependents (they must go first) instead of its dependencies.
    pub fn resolve(
        graph: &ResourceGraph,
        targets: &[String],
        excludes: &[String],
        destroy: bool,
    ) -> Result<Self, SelectError> {
        let all: Vec<&ResourceAddr> = graph.order().iter().collect();
        let find =
            |pattern: &String, flag: &'static str| -> Result<BTreeSet<ResourceAddr>, SelectError> {
                let hits: BTreeSet<ResourceAddr> = all
                    .iter()
                    .filter(|a| matches(pattern, a))
                    .map(|a| (*a).clone())
                    .collect();
                if hits.is_empty() {
                    let names: Vec<String> = all.iter().map(|a| a.to_string()).collect();
                    let suggestion =
                        suggest_addr(pattern, names.iter().map(String::as_str)).map(str::to_string);
                    return Err(SelectError {
                        pattern: pattern.clone(),
                        flag,
                        suggestion,
                    });
                }
                Ok(hits)
            };
        let mut only: Option<BTreeSet<ResourceAddr>> = None;
        if !targets.is_empty() {
            let mut picked = BTreeSet::new();
            for t in targets {
                picked.extend(find(t, "--target")?);
            }
            only = Some(if destroy {
                graph.with_dependents(&picked)
            } else {
                graph.with_dependencies(&picked)
            });
        }
        if !excludes.is_empty() {
            let mut dropped = BTreeSet::new();
            for e in excludes {
                dropped.extend(find(e, "--exclude")?);
            }
            // Leaving something out also leaves out what cannot exist without it (apply),
            // or what it cannot be deleted without (destroy: its dependencies stay).
            let dropped = if destroy {
                graph.with_dependencies(&dropped)
            } else {
                graph.with_dependents(&dropped)
            };
            let base: BTreeSet<ResourceAddr> =
                only.unwrap_or_else(|| all.iter().map(|a| (*a).clone()).collect());
            only = Some(base.difference(&dropped).cloned().collect());
        }
        Ok(Self { only })
    }
}
