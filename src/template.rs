//! `${...}` interpolation in forge.yaml strings.
//!
//! Two kinds of placeholder exist. `${env:NAME}` (or `${env:NAME:-default}`) is read from
//! the environment when forge.yaml is loaded. `${kind.name.attr}` refers to an attribute of
//! another resource: it adds a dependency on that resource and is filled in from state
//! when the value is needed (it shows as `(known after apply)` before). `$${` writes a
//! literal `${`.

use std::ops::Range;

/// One placeholder found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `${env:NAME}` or `${env:NAME:-default}`.
    Env {
        /// Variable name.
        name: String,
        /// Value used when the variable is unset.
        default: Option<String>,
    },
    /// `${kind.name.attr}`.
    Ref {
        /// `kind.name`.
        addr: String,
        /// Attribute (may be a dotted path into the resource's state).
        attr: String,
    },
    /// Something in `${...}` that is neither.
    Invalid(String),
}

/// A placeholder and its byte range (including `${` and `}`) in the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The placeholder.
    pub placeholder: Placeholder,
    /// Byte range in the string.
    pub range: Range<usize>,
}

/// Finds every placeholder in `s`, skipping escaped `$${`.
pub fn scan(s: &str) -> Vec<Found> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'$' {
            i += 2;
            continue;
        }
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            match s[i + 2..].find('}') {
                Some(end) => {
                    let inner = &s[i + 2..i + 2 + end];
                    out.push(Found {
                        placeholder: classify(inner),
                        range: i..i + 3 + end,
                    });
                    i += 3 + end;
                    continue;
                }
                None => {
                    out.push(Found {
                        placeholder: Placeholder::Invalid(s[i..].to_string()),
                        range: i..s.len(),
                    });
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

fn classify(inner: &str) -> Placeholder {
    let inner = inner.trim();
    if let Some(rest) = inner.strip_prefix("env:") {
        let (name, default) = match rest.split_once(":-") {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (rest, None),
        };
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Placeholder::Env {
                name: name.to_string(),
                default,
            };
        }
        return Placeholder::Invalid(inner.to_string());
    }
    let parts: Vec<&str> = inner.splitn(3, '.').collect();
    if parts.len() == 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[0]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        // Names may contain dots (namespaces), so the attribute is the last segment.
        let (addr, attr) = inner.rsplit_once('.').unwrap_or((inner, ""));
        return Placeholder::Ref {
            addr: addr.to_string(),
            attr: attr.to_string(),
        };
    }
    Placeholder::Invalid(inner.to_string())
}

/// Replaces placeholders using `f`; a placeholder `f` returns `None` for is kept as is.
/// `$${` becomes `${` only when `unescape` is set (the final rendering).
pub fn substitute(
    s: &str,
    unescape: bool,
    mut f: impl FnMut(&Placeholder) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for found in scan(s) {
        out.push_str(&unescape_part(&s[last..found.range.start], unescape));
        match f(&found.placeholder) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&s[found.range.clone()]),
        }
        last = found.range.end;
    }
    out.push_str(&unescape_part(&s[last..], unescape));
    out
}

fn unescape_part(s: &str, unescape: bool) -> String {
    if unescape {
        s.replace("$${", "${")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_env_and_refs() {
        let found =
            scan("a ${env:USER} b ${env:X:-dflt} ${s3_bucket.data.arn} $${env:NOT} ${oops}");
        let ph: Vec<_> = found.into_iter().map(|f| f.placeholder).collect();
        assert_eq!(
            ph,
            vec![
                Placeholder::Env {
                    name: "USER".into(),
                    default: None
                },
                Placeholder::Env {
                    name: "X".into(),
                    default: Some("dflt".into())
                },
                Placeholder::Ref {
                    addr: "s3_bucket.data".into(),
                    attr: "arn".into()
                },
                Placeholder::Invalid("oops".into()),
            ]
        );
    }

    #[test]
    fn dotted_names_keep_last_segment_as_attribute() {
        let found = scan("${polaris_namespace.polardb/a.b.name}");
        assert_eq!(
            found[0].placeholder,
            Placeholder::Ref {
                addr: "polaris_namespace.polardb/a.b".into(),
                attr: "name".into()
            }
        );
    }

    #[test]
    fn substitutes_and_unescapes() {
        let out = substitute("x=${env:A} y=$${env:B}", true, |p| match p {
            Placeholder::Env { name, .. } if name == "A" => Some("1".into()),
            _ => None,
        });
        assert_eq!(out, "x=1 y=${env:B}");
    }
}
