//! `forge catalog export`'s output: the `catalog:` section of forge.yaml, scalars
//! double-quoted (JSON strings are valid YAML), so any name round-trips.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::providers::polaris::export::Export;

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

fn map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}: {}", q(k), q(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| q(i)).collect::<Vec<_>>().join(", ")
    )
}

/// The section, with the server it was read from in a comment.
pub fn yaml(e: &Export, url: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Read from {url} by `forge catalog export`.");
    let _ = writeln!(o, "catalog:");
    let _ = writeln!(o, "  catalogs:");
    for c in &e.catalogs {
        let _ = writeln!(o, "    - name: {}", q(&c.name));
        if let Some(b) = &c.bucket {
            let _ = writeln!(o, "      bucket: {}", q(b));
        }
        if !c.allowed_locations.is_empty() {
            let _ = writeln!(o, "      allowed_locations: {}", list(&c.allowed_locations));
        }
        if !c.properties.is_empty() {
            let _ = writeln!(o, "      properties: {}", map(&c.properties));
        }
    }
    let _ = writeln!(o, "  principals:");
    for (p, roles) in &e.principals {
        let _ = writeln!(o, "    - name: {}", q(p));
        if !roles.is_empty() {
            let _ = writeln!(o, "      roles: {}", list(roles));
        }
    }
    let _ = writeln!(o, "  principal_roles:");
    for (r, held) in &e.principal_roles {
        let _ = writeln!(o, "    - name: {}", q(r));
        if !held.is_empty() {
            let pairs: Vec<String> = held
                .iter()
                .map(|(c, cr)| format!("{{catalog: {}, role: {}}}", q(c), q(cr)))
                .collect();
            let _ = writeln!(o, "      catalog_roles: [{}]", pairs.join(", "));
        }
    }
    let _ = writeln!(o, "  catalog_roles:");
    for r in &e.catalog_roles {
        let _ = writeln!(o, "    - catalog: {}", q(&r.catalog));
        let _ = writeln!(o, "      name: {}", q(&r.name));
        if !r.privileges.is_empty() {
            let _ = writeln!(o, "      privileges: [{}]", r.privileges.join(", "));
        }
        if !r.grants.is_empty() {
            let _ = writeln!(o, "      grants:");
            for (ns, table, privilege) in &r.grants {
                match table {
                    Some(t) => {
                        let _ = writeln!(
                            o,
                            "        - {{namespace: {}, table: {}, privilege: {privilege}}}",
                            q(ns),
                            q(t)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "        - {{namespace: {}, privilege: {privilege}}}",
                            q(ns)
                        );
                    }
                }
            }
        }
    }
    let _ = writeln!(o, "  namespaces:");
    for (c, ns, props) in &e.namespaces {
        let _ = writeln!(o, "    - catalog: {}", q(c));
        let _ = writeln!(o, "      name: {}", q(ns));
        if !props.is_empty() {
            let _ = writeln!(o, "      properties: {}", map(props));
        }
    }
    if !e.skipped.is_empty() {
        let _ = writeln!(
            o,
            "# Grants forge.yaml cannot declare (views, policies), left out:"
        );
        for s in &e.skipped {
            let _ = writeln!(o, "#   {s}");
        }
    }
    o
}
