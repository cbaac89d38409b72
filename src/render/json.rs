//! `--json`: one JSON object per line, in the shape of Terraform's machine-readable UI
//! (`@level`, `@message`, `@module`, `@timestamp`, `type`), so CI tools that parse
//! `terraform plan -json` read forge too.

use serde_json::{Value, json};

use crate::addr::ResourceAddr;
use crate::apply::ApplyEvent;
use crate::config::{Problem, Problems, tree::offset_to_line_col};
use crate::plan::{Plan, ResourceChange};
use crate::provider::Action;
use crate::state::OutputValue;

/// The UI format version, as Terraform's `ui` field.
pub const UI_VERSION: &str = "1.2";

fn line(level: &str, message: String, kind: &str, extra: Value) -> String {
    let mut obj = json!({
        "@level": level,
        "@message": message,
        "@module": "forge.ui",
        "@timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "type": kind,
    });
    if let (Some(o), Value::Object(e)) = (obj.as_object_mut(), extra) {
        o.extend(e);
    }
    obj.to_string()
}

/// `{"type":"version"}`: the first line of every run.
pub fn version() -> String {
    line(
        "info",
        format!("forge {}", env!("CARGO_PKG_VERSION")),
        "version",
        json!({"forge": env!("CARGO_PKG_VERSION"), "ui": UI_VERSION}),
    )
}

fn resource(addr: &ResourceAddr) -> Value {
    json!({"addr": addr.to_string(), "module": "", "resource": addr.to_string(), "implied_provider": addr.kind().split('_').next().unwrap_or(""), "resource_type": addr.kind(), "resource_name": addr.name(), "resource_key": null})
}

/// Terraform's action names.
pub fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "noop",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::Import => "import",
    }
}

fn planned_change(c: &ResourceChange) -> String {
    let msg = format!("{}: Plan to {}", c.addr, action_name(c.action));
    let mut change = json!({"resource": resource(&c.addr), "action": action_name(c.action)});
    if !c.reasons.is_empty() {
        change["reason"] = json!(c.reasons.join("; "));
    }
    if !c.changes.is_empty() {
        change["changed_attributes"] =
            json!(c.changes.iter().map(|a| a.path.clone()).collect::<Vec<_>>());
    }
    line("info", msg, "planned_change", json!({"change": change}))
}

/// Every line of a plan: warnings, drift, changes, summary.
pub fn plan(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for w in &plan.warnings {
        out.push(line("warn", w.message.clone(), "diagnostic", json!({"diagnostic": {"severity": "warning", "summary": w.message, "detail": w.hint.clone().unwrap_or_default(), "address": w.addr.as_ref().map(|a| a.to_string())}})));
    }
    for b in &plan.blocked {
        let addrs: Vec<String> = b.addrs.iter().map(|a| a.to_string()).collect();
        out.push(line("warn", b.message.clone(), "diagnostic", json!({"diagnostic": {"severity": "warning", "summary": b.message, "detail": b.hint.clone().unwrap_or_default(), "addresses": addrs}})));
    }
    for d in &plan.drift {
        let msg = format!("{}: Drift detected ({})", d.addr, action_name(d.action));
        out.push(line("info", msg, "resource_drift", json!({"change": {"resource": resource(&d.addr), "action": action_name(d.action), "changed_attributes": d.changes.iter().map(|c| c.path.clone()).collect::<Vec<_>>()}})));
    }
    for c in plan.changes.iter().filter(|c| c.action.is_change()) {
        out.push(planned_change(c));
    }
    out.push(summary(plan, if plan.destroy { "destroy" } else { "plan" }));
    out
}

/// `{"type":"change_summary"}`.
pub fn summary(plan: &Plan, operation: &str) -> String {
    let s = plan.summary();
    let msg = if plan.has_changes() {
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            s.add, s.change, s.destroy
        )
    } else {
        "No changes.".to_string()
    };
    line(
        "info",
        msg,
        "change_summary",
        json!({"changes": {"add": s.add, "change": s.change, "import": s.import, "remove": s.destroy, "operation": operation}}),
    )
}

/// `{"type":"change_summary"}` after apply, with what was actually done.
pub fn apply_summary(add: usize, change: usize, remove: usize, operation: &str) -> String {
    let msg =
        format!("Apply complete! Resources: {add} added, {change} changed, {remove} destroyed.");
    line(
        "info",
        msg,
        "change_summary",
        json!({"changes": {"add": add, "change": change, "import": 0, "remove": remove, "operation": operation}}),
    )
}

