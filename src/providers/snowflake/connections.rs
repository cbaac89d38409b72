//! The user's Snowflake CLI connections: `connections.toml` (or `[connections.NAME]`
//! tables in `config.toml`) in `$SNOWFLAKE_HOME`, else `~/.snowflake/`; the default
//! connection is `$SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else `default_connection_name` in
//! `config.toml`, else `default`. Fields can be overridden by
//! `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variables. Only finding the connection is done
//! here (it is checked at plan time); using it is the Snowflake client's.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::provider::ProviderError;

/// Where the files are and what the environment says, so tests can point elsewhere.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The directory holding `connections.toml` and `config.toml`.
    pub dir: PathBuf,
    /// `SNOWFLAKE_DEFAULT_CONNECTION_NAME`.
    pub default_name: Option<String>,
    /// Every `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variable, by upper-cased name.
    pub overridden: Vec<String>,
}

impl Lookup {
    /// From the process environment.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("SNOWFLAKE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".snowflake")
            });
        let overridden = std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("SNOWFLAKE_CONNECTIONS_").map(str::to_string))
            .collect();
        Self {
            dir,
            default_name: std::env::var("SNOWFLAKE_DEFAULT_CONNECTION_NAME").ok(),
            overridden,
        }
    }
}

type Tables = BTreeMap<String, toml::Value>;

fn read(path: &PathBuf) -> Option<Tables> {
    let text = std::fs::read_to_string(path).ok()?;
    toml::from_str(&text).ok()
}

/// The connection `name` (the default one when `None`) exists; or why not, with where
/// forge looked and what to do.
pub fn check(lookup: &Lookup, name: Option<&str>) -> Result<String, ProviderError> {
    let connections_file = lookup.dir.join("connections.toml");
    let config_file = lookup.dir.join("config.toml");
    let config = read(&config_file).unwrap_or_default();
    let name = name
        .map(str::to_string)
        .or_else(|| lookup.default_name.clone())
        .or_else(|| {
            config
                .get("default_connection_name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "default".into());
    let in_connections = read(&connections_file).is_some_and(|t| t.contains_key(&name));
    let in_config = config
        .get("connections")
        .and_then(|c| c.as_table())
        .is_some_and(|t| t.contains_key(&name));
    let prefix = format!("{}_", name.to_uppercase());
    let in_env = lookup.overridden.iter().any(|k| k.starts_with(&prefix));
    if in_connections || in_config || in_env {
        return Ok(name);
    }
    Err(ProviderError::Credentials {
        operation: format!("find Snowflake connection `{name}`"),
        reason: format!("there is no Snowflake connection `{name}`"),
        hint: format!(
            "forge looked in {} and {}: add it with `snow connection add --connection-name {name}`, or name an existing one in `l2c.snowflake.connection`",
            connections_file.display(),
            config_file.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(dir: &std::path::Path) -> Lookup {
        Lookup {
            dir: dir.to_path_buf(),
            default_name: None,
            overridden: vec![],
        }
    }

    #[test]
    fn connections_are_found_where_the_snowflake_cli_keeps_them() {
        let d = tempfile::tempdir().expect("tmp");
        assert!(check(&lookup(d.path()), None).is_err(), "nothing there");
        std::fs::write(
            d.path().join("connections.toml"),
            "[prod]\naccount = \"x\"\n",
        )
        .expect("write");
        assert_eq!(
            check(&lookup(d.path()), Some("prod")).expect("found"),
            "prod"
        );
        let e = check(&lookup(d.path()), Some("dev")).expect_err("missing");
        assert!(
            e.to_string().contains("no Snowflake connection `dev`"),
            "{e}"
        );
        assert!(e.hint().expect("hint").contains("snow connection add"));
        std::fs::write(
            d.path().join("config.toml"),
            "default_connection_name = \"prod\"\n[connections.dev]\naccount = \"y\"\n",
        )
        .expect("write");
        assert_eq!(check(&lookup(d.path()), None).expect("default"), "prod");
        assert_eq!(
            check(&lookup(d.path()), Some("dev")).expect("config.toml"),
            "dev"
        );
        let mut l = lookup(d.path());
        l.overridden = vec!["CI_ACCOUNT".into()];
        assert_eq!(check(&l, Some("ci")).expect("env"), "ci");
    }
}
