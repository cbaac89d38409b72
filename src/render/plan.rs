//! The human plan, in Terraform's shape: drift first, then one block per change, then
//! `Plan: N to add, N to change, N to destroy.`

use std::fmt::Write;

use serde_json::Value;

use super::Style;
use crate::plan::{AttrChange, Plan, ResourceChange, is_unknown};
use crate::provider::Action;

const UNKNOWN: &str = "(known after apply)";
const SENSITIVE: &str = "(sensitive)";

/// One blocker: the reason once, how many resources it stops (listed when few), the
/// remedy, and how to leave them out.
pub fn blocker(b: &crate::plan::Blocker, style: Style) -> String {
    use super::outcome::wrap;
    let mut out = String::new();
    let n = b.addrs.len();
    let listed: Vec<String> = b.addrs.iter().take(3).map(|a| a.to_string()).collect();
    let more = if n > 3 {
        format!(" and {} more", n - 3)
    } else {
        String::new()
    };
    out.push_str(&wrap(&format!(
        "{} {}: apply cannot change {n} resource{} ({}{more})",
        style.yellow("Warning:"),
        b.message,
        if n == 1 { "" } else { "s" },
        listed.join(", ")
    )));
    if let Some(h) = &b.hint {
        out.push_str(&wrap(&format!("  hint: {h}")));
    }
    // Few resources: exclude exactly them (what depends on them goes too); many: their kinds.
    let mut targets: Vec<String> = if n <= 3 {
        b.addrs.iter().map(|a| a.to_string()).collect()
    } else {
        b.addrs.iter().map(|a| a.kind().to_string()).collect()
    };
    targets.sort();
    targets.dedup();
    let excludes: Vec<String> = targets.iter().map(|k| format!("--exclude {k}")).collect();
    out.push_str(&wrap(&format!(
        "  or leave them out: forge apply {}",
        excludes.join(" ")
    )));
    out
}

/// Renders a plan for people.
pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for w in &plan.warnings {
        let _ = writeln!(
            out,
            "{} {}{}",
            style.yellow("Warning:"),
            w.addr
                .as_ref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default(),
            w.message
        );
        if let Some(h) = &w.hint {
            let _ = writeln!(out, "  hint: {h}");
        }
    }
    for b in &plan.blocked {
        out.push_str(&blocker(b, style));
    }
    if !plan.warnings.is_empty() || !plan.blocked.is_empty() {
        out.push('\n');
    }
    if !plan.has_changes() {
        out.push_str(&no_changes(plan));
        return out;
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            style.bold("Note: objects have changed outside forge")
        );
        for d in &plan.drift {
            if d.action == Action::Delete {
                let _ = writeln!(
                    out,
                    "  # {} was deleted outside forge",
                    style.bold(&d.addr.to_string())
                );
            } else {
                let _ = writeln!(
                    out,
                    "  # {} has changed outside forge",
                    style.bold(&d.addr.to_string())
                );
                for c in &d.changes {
                    let _ = writeln!(out, "    {}", attr_change(c, &[], style));
                }
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "forge will perform the following actions:\n");
    // Reads (existing things forge uses, `<=`) show beside the changes they serve.
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action.is_change() || c.action == Action::Read)
    {
        out.push_str(&change(c, style));
        out.push('\n');
    }
    let s = plan.summary();
    let import = if s.import > 0 {
        format!("{} to import, ", s.import)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {import}{} to add, {} to change, {} to destroy.",
        style.bold("Plan:"),
        s.add,
        s.change,
        s.destroy
    );
    out
}

/// The one line printed when there is nothing to do.
pub fn no_changes(plan: &Plan) -> String {
    if plan.destroy {
        "No changes. Nothing forge manages is left to destroy.\n".into()
    } else {
        "No changes. Everything matches forge.yaml.\n".into()
    }
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::Import => "will be imported",
        Action::Read => "will be read",
        Action::NoOp => "is unchanged",
    }
}

