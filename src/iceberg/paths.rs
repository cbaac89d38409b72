//! [`PathMap`]: where a table's paths move, and [`Paths`], which applies it to every
//! path of one file and collects the ones outside the source location (a table that
//! cannot be moved as a whole).

use super::RewriteError;

/// A location prefix mapping: paths under `from` move under `to`. `s3a://` and
/// `s3://` spellings of the same prefix are both recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMap {
    from: String,
    to: String,
    alias: Option<String>,
}

impl PathMap {
    /// Maps `from` to `to` (trailing slashes ignored).
    pub fn new(from: &str, to: &str) -> Self {
        let from = from.trim_end_matches('/').to_string();
        let alias = from
            .strip_prefix("s3://")
            .map(|r| format!("s3a://{r}"))
            .or_else(|| from.strip_prefix("s3a://").map(|r| format!("s3://{r}")));
        Self {
            to: to.trim_end_matches('/').to_string(),
            from,
            alias,
        }
    }

    /// The new path, or `None` if `path` is outside the source location.
    pub fn map(&self, path: &str) -> Option<String> {
        for prefix in std::iter::once(&self.from).chain(self.alias.as_ref()) {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Some(format!("{}{rest}", self.to));
            }
        }
        None
    }

    /// The source location.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The destination location.
    pub fn to(&self) -> &str {
        &self.to
    }
}

/// Rewrites the paths of one file with a [`PathMap`], remembering (up to ten of) those
/// outside its source location.
pub(super) struct Paths<'a> {
    map: &'a PathMap,
    outside: Vec<String>,
}

impl<'a> Paths<'a> {
    /// A collector for one file.
    pub(super) fn new(map: &'a PathMap) -> Self {
        Self {
            map,
            outside: vec![],
        }
    }

    /// The new path (the old one, remembered, if it lies outside).
    pub(super) fn rewrite(&mut self, p: &str) -> String {
        match self.map.map(p) {
            Some(n) => n,
            None => {
                if self.outside.len() < 10 {
                    self.outside.push(p.to_string());
                }
                p.to_string()
            }
        }
    }

    /// `Err` naming the paths outside the source location, if there were any.
    pub(super) fn done(self) -> Result<(), RewriteError> {
        if self.outside.is_empty() {
            Ok(())
        } else {
            Err(RewriteError::Outside {
                from: self.map.from().to_string(),
                paths: self.outside,
            })
        }
    }
}
