//! Polaris 1.7's rules for entity names, so forge refuses a bad name at its line in
//! forge.yaml instead of at apply time with a 400.
//!
//! Two rule sets, as the server applies them:
//! - catalogs, principals, principal roles and catalog roles are checked only against
//!   the management API spec: 1 to 256 characters (Java `String` length, UTF-16 units),
//!   matching `^(?!\s*[sS][yY][sS][tT][eE][mM]\$).*$` as a whole (so no line
//!   terminators, and not `system$…`);
//! - namespace levels, tables and views go through `EntityNameValidator` on the
//!   catalog API: not empty, not `.` or `..`, no ISO control character, none of
//!   `/ \ : * ? " < > | # + ` and a backtick, no leading or trailing whitespace (Java's
//!   `Character.isWhitespace`).

/// Why a name is refused, in the words of a diagnostic.
pub type Refusal = String;

/// Checks a catalog, principal, principal-role or catalog-role name.
pub fn check_management_name(name: &str) -> Result<(), Refusal> {
    let units = name.encode_utf16().count();
    if units == 0 {
        return Err("names must not be empty".into());
    }
    if units > 256 {
        return Err(format!(
            "names are at most 256 characters long; this one has {units}"
        ));
    }
    if let Some(c) = name.chars().find(|c| is_line_terminator(*c)) {
        return Err(format!(
            "names must not contain a line break (U+{:04X})",
            c as u32
        ));
    }
    let rest = name.trim_start_matches(is_java_regex_space);
    let reserved = rest
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("system"))
        && rest.get(6..).is_some_and(|r| r.starts_with('$'));
    if reserved {
        return Err("names must not start with `system$` (reserved by Polaris)".into());
    }
    Ok(())
}

/// Checks one namespace level, or a table or view name.
pub fn check_entity_name(name: &str) -> Result<(), Refusal> {
    if name.is_empty() {
        return Err("names must not be empty".into());
    }
    if name == "." || name == ".." {
        return Err("names must not be `.` or `..`".into());
    }
    let last = name.chars().count() - 1;
    for (i, c) in name.chars().enumerate() {
        if is_iso_control(c) {
            return Err(format!(
                "names must not contain control characters (U+{:04X})",
                c as u32
            ));
        }
        if "/\\:*?\"<>|#+`".contains(c) {
            return Err(format!("names must not contain `{c}`"));
        }
        if (i == 0 || i == last) && is_java_whitespace(c) {
            return Err("names must not start or end with whitespace".into());
        }
    }
    Ok(())
}

/// Checks every level of a dotted namespace (`a.b.c`).
pub fn check_namespace(dotted: &str) -> Result<(), Refusal> {
    for level in dotted.split('.') {
        check_entity_name(level).map_err(|why| format!("namespace level `{level}`: {why}"))?;
    }
    Ok(())
}

/// What `.` does not match in a Java regex: line terminators.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Java regex `\s`: `[ \t\n\x0B\f\r]`.
fn is_java_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// `Character.isISOControl`: U+0000–U+001F and U+007F–U+009F.
fn is_iso_control(c: char) -> bool {
    matches!(c as u32, 0x00..=0x1F | 0x7F..=0x9F)
}

/// `Character.isWhitespace`: Unicode space separators except the non-breaking ones,
/// line and paragraph separators, and `\t \n \x0B \f \r \x1C-\x1F`.
fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_names_follow_the_entity_name_validator() {
        for ok in ["penguins", "wild life", "a.b", "ünïcode", "a\u{A0}"] {
            assert!(check_entity_name(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            ".",
            "..",
            "wild/life",
            "a\\b",
            "a:b",
            "a*",
            "a?",
            "a\"",
            "a<",
            "a>",
            "a|b",
            "a#b",
            "a+b",
            "a`b",
            " a",
            "a ",
            "a\tb",
            "a\u{7F}",
            "a\u{3000}",
        ] {
            assert!(check_entity_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_namespace("wild.life").is_ok());
        assert!(check_namespace("wild..life").is_err());
        assert!(
            check_namespace("wild/life")
                .expect_err("refused")
                .contains("`/`")
        );
    }

    #[test]
    fn management_names_follow_the_spec_pattern_and_length() {
        for ok in ["polardb", "system", "my/role", "..", "a#b", "Système"] {
            assert!(check_management_name(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "system$x", " SYSTEM$", "a\nb", "x\u{2028}"] {
            assert!(check_management_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_management_name(&"a".repeat(256)).is_ok());
        assert!(check_management_name(&"a".repeat(257)).is_err());
        // Length counts UTF-16 units, as Java does: 128 emoji are 256 units.
        assert!(check_management_name(&"😀".repeat(128)).is_ok());
        assert!(check_management_name(&"😀".repeat(129)).is_err());
    }
}