fn symbol(a: Action, style: Style) -> String {
    let s = a.symbol();
    match a {
        Action::Create => style.green(s),
        Action::Update | Action::Import => style.yellow(s),
        Action::Replace => format!("{}{}", style.red("-"), style.green("/+")),
        Action::Delete => style.red(s),
        Action::Read => style.cyan(s),
        Action::NoOp => s.to_string(),
    }
}

/// One change block.
pub fn change(c: &ResourceChange, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  # {} {}",
        style.bold(&c.addr.to_string()),
        verb(c.action)
    );
    for r in &c.reasons {
        let _ = writeln!(out, "  # ({r})");
    }
    let sym = symbol(c.action, style);
    let pad = if c.action == Action::Replace {
        ""
    } else {
        &"   "[..3 - c.action.symbol().len().min(3)]
    };
    let _ = writeln!(out, "{pad}{sym} {} \"{}\" {{", c.addr.kind(), c.addr.name());
    match c.action {
        Action::Create => lines(&mut out, c.after.as_ref(), &c.sensitive, "+", style),
        Action::Delete => lines(&mut out, c.before.as_ref(), &c.sensitive, "-", style),
        Action::Read => lines(&mut out, c.after.as_ref(), &c.sensitive, " ", style),
        _ => {
            for ch in &c.changes {
                let _ = writeln!(out, "      {}", attr_change(ch, &c.sensitive, style));
            }
            if c.changes.is_empty() && c.action == Action::Replace {
                lines(&mut out, c.after.as_ref(), &c.sensitive, "+", style);
            }
        }
    }
    let _ = writeln!(out, "    }}");
    out
}

fn lines(out: &mut String, v: Option<&Value>, sensitive: &[String], sym: &str, style: Style) {
    let Some(Value::Object(map)) = v else { return };
    let flat = flatten(map);
    let width = flat.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in flat {
        let shown = value(&k, &v, sensitive);
        let s = if sym == "+" {
            style.green(sym)
        } else {
            style.red(sym)
        };
        let _ = writeln!(out, "      {s} {k:width$} = {shown}");
    }
}

fn flatten(map: &serde_json::Map<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            Value::Null => {}
            Value::Object(inner) if !inner.is_empty() && !is_secret_ref(v) => {
                for (ik, iv) in inner {
                    if !iv.is_null() {
                        out.push((format!("{k}.{ik}"), iv.clone()));
                    }
                }
            }
            other => out.push((k.clone(), other.clone())),
        }
    }
    out
}

/// `{"env": ..}`, `{"file": ..}` or `{"generate": ..}`: a secret reference.
fn is_secret_ref(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && (m.contains_key("env") || m.contains_key("file") || m.contains_key("generate")))
}

fn value(path: &str, v: &Value, sensitive: &[String]) -> String {
    let top = path.split('.').next().unwrap_or(path);
    if sensitive.iter().any(|s| s == top || s == path) || is_secret_ref(v) || contains_secret_ref(v)
    {
        return SENSITIVE.into();
    }
    if is_unknown(v) {
        return UNKNOWN.into();
    }
    match v {
        Value::Object(_) | Value::Array(_) => compact(v),
        other => other.to_string(),
    }
}

fn contains_secret_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .values()
            .any(|x| is_secret_ref(x) || contains_secret_ref(x)),
        Value::Array(a) => a.iter().any(contains_secret_ref),
        _ => false,
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 100 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(97).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

