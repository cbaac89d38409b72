//! How an apply ended, for people: the totals, then the failures grouped by cause — one
//! line per distinct error with the resources it hit and its remedy once, one line per
//! failed resource for everything skipped because of it — wrapped to the terminal's
//! width. `--verbose` lists every resource on a line of its own.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Style;
use crate::addr::ResourceAddr;
use crate::apply::ApplyReport;
use crate::plan::Plan;

/// The totals line and, if anything failed, the grouped failures.
pub fn summary(plan: &Plan, report: &ApplyReport, style: Style, verbose: bool) -> String {
    let (add, change, remove) = report.totals();
    let mut out = String::new();
    if report.complete() {
        if plan.destroy {
            let _ = writeln!(
                out,
                "\n{} Resources: {remove} destroyed.",
                style.green(&style.bold("Destroy complete!"))
            );
        } else {
            let _ = writeln!(
                out,
                "\n{} Resources: {add} added, {change} changed, {remove} destroyed.",
                style.green(&style.bold("Apply complete!"))
            );
        }
        return out;
    }
    let _ = writeln!(
        out,
        "\n{} Resources: {add} added, {change} changed, {remove} destroyed; {} failed.",
        style.red(&style.bold(if plan.destroy {
            "Destroy incomplete."
        } else {
            "Apply incomplete."
        })),
        report.failed.len()
    );
    if verbose {
        for (addr, _, e) in &report.failed {
            out.push_str(&wrap(&format!(
                "  {} {addr}: {}",
                style.red("failed "),
                super::error_chain(e)
            )));
        }
        for (addr, because) in &report.skipped {
            let _ = writeln!(
                out,
                "  {} {addr} (because {because} failed)",
                style.yellow("skipped")
            );
        }
        for addr in &report.not_run {
            let _ = writeln!(
                out,
                "  {} {addr} (interrupted before it started)",
                style.yellow("not run")
            );
        }
        return out;
    }
    // Failures with the same error (the address aside) are one cause.
    let mut causes: BTreeMap<String, (Vec<&ResourceAddr>, Option<String>)> = BTreeMap::new();
    for (addr, _, e) in &report.failed {
        let entry = causes.entry(super::error_chain(e)).or_default();
        entry.0.push(addr);
        entry.1 = e.hint();
    }
    for (message, (addrs, hint)) in &causes {
        let head = match addrs.as_slice() {
            [one] => format!("{one}: {message}"),
            many => format!("{} resources ({}): {message}", many.len(), names(many)),
        };
        out.push_str(&wrap(&format!("  {} {head}", style.red("failed "))));
        if let Some(h) = hint {
            out.push_str(&wrap(&format!("          hint: {h}")));
        }
    }
    let mut skipped: BTreeMap<&ResourceAddr, Vec<&ResourceAddr>> = BTreeMap::new();
    for (addr, because) in &report.skipped {
        skipped.entry(because).or_default().push(addr);
    }
    for (because, addrs) in &skipped {
        let what = match addrs.as_slice() {
            [one] => one.to_string(),
            many => format!("{} resources ({})", many.len(), names(many)),
        };
        out.push_str(&wrap(&format!(
            "  {} {what}, because {because} failed",
            style.yellow("skipped")
        )));
    }
    if !report.not_run.is_empty() {
        let addrs: Vec<&ResourceAddr> = report.not_run.iter().collect();
        out.push_str(&wrap(&format!(
            "  {} {} resource{} ({}): interrupted before they started",
            style.yellow("not run"),
            addrs.len(),
            if addrs.len() == 1 { "" } else { "s" },
            names(&addrs)
        )));
    }
    if report.failed.len() + report.skipped.len() > causes.len() + skipped.len() {
        out.push_str("  (`--verbose` lists every resource; `--json` gives each as an event)\n");
    }
    out
}

/// The first three addresses and how many more.
fn names(addrs: &[&ResourceAddr]) -> String {
    let shown: Vec<String> = addrs.iter().take(3).map(|a| a.to_string()).collect();
    match addrs.len() {
        n if n > 3 => format!("{}, and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

/// Wraps a line at word boundaries to [`super::width`]; continuation lines start under the
/// text after the line's first word (`failed `, `hint:`).
pub(crate) fn wrap(line: &str) -> String {
    let lead = line.len() - line.trim_start().len();
    let first = line.trim_start().split(' ').next().unwrap_or("");
    let indent = " ".repeat(lead + visible_len(first) + 1);
    let mut out = String::new();
    let mut current = " ".repeat(lead);
    let mut empty = true;
    for word in line.trim_start().split(' ').filter(|w| !w.is_empty()) {
        if !empty && visible_len(&current) + 1 + visible_len(word) > super::width() {
            out.push_str(&current);
            out.push('\n');
            current = indent.clone();
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    out.push_str(&current);
    out.push('\n');
    out
}

/// Length without ANSI colour codes.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{Action, ProviderError};

    fn addr(s: &str) -> ResourceAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn one_line_per_cause_and_per_failed_dependency() {
        let mut report = ApplyReport::default();
        for b in ["s3_bucket.a", "s3_bucket.b", "s3_bucket.c", "s3_bucket.d"] {
            report.failed.push((
                addr(b),
                Action::Create,
                ProviderError::Blocked {
                    reason: "no AWS credentials found".into(),
                    hint: Some("run `aws configure`".into()),
                },
            ));
        }
        for i in 0..23 {
            report.skipped.push((
                addr(&format!("kube_manifest.m{i}")),
                addr("k3d_cluster.dev"),
            ));
        }
        let plan = crate::plan::Plan {
            format: 1,
            forge_version: String::new(),
            destroy: false,
            config_digest: String::new(),
            state_lineage: String::new(),
            state_serial: 0,
            changes: vec![],
            drift: vec![],
            warnings: vec![],
            blocked: vec![],
            forget: vec![],
        };
        let out = summary(&plan, &report, Style::plain(), false);
        let failed: Vec<&str> = out.lines().filter(|l| l.contains("failed ")).collect();
        assert_eq!(failed.len(), 1, "{out}");
        assert!(
            failed[0].contains("4 resources (s3_bucket.a, s3_bucket.b, s3_bucket.c, and 1 more)"),
            "{out}"
        );
        assert_eq!(out.matches("hint: run `aws configure`").count(), 1, "{out}");
        let skipped: Vec<&str> = out.lines().filter(|l| l.contains("skipped")).collect();
        assert_eq!(skipped.len(), 1, "{out}");
        assert!(skipped[0].contains("23 resources"), "{out}");
        assert!(
            out.lines()
                .all(|l| l.chars().count() <= crate::render::width()),
            "{out}"
        );
        let verbose = summary(&plan, &report, Style::plain(), true);
        assert_eq!(
            verbose.lines().filter(|l| l.contains("skipped")).count(),
            23
        );
    }
}
