//! Checks that need every declaration: duplicate addresses, and dependencies and
//! `${kind.name.attr}` references that point at nothing. References also become
//! dependencies here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::{Dep, ResourceDecl};
use crate::addr::ResourceAddr;
use crate::config::{OutputDecl, Problem, ProblemKind, Span, suggest_addr};
use crate::template::{self, Placeholder};

/// A dependency written as text that is not an address (`depends_on: [bucket]`): where,
/// and which resource wrote it.
#[derive(Debug, Clone)]
pub(super) struct NotAnAddress {
    pub(super) text: String,
    pub(super) span: Span,
    pub(super) from: String,
}

/// Checks every declaration; adds the dependencies that references imply.
pub(super) fn check(
    resources: &mut [ResourceDecl],
    not_addresses: &[NotAnAddress],
    outputs: &[OutputDecl],
    ref_spans: &BTreeMap<String, Span>,
    pruned: &[String],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for r in resources.iter() {
        let addr = r.addr.to_string();
        match seen.get(&addr) {
            Some(first) => problems.push(
                Problem::new(
                    ProblemKind::DuplicateName,
                    format!("`{addr}` is declared twice"),
                    Some(r.span),
                    "declared again here",
                )
                .with_related(*first, "first declared here")
                .with_help("names must be unique per kind: rename one of them"),
            ),
            None => {
                seen.insert(addr, r.span);
            }
        }
    }
    let known: BTreeSet<String> = seen.keys().cloned().collect();
    for n in not_addresses {
        problems.push(dangling(&n.text, Some(n.span), &n.from, &known));
    }
    for r in resources.iter_mut() {
        let mut refs = Vec::new();
        collect_refs(&r.spec, &mut refs);
        for text in refs {
            let span = ref_spans.get(&text).copied();
            let Ok(addr) = text.parse::<ResourceAddr>() else {
                problems.push(dangling(
                    &text,
                    span.or(Some(r.span)),
                    &r.addr.to_string(),
                    &known,
                ));
                continue;
            };
            if !r.deps.iter().any(|d| d.target == addr) {
                r.deps.push(Dep { span, target: addr });
            }
        }
    }
    for r in resources.iter() {
        for d in &r.deps {
            let target = d.target.to_string();
            if d.target == r.addr {
                problems.push(
                    Problem::new(
                        ProblemKind::DependencyCycle,
                        format!("`{}` depends on itself", r.addr),
                        d.span.or(Some(r.span)),
                        "a resource cannot depend on itself",
                    )
                    .with_help("remove this dependency"),
                );
            } else if !known.contains(&target)
                && !pruned.iter().any(|p| target.contains(p.as_str()))
            {
                problems.push(dangling(
                    &target,
                    d.span.or(Some(r.span)),
                    &r.addr.to_string(),
                    &known,
                ));
            }
        }
    }
    for o in outputs {
        for f in template::scan(&o.value) {
            if let Placeholder::Ref { addr, .. } = f.placeholder
                && !known.contains(&addr)
            {
                problems.push(dangling(
                    &addr,
                    ref_spans.get(&addr).copied(),
                    &format!("output `{}`", o.name),
                    &known,
                ));
            }
        }
    }
    problems
}

fn dangling(target: &str, span: Option<Span>, from: &str, known: &BTreeSet<String>) -> Problem {
    let kind = target.split('.').next().unwrap_or_default();
    let candidates: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|k| *k != from)
        .collect();
    let help = match suggest_addr(target, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if !target.contains('.') => {
            "dependencies are addresses `kind.name`, e.g. `s3_bucket.lakehouse`".to_string()
        }
        None => {
            let same: Vec<&str> = known
                .iter()
                .filter(|k| k.starts_with(&format!("{kind}.")) && *k != from)
                .map(String::as_str)
                .take(5)
                .collect();
            if same.is_empty() {
                format!("nothing of kind `{kind}` is declared")
            } else {
                format!("declared `{kind}` resources: {}", same.join(", "))
            }
        }
    };
    let what = match target.split_once('.') {
        Some((kind, name)) => format!("`{from}` refers to {kind} `{name}`, which is not defined"),
        None => format!("`{from}` refers to `{target}`, which is not defined"),
    };
    Problem::new(
        ProblemKind::DanglingReference,
        what,
        span,
        "not defined anywhere in this file",
    )
    .with_help(help)
}

fn collect_refs(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) if s.contains("${") => {
            for f in template::scan(s) {
                if let Placeholder::Ref { addr, .. } = f.placeholder
                    && !out.contains(&addr)
                {
                    out.push(addr);
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        Json::Object(m) => m.values().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}
