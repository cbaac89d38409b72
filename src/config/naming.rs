//! Cloud resource names: `<user>-<project>-<catalog>` for AWS and
//! `<USER>_<PROJECT>_<CATALOG>` for Snowflake, as the original tool names them, but
//! checked: an AWS name must be a valid S3 bucket name, a Snowflake name a valid
//! unquoted identifier.

/// The parts a cloud name is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts {
    /// The user part, absent with `no_prefix`.
    pub prefix: Option<String>,
    /// The project.
    pub project: String,
}

impl NameParts {
    fn parts<'a>(&'a self, catalog: &'a str) -> impl Iterator<Item = &'a str> {
        self.prefix
            .as_deref()
            .into_iter()
            .chain([self.project.as_str(), catalog])
    }

    /// The AWS name: lowercase, hyphen-joined, anything outside `a-z0-9-` turned into `-`.
    pub fn aws(&self, catalog: &str) -> String {
        let joined: Vec<String> = self.parts(catalog).map(|p| p.to_lowercase()).collect();
        let raw = joined.join("-");
        let mut out = String::with_capacity(raw.len());
        for c in raw.chars() {
            let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            };
            if !(c == '-' && out.ends_with('-')) {
                out.push(c);
            }
        }
        out.trim_matches('-').to_string()
    }

    /// The Snowflake name: uppercase, underscore-joined, anything outside `A-Z0-9_` turned into `_`.
    pub fn snowflake(&self, catalog: &str) -> String {
        let joined: Vec<String> = self.parts(catalog).map(|p| p.to_uppercase()).collect();
        let mut out: String = joined
            .join("_")
            .chars()
            .map(|c| {
                if c.is_ascii_uppercase() || c.is_ascii_digit() {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if out.starts_with(|c: char| c.is_ascii_digit()) {
            out.insert(0, '_');
        }
        out
    }
}

/// Why a string is not a valid S3 bucket name, or `None` if it is.
pub fn bucket_name_problem(name: &str) -> Option<String> {
    if !(3..=63).contains(&name.len()) {
        return Some(format!(
            "bucket names are 3 to 63 characters long; this one has {}",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Some("bucket names use only lowercase letters, digits, `-` and `.`".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Some("bucket names start and end with a letter or digit".into());
    }
    if name.contains("..") {
        return Some("bucket names have no two adjacent dots".into());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("bucket names are not IP addresses".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_example_names() {
        let n = NameParts {
            prefix: Some("kameshs".into()),
            project: "polaris-dev".into(),
        };
        assert_eq!(n.aws("polardb"), "kameshs-polaris-dev-polardb");
        assert_eq!(n.snowflake("polardb"), "KAMESHS_POLARIS_DEV_POLARDB");
    }

    #[test]
    fn sanitises_what_the_seed_let_through() {
        let n = NameParts {
            prefix: Some("first.last@corp".into()),
            project: "My_Project".into(),
        };
        assert_eq!(n.aws("db"), "first-last-corp-my-project-db");
        assert_eq!(n.snowflake("db"), "FIRST_LAST_CORP_MY_PROJECT_DB");
        let no = NameParts {
            prefix: None,
            project: "9lives".into(),
        };
        assert_eq!(no.aws("c"), "9lives-c");
        assert_eq!(no.snowflake("c"), "_9LIVES_C");
    }

    #[test]
    fn bucket_rules() {
        assert!(bucket_name_problem("ok-bucket.1").is_none());
        assert!(bucket_name_problem("ab").is_some());
        assert!(bucket_name_problem(&"a".repeat(64)).is_some());
        assert!(bucket_name_problem("Upper").is_some());
        assert!(bucket_name_problem("-dash").is_some());
        assert!(bucket_name_problem("a..b").is_some());
        assert!(bucket_name_problem("192.168.1.1").is_some());
    }
}