/// Apply progress events.
pub fn event(e: &ApplyEvent) -> String {
    match e {
        ApplyEvent::Started { addr, action } => line(
            "info",
            format!("{addr}: {}...", progressive(*action)),
            "apply_start",
            json!({"hook": {"resource": resource(addr), "action": action_name(*action)}}),
        ),
        ApplyEvent::Finished {
            addr,
            action,
            elapsed,
        } => line(
            "info",
            format!(
                "{addr}: {} complete after {}s",
                noun(*action),
                elapsed.as_secs()
            ),
            "apply_complete",
            json!({"hook": {"resource": resource(addr), "action": action_name(*action), "elapsed_seconds": elapsed.as_secs()}}),
        ),
        ApplyEvent::Failed {
            addr,
            action,
            error,
            ..
        } => line(
            "error",
            format!("{addr}: {} errored: {error}", noun(*action)),
            "apply_errored",
            json!({"hook": {"resource": resource(addr), "action": action_name(*action)}}),
        ),
        ApplyEvent::Skipped {
            addr,
            action,
            because,
        } => line(
            "warn",
            format!("{addr}: skipped because {because} failed"),
            "apply_progress",
            json!({"hook": {"resource": resource(addr), "action": action_name(*action), "skipped_because": because.to_string()}}),
        ),
    }
}

fn progressive(a: Action) -> &'static str {
    match a {
        Action::Create => "Creating",
        Action::Update => "Modifying",
        Action::Replace => "Replacing",
        Action::Delete => "Destroying",
        Action::Import => "Importing",
        Action::Read => "Reading",
        Action::NoOp => "Checking",
    }
}

/// The noun Terraform uses in completion messages.
pub fn noun(a: Action) -> &'static str {
    match a {
        Action::Create => "Creation",
        Action::Update => "Modifications",
        Action::Replace => "Replacement",
        Action::Delete => "Destruction",
        Action::Import => "Import",
        Action::Read => "Read",
        Action::NoOp => "Check",
    }
}

/// `{"type":"outputs"}`; sensitive values are hidden unless asked for.
pub fn outputs(
    outputs: &std::collections::BTreeMap<String, OutputValue>,
    show_sensitive: bool,
) -> String {
    let map: serde_json::Map<String, Value> = outputs
        .iter()
        .map(|(k, v)| {
            let value = if v.sensitive && !show_sensitive {
                Value::Null
            } else {
                json!(v.value)
            };
            (
                k.clone(),
                json!({"sensitive": v.sensitive, "type": "string", "value": value}),
            )
        })
        .collect();
    line(
        "info",
        format!("Outputs: {}", map.len()),
        "outputs",
        json!({"outputs": map}),
    )
}

/// An error as a `diagnostic` line.
pub fn error_diagnostic(summary: &str, detail: &str) -> String {
    line(
        "error",
        format!("Error: {summary}"),
        "diagnostic",
        json!({"diagnostic": {"severity": "error", "summary": summary, "detail": detail}}),
    )
}

/// forge.yaml problems as `diagnostic` lines with file ranges.
pub fn problems(p: &Problems) -> Vec<String> {
    p.problems.iter().map(|prob| problem(p, prob)).collect()
}

fn problem(p: &Problems, prob: &Problem) -> String {
    let filename = p.path.display().to_string();
    let range = prob.span.map(|s| {
        let (sl, sc) = offset_to_line_col(&p.text, s.start);
        let (el, ec) = offset_to_line_col(&p.text, s.start + s.len.max(1));
        json!({"filename": filename, "start": {"line": sl, "column": sc, "byte": s.start}, "end": {"line": el, "column": ec, "byte": s.start + s.len.max(1)}})
    });
    let snippet = prob.span.map(|s| {
        let (l, _) = offset_to_line_col(&p.text, s.start);
        json!({"context": null, "code": p.text.lines().nth(l - 1).unwrap_or(""), "start_line": l})
    });
    let detail = match &prob.help {
        Some(h) => format!("{}; {h}", prob.label),
        None => prob.label.clone(),
    };
    line(
        "error",
        format!("Error: {}", prob.message),
        "diagnostic",
        json!({"diagnostic": {"severity": "error", "summary": prob.message, "detail": detail, "code": format!("forge::config::{}", prob.kind.code()), "range": range, "snippet": snippet}}),
    )
}