fn attr_change(c: &AttrChange, sensitive: &[String], style: Style) -> String {
    let show = |v: &Value| value(&c.path, v, sensitive);
    match (&c.before, &c.after) {
        (Some(b), Some(a)) => format!(
            "{} {} = {} -> {}",
            style.yellow("~"),
            c.path,
            show(b),
            show(a)
        ),
        (None, Some(a)) => format!("{} {} = {}", style.green("+"), c.path, show(a)),
        (Some(b), None) => format!("{} {} = {}", style.red("-"), c.path, show(b)),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{Drift, PLAN_FORMAT, Warning};

    fn change(
        addr: &str,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        let changes = match (&before, &after) {
            (Some(b), Some(a))
                if matches!(action, Action::Update | Action::Replace | Action::Import) =>
            {
                crate::plan::diff(b, a)
            }
            _ => vec![],
        };
        ResourceChange {
            addr: addr.parse().expect("addr"),
            action,
            before,
            after,
            spec: None,
            changes,
            reasons: vec![],
            sensitive: vec!["client_secret".into()],
            depends_on: vec![],
        }
    }

    fn plan(changes: Vec<ResourceChange>, drift: Vec<Drift>) -> Plan {
        Plan {
            format: PLAN_FORMAT,
            forge_version: "test".into(),
            destroy: false,
            config_digest: String::new(),
            state_lineage: String::new(),
            state_serial: 0,
            changes,
            drift,
            warnings: vec![],
            blocked: vec![],
            forget: vec![],
        }
    }

    #[test]
    fn every_kind_of_change() {
        let mut replace = change(
            "s3_bucket.moved",
            Action::Replace,
            Some(json!({"bucket": "moved", "region": "us-east-1"})),
            Some(json!({"bucket": "moved", "region": "eu-west-1"})),
        );
        replace
            .reasons
            .push("a bucket cannot move from us-east-1 to eu-west-1".into());
        let p = plan(
            vec![
                change(
                    "s3_bucket.new",
                    Action::Create,
                    None,
                    Some(
                        json!({"bucket": "new", "arn": "${unknown}", "tags": {"team": "data"}, "access_key": {"env": "KEY"}}),
                    ),
                ),
                change(
                    "polaris_principal.bot",
                    Action::Create,
                    None,
                    Some(
                        json!({"name": "bot", "client_secret": "s3cr3t", "client_id": "${polaris_principal.bot.client_id}"}),
                    ),
                ),
                change(
                    "s3_bucket.tagged",
                    Action::Update,
                    Some(json!({"bucket": "tagged", "tags": {"env": "dev", "old": "x"}})),
                    Some(json!({"bucket": "tagged", "tags": {"env": "prod"}})),
                ),
                replace,
                change(
                    "local_file.gone",
                    Action::Delete,
                    Some(json!({"path": "/tmp/gone", "sha256": "abc"})),
                    None,
                ),
                change(
                    "s3_bucket.same",
                    Action::NoOp,
                    Some(json!({"bucket": "same"})),
                    Some(json!({"bucket": "same"})),
                ),
            ],
            vec![Drift {
                addr: "s3_bucket.tagged".parse().expect("addr"),
                action: Action::Update,
                changes: vec![crate::plan::AttrChange {
                    path: "tags.env".into(),
                    before: Some(json!("prod")),
                    after: Some(json!("dev")),
                }],
            }],
        );
        insta::assert_snapshot!(render(&p, Style::plain()));
    }

    #[test]
    fn nothing_to_do_is_one_line() {
        let p = plan(
            vec![change(
                "s3_bucket.same",
                Action::NoOp,
                Some(json!({})),
                Some(json!({})),
            )],
            vec![],
        );
        assert_eq!(
            render(&p, Style::plain()),
            "No changes. Everything matches forge.yaml.\n"
        );
    }

    #[test]
    fn warnings_come_first() {
        let mut p = plan(
            vec![change(
                "k3d_cluster.dev",
                Action::Create,
                None,
                Some(json!({"name": "dev"})),
            )],
            vec![],
        );
        p.warnings.push(Warning {
            addr: Some("k3d_cluster.dev".parse().expect("addr")),
            message: "`k3d` is not installed".into(),
            hint: Some("install k3d".into()),
        });
        let out = render(&p, Style::plain());
        assert!(
            out.starts_with(
                "Warning: k3d_cluster.dev: `k3d` is not installed\n  hint: install k3d\n"
            ),
            "{out}"
        );
        assert!(out.ends_with("Plan: 1 to add, 0 to change, 0 to destroy.\n"));
    }
}
