//! Snowflake names and literals, as Snowflake's identifier requirements say, and how forge
//! writes them into SQL.
//!
//! **What a name in forge.yaml means.** forge reads a name the way Snowflake reads it in
//! SQL, so `ABC`, `abc` and `"ABC"` are the same object: a name that is a valid *unquoted*
//! identifier (an ASCII letter or `_`, then letters, digits, `_` or `$`) resolves to upper
//! case; a name written in double quotes (`'"MixedCase"'` in YAML) is taken as it is
//! inside the quotes (`""` for a quote); any other name (`my-db`, `données`, `a b`) is
//! taken exactly as written, as Snowflake would take it quoted. [`resolve`] does this;
//! states and read-backs hold resolved names, as `SHOW` prints them.
//!
//! **How forge writes it.** Every identifier goes into SQL double-quoted with embedded `"`
//! doubled ([`quote`]), so nothing in a name is ever read as SQL, and a reserved word
//! (`"TABLE"`) is a name like any other. Every literal goes in single quotes with `\` and
//! `'` escaped ([`literal`]). A name Snowflake cannot hold — empty, longer than 255
//! characters, holding a control character — is refused ([`NameError`]); the expansion of
//! forge.yaml checks every Snowflake name with [`resolve`] so that shows at plan time at
//! the line that wrote it.

/// Snowflake's longest identifier, in characters.
pub const MAX_LEN: usize = 255;

/// Why a name cannot be a Snowflake identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing (or `""`).
    #[error("a name cannot be empty")]
    Empty,
    /// Over [`MAX_LEN`] characters.
    #[error("it is {0} characters long; Snowflake allows at most 255")]
    TooLong(usize),
    /// A control character (newline, tab, NUL, ...).
    #[error("it holds a control character (U+{0:04X})")]
    Control(u32),
    /// `"..."` with a lone `"` inside.
    #[error("inside double quotes, a quote must be doubled (`\"\"`)")]
    LoneQuote,
}

/// Whether `name` is a valid unquoted identifier (and so resolves to upper case).
pub fn is_unquoted(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The name as Snowflake stores it, from how forge.yaml writes it (see the module docs).
pub fn resolve(name: &str) -> Result<String, NameError> {
    let stored = if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') {
        let inner = &name[1..name.len() - 1];
        if inner.replace("\"\"", "").contains('"') {
            return Err(NameError::LoneQuote);
        }
        inner.replace("\"\"", "\"")
    } else if is_unquoted(name) {
        name.to_ascii_uppercase()
    } else {
        name.to_string()
    };
    validate(&stored)?;
    Ok(stored)
}

/// Checks a stored (resolved) name.
pub fn validate(stored: &str) -> Result<(), NameError> {
    if stored.is_empty() {
        return Err(NameError::Empty);
    }
    let n = stored.chars().count();
    if n > MAX_LEN {
        return Err(NameError::TooLong(n));
    }
    if let Some(c) = stored.chars().find(|c| c.is_control()) {
        return Err(NameError::Control(u32::from(c)));
    }
    Ok(())
}

/// A stored name as a double-quoted SQL identifier: `a"b` → `"a""b"`.
pub fn quote(stored: &str) -> String {
    format!("\"{}\"", stored.replace('"', "\"\""))
}

/// Text as a single-quoted SQL string literal: `\` → `\\`, `'` → `''`.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// A name as it appears in a resource address (`snowflake_database.<part>`): the name
/// itself when addresses allow all its characters (letters, digits, `_ - . /`), else with
/// each other character as `_` and the first 8 hex digits of the name's SHA-256 appended,
/// so two names never share an address. Only the address changes: the object keeps its
/// name in Snowflake.
pub fn address_part(name: &str) -> String {
    if crate::addr::valid_name(name) {
        return name.to_string();
    }
    use sha2::{Digest, Sha256};
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = hex::encode(Sha256::digest(name.as_bytes()));
    format!("{safe}-{}", &digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_name_has_an_address() {
        assert_eq!(address_part("ANALYTICS"), "ANALYTICS");
        let hostile = address_part("wé ird\"; --");
        assert!(crate::addr::valid_name(&hostile), "{hostile}");
        assert!(hostile.starts_with("w__ird___---"), "{hostile}");
        assert_ne!(
            address_part("a b"),
            address_part("a;b"),
            "no shared address"
        );
    }

    #[test]
    fn names_resolve_as_snowflake_reads_them() {
        assert_eq!(resolve("analytics"), Ok("ANALYTICS".into()));
        assert_eq!(resolve("_x$1"), Ok("_X$1".into()));
        assert_eq!(resolve("\"ABC\""), Ok("ABC".into()), "\"ABC\" = ABC");
        assert_eq!(resolve("\"MixedCase\""), Ok("MixedCase".into()));
        assert_eq!(resolve("\"say \"\"hi\"\"\""), Ok("say \"hi\"".into()));
        assert_eq!(resolve("my-db"), Ok("my-db".into()), "kept as written");
        assert_eq!(resolve("données"), Ok("données".into()));
        assert_eq!(resolve("1abc"), Ok("1abc".into()), "not unquoted-valid");
    }

    #[test]
    fn hostile_names_are_quoted_or_refused() {
        let hostile = "a\"; DROP DATABASE x; --";
        let stored = resolve(hostile).expect("a legal quoted name");
        assert_eq!(stored, hostile);
        assert_eq!(quote(&stored), "\"a\"\"; DROP DATABASE x; --\"");
        assert_eq!(quote("back\\slash"), "\"back\\slash\"");
        assert_eq!(quote("it's"), "\"it's\"");
        assert_eq!(resolve(""), Err(NameError::Empty));
        assert_eq!(resolve("\"\""), Err(NameError::Empty));
        assert_eq!(resolve("\"a\"b\""), Err(NameError::LoneQuote));
        assert_eq!(resolve(&"x".repeat(256)), Err(NameError::TooLong(256)));
        assert_eq!(
            resolve(&"é".repeat(255)),
            Ok("é".repeat(255)),
            "characters, not bytes"
        );
        assert_eq!(resolve("a\nb"), Err(NameError::Control(10)));
        assert_eq!(resolve("a\0b"), Err(NameError::Control(0)));
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("s3://b/"), "'s3://b/'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\'; DROP x; --"), "'a\\\\''; DROP x; --'");
        assert_eq!(literal("\"VOL\""), "'\"VOL\"'");
    }
}
