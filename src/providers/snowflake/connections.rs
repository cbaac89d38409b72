//! The user's Snowflake CLI connections, loaded whole: `connections.toml` (or
//! `[connections.NAME]` tables in `config.toml`) in `$SNOWFLAKE_HOME`, else `~/.snowflake/`
//! (else `~/.config/snowflake/`, where newer Snowflake CLIs put it on Linux). A connection
//! in `connections.toml` wins over one of the same name in `config.toml`. The default
//! connection is `$SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else `default_connection_name` in
//! `config.toml`, else `default`. Every field can be overridden by a
//! `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variable (a connection may live in variables only).
//!
//! What forge uses of a connection: `account`, `user`, `role`, `warehouse`, `database`,
//! `schema`, `host`/`port`/`protocol` (tests point them at the emulator) and how it
//! authenticates — the SQL API takes a key pair (`authenticator = "SNOWFLAKE_JWT"`,
//! `private_key_file` or the older `private_key_path`, `private_key_file_pwd` for an
//! encrypted key), a programmatic access token (`PROGRAMMATIC_ACCESS_TOKEN`, `token` or
//! `token_file_path`) or an OAuth token (`oauth`, same fields); never a password. Tokens
//! and passphrases are [`Secret`]s: they never appear in `Debug` output, errors or logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::provider::ProviderError;

/// A secret value of a connection (a token, a passphrase, an inline key). Its `Debug`
/// says only that it is there.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Where the files are and what the environment says, so tests can point elsewhere.
#[derive(Clone)]
pub struct Lookup {
    /// The directory holding `connections.toml` and `config.toml`.
    pub dir: PathBuf,
    /// `SNOWFLAKE_DEFAULT_CONNECTION_NAME`.
    pub default_name: Option<String>,
    /// Every `SNOWFLAKE_CONNECTIONS_<NAME>_<KEY>` variable, by what follows the prefix
    /// (`<NAME>_<KEY>`, as set). Values may be secrets.
    pub env: BTreeMap<String, String>,
    /// The home directory, for `~/` in key and token paths.
    pub home: Option<PathBuf>,
}

impl std::fmt::Debug for Lookup {
    /// The variables' names only: their values may be tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field("dir", &self.dir)
            .field("default_name", &self.default_name)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Lookup {
    /// From the process environment.
    pub fn from_env() -> Self {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let dir = match std::env::var_os("SNOWFLAKE_HOME") {
            Some(d) => PathBuf::from(d),
            None => default_dir(home.as_deref()),
        };
        let env = std::env::vars()
            .filter_map(|(k, v)| {
                k.strip_prefix("SNOWFLAKE_CONNECTIONS_")
                    .map(|rest| (rest.to_string(), v))
            })
            .collect();
        Self {
            dir,
            default_name: std::env::var("SNOWFLAKE_DEFAULT_CONNECTION_NAME").ok(),
            env,
            home,
        }
    }

    /// A lookup in `dir` only, without variables (for tests and tools).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            default_name: None,
            env: BTreeMap::new(),
            home: None,
        }
    }
}

/// `~/.snowflake` if it exists, else `~/.config/snowflake` (or `$XDG_CONFIG_HOME/snowflake`)
/// if that does, else `~/.snowflake` (named in messages).
fn default_dir(home: Option<&Path>) -> PathBuf {
    let home = home.map(Path::to_path_buf).unwrap_or_default();
    let classic = home.join(".snowflake");
    if classic.is_dir() {
        return classic;
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"))
        .join("snowflake");
    if xdg.is_dir() { xdg } else { classic }
}

/// How the connection authenticates to the SQL API.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// `SNOWFLAKE_JWT`: an RS256 JWT signed with the user's private key.
    KeyPair {
        /// The PKCS#8 (or PKCS#1) PEM key: a file, or inline (`private_key`).
        key: KeySource,
        /// `private_key_file_pwd`, for an encrypted PKCS#8 key.
        passphrase: Option<Secret>,
    },
    /// `PROGRAMMATIC_ACCESS_TOKEN`.
    Pat(TokenSource),
    /// `oauth`: an OAuth access token got elsewhere.
    OAuth(TokenSource),
}

impl Auth {
    /// The authenticator's name, as `connections.toml` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Auth::KeyPair { .. } => "SNOWFLAKE_JWT",
            Auth::Pat(_) => "PROGRAMMATIC_ACCESS_TOKEN",
            Auth::OAuth(_) => "OAUTH",
        }
    }
}

/// Where the private key is.
#[derive(Debug, Clone, PartialEq)]
pub enum KeySource {
    /// `private_key_file` / `private_key_path`.
    File(PathBuf),
    /// `private_key`: the PEM text itself.
    Inline(Secret),
}

/// Where a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    /// `token` (or, for a PAT, `password`).
    Inline(Secret),
    /// `token_file_path`: read on use, so a renewed token is picked up.
    File(PathBuf),
}

/// One connection, complete: what forge needs to reach the account.
#[derive(Debug, Clone, PartialEq)]
pub struct SnowflakeConnection {
    /// Its name.
    pub name: String,
    /// The account identifier (`ORG-ACCOUNT`, or a locator like `xy12345.us-east-1`).
    pub account: String,
    /// The user.
    pub user: String,
    /// The connection's default role.
    pub role: Option<String>,
    /// The warehouse statements run on.
    pub warehouse: Option<String>,
    /// The default database.
    pub database: Option<String>,
    /// The default schema.
    pub schema: Option<String>,
    /// How it authenticates.
    pub auth: Auth,
    /// `host` (default `<account>.snowflakecomputing.com`).
    pub host: Option<String>,
    /// `port` (default 443).
    pub port: Option<u16>,
    /// `protocol`: `https` (default) or `http`.
    pub protocol: Option<String>,
    /// The file (or variables) it was read from, for messages.
    pub source: String,
}

impl SnowflakeConnection {
    /// The SQL API's base URL: `protocol://host[:port]`.
    pub fn base_url(&self) -> String {
        let protocol = self.protocol.as_deref().unwrap_or("https").to_lowercase();
        let host = self
            .host
            .clone()
            .unwrap_or_else(|| format!("{}.snowflakecomputing.com", self.account.to_lowercase()));
        let default_port = if protocol == "http" { 80 } else { 443 };
        match self.port {
            Some(p) if p != default_port => format!("{protocol}://{host}:{p}"),
            _ => format!("{protocol}://{host}"),
        }
    }
}

/// Every key forge reads, lower case (the env override's `<KEY>` is the upper case).
const KEYS: &[&str] = &[
    "account",
    "user",
    "role",
    "warehouse",
    "database",
    "schema",
    "authenticator",
    "private_key_file",
    "private_key_path",
    "private_key_file_pwd",
    "private_key_passphrase",
    "private_key",
    "token",
    "token_file_path",
    "password",
    "host",
    "port",
    "protocol",
];

type Tables = BTreeMap<String, toml::Value>;

/// Reads a TOML file: `None` when it is not there. A file that does not parse is an
/// error naming the line only (the text of the line may hold a token).
fn read(path: &Path) -> Result<Option<Tables>, ProviderError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        ProviderError::Credentials {
            operation: "read the Snowflake connections".into(),
            reason: format!(
                "{} is not valid TOML{}",
                path.display(),
                line.map(|l| format!(" (line {l})")).unwrap_or_default()
            ),
            hint: "fix the file (`snow connection list` shows what the Snowflake CLI makes of it)"
                .into(),
        }
    })
}

/// A TOML value as text: strings as they are, numbers and booleans as written.
fn text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The name asked for, else the default connection's.
fn resolve_name(lookup: &Lookup, config: &Tables, name: Option<&str>) -> String {
    name.map(str::to_string)
        .or_else(|| lookup.default_name.clone())
        .or_else(|| {
            config
                .get("default_connection_name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "default".into())
}

/// A connection's raw fields (keys lower-cased) and a description of where they came from.
type Found = (BTreeMap<String, String>, String);

/// The raw fields of connection `name`, from the files and the variables, and where they
/// came from; `None` when it is nowhere.
fn fields(lookup: &Lookup, name: &str) -> Result<Option<Found>, ProviderError> {
    let connections_file = lookup.dir.join("connections.toml");
    let config_file = lookup.dir.join("config.toml");
    let config = read(&config_file)?.unwrap_or_default();
    let from_connections = read(&connections_file)?
        .and_then(|t| t.get(name).and_then(|v| v.as_table()).cloned())
        .map(|t| (t, connections_file.display().to_string()));
    let from_config = || {
        config
            .get("connections")
            .and_then(|c| c.as_table())
            .and_then(|t| t.get(name))
            .and_then(|v| v.as_table())
            .cloned()
            .map(|t| (t, config_file.display().to_string()))
    };
    let mut found = from_connections.or_else(from_config).map(|(table, src)| {
        let map: BTreeMap<String, String> = table
            .iter()
            .filter_map(|(k, v)| text(v).map(|t| (k.to_lowercase(), t)))
            .collect();
        (map, src)
    });
    let prefix = format!("{}_", name.to_uppercase());
    let mut overridden = Vec::new();
    for key in KEYS {
        let var = format!("{prefix}{}", key.to_uppercase());
        if let Some(v) = lookup.env.get(&var) {
            overridden.push(format!("SNOWFLAKE_CONNECTIONS_{var}"));
            found
                .get_or_insert_with(|| (BTreeMap::new(), "the environment".into()))
                .0
                .insert(key.to_string(), v.clone());
        }
    }
    if let Some((_, src)) = found.as_mut()
        && !overridden.is_empty()
        && src != "the environment"
    {
        src.push_str(" and the environment");
    }
    Ok(found)
}

/// A connection that is missing, with where forge looked and what to do.
fn missing(lookup: &Lookup, name: &str) -> ProviderError {
    ProviderError::Credentials {
        operation: format!("find Snowflake connection `{name}`"),
        reason: format!("there is no Snowflake connection `{name}`"),
        hint: format!(
            "forge looked in {} and {}: add it with `snow connection add --connection-name {name}`, or name an existing one in `l2c.snowflake.connection`",
            lookup.dir.join("connections.toml").display(),
            lookup.dir.join("config.toml").display()
        ),
    }
}

/// The connection `name` (the default one when `None`) exists; its name, or why not.
pub fn check(lookup: &Lookup, name: Option<&str>) -> Result<String, ProviderError> {
    load(lookup, name).map(|c| c.name)
}

/// `~/…` against the home directory; other paths as they are.
fn expand_home(lookup: &Lookup, p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), &lookup.home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(p),
    }
}

/// Loads connection `name` (the default one when `None`), complete and checked: account,
/// user and an authenticator the SQL API takes.
pub fn load(lookup: &Lookup, name: Option<&str>) -> Result<SnowflakeConnection, ProviderError> {
    let config = read(&lookup.dir.join("config.toml"))?.unwrap_or_default();
    let name = resolve_name(lookup, &config, name);
    let Some((f, source)) = fields(lookup, &name)? else {
        return Err(missing(lookup, &name));
    };
    let bad = |reason: String, hint: &str| ProviderError::Credentials {
        operation: format!("use Snowflake connection `{name}`"),
        reason,
        hint: hint.to_string(),
    };
    let get = |k: &str| f.get(k).filter(|v| !v.is_empty()).cloned();
    let account = get("account").ok_or_else(|| {
        bad(
            format!("connection `{name}` in {source} has no `account`"),
            "set `account` to the account identifier (`ORGNAME-ACCOUNTNAME`, see `SELECT CURRENT_ORGANIZATION_NAME() || '-' || CURRENT_ACCOUNT_NAME()`)",
        )
    })?;
    let user = get("user").ok_or_else(|| {
        bad(
            format!("connection `{name}` in {source} has no `user`"),
            "set `user` to the Snowflake user forge acts as",
        )
    })?;
    let token = || -> Option<TokenSource> {
        get("token")
            .map(|t| TokenSource::Inline(Secret::new(t)))
            .or_else(|| get("token_file_path").map(|p| TokenSource::File(expand_home(lookup, &p))))
    };
    let key = || -> Option<KeySource> {
        get("private_key_file")
            .or_else(|| get("private_key_path"))
            .map(|p| KeySource::File(expand_home(lookup, &p)))
            .or_else(|| get("private_key").map(|k| KeySource::Inline(Secret::new(k))))
    };
    let authenticator = get("authenticator").map(|a| a.to_uppercase());
    let no_token = |what: &str| {
        bad(
            format!(
                "connection `{name}` in {source} uses {what} but has no `token` or `token_file_path`"
            ),
            "set `token_file_path` to a file holding the token (or `token` to the token itself)",
        )
    };
    let passphrase = || {
        get("private_key_file_pwd")
            .or_else(|| get("private_key_passphrase"))
            .map(Secret::new)
    };
    let refused = |what: String| {
        bad(
            format!(
                "connection `{name}` in {source} uses {what}, which Snowflake's SQL API does not accept"
            ),
            "use a key pair (`authenticator = \"SNOWFLAKE_JWT\"` and `private_key_file`, see `snow connection generate-jwt`) or a programmatic access token (`authenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"` and `token_file_path`)",
        )
    };
    let auth = match (authenticator.as_deref(), key()) {
        (Some("SNOWFLAKE_JWT"), Some(key)) => Auth::KeyPair {
            key,
            passphrase: passphrase(),
        },
        (Some("SNOWFLAKE_JWT"), None) => {
            return Err(bad(
                format!(
                    "connection `{name}` in {source} uses SNOWFLAKE_JWT but has no `private_key_file`"
                ),
                "set `private_key_file` to the PEM file of the user's private key (PKCS#8)",
            ));
        }
        (Some("PROGRAMMATIC_ACCESS_TOKEN"), _) => Auth::Pat(
            token()
                .or_else(|| get("password").map(|p| TokenSource::Inline(Secret::new(p))))
                .ok_or_else(|| no_token("a programmatic access token"))?,
        ),
        (Some("OAUTH"), _) => Auth::OAuth(token().ok_or_else(|| no_token("OAuth"))?),
        // No authenticator: a key implies a key pair.
        (None, Some(key)) => Auth::KeyPair {
            key,
            passphrase: passphrase(),
        },
        (None, None) => return Err(refused("a password (no `authenticator`)".into())),
        (Some(other), _) => return Err(refused(format!("authenticator `{other}`"))),
    };
    let port = match get("port") {
        Some(p) => Some(p.parse::<u16>().map_err(|_| {
            bad(
                format!(
                    "connection `{name}` in {source} has port `{p}`, which is not a port number"
                ),
                "set `port` to a number (443 for Snowflake)",
            )
        })?),
        None => None,
    };
    let protocol = get("protocol");
    if let Some(p) = &protocol
        && !matches!(p.to_lowercase().as_str(), "https" | "http")
    {
        return Err(bad(
            format!("connection `{name}` in {source} has protocol `{p}`"),
            "set `protocol` to `https` (or leave it out)",
        ));
    }
    Ok(SnowflakeConnection {
        name: name.clone(),
        account,
        user,
        role: get("role"),
        warehouse: get("warehouse"),
        database: get("database"),
        schema: get("schema"),
        auth,
        host: get("host"),
        port,
        protocol,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::write(dir.join(file), text).expect("write");
    }

    #[test]
    fn connections_are_found_where_the_snowflake_cli_keeps_them() {
        let d = tempfile::tempdir().expect("tmp");
        let l = Lookup::in_dir(d.path());
        assert!(check(&l, None).is_err(), "nothing there");
        write(
            d.path(),
            "connections.toml",
            "[prod]\naccount = \"x\"\nuser = \"u\"\nauthenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\ntoken = \"t\"\n",
        );
        assert_eq!(check(&l, Some("prod")).expect("found"), "prod");
        let e = check(&l, Some("dev")).expect_err("missing");
        assert!(
            e.to_string().contains("no Snowflake connection `dev`"),
            "{e}"
        );
        assert!(e.hint().expect("hint").contains("snow connection add"));
        write(
            d.path(),
            "config.toml",
            "default_connection_name = \"prod\"\n[connections.dev]\naccount = \"y\"\nuser = \"v\"\nprivate_key_file = \"~/k.p8\"\n[connections.prod]\naccount = \"shadowed\"\n",
        );
        let prod = load(&l, None).expect("default");
        assert_eq!(
            (prod.name.as_str(), prod.account.as_str()),
            ("prod", "x"),
            "connections.toml wins over config.toml"
        );
        let dev = load(&l, Some("dev")).expect("config.toml");
        assert_eq!(dev.account, "y");
        assert!(
            matches!(dev.auth, Auth::KeyPair { .. }),
            "a key implies SNOWFLAKE_JWT"
        );
        let mut l2 = l.clone();
        l2.default_name = Some("dev".into());
        assert_eq!(check(&l2, None).expect("env default"), "dev");
    }

    #[test]
    fn variables_override_fields_and_can_hold_a_whole_connection() {
        let d = tempfile::tempdir().expect("tmp");
        write(
            d.path(),
            "connections.toml",
            "[my_conn]\naccount = \"acme-prod\"\nuser = \"forge\"\nauthenticator = \"snowflake_jwt\"\nprivate_key_file = \"/keys/a.p8\"\nport = 8443\n",
        );
        let mut l = Lookup::in_dir(d.path());
        l.home = Some("/home/me".into());
        l.env.insert("MY_CONN_ROLE".into(), "LOADER".into());
        l.env
            .insert("MY_CONN_PRIVATE_KEY_FILE".into(), "~/b.p8".into());
        l.env
            .insert("MY_CONN_PRIVATE_KEY_FILE_PWD".into(), "hunter2".into());
        let c = load(&l, Some("my_conn")).expect("loads");
        assert_eq!(c.role.as_deref(), Some("LOADER"));
        assert_eq!(
            c.auth,
            Auth::KeyPair {
                key: KeySource::File("/home/me/b.p8".into()),
                passphrase: Some(Secret::new("hunter2")),
            }
        );
        assert_eq!(
            c.base_url(),
            "https://acme-prod.snowflakecomputing.com:8443"
        );
        assert!(c.source.ends_with("and the environment"), "{}", c.source);
        assert!(!format!("{c:?}").contains("hunter2"), "no secret in Debug");
        assert!(!format!("{l:?}").contains("hunter2"), "no secret in Debug");

        let mut ci = Lookup::in_dir(d.path());
        for (k, v) in [
            ("CI_ACCOUNT", "acme-ci"),
            ("CI_USER", "bot"),
            ("CI_AUTHENTICATOR", "OAUTH"),
            ("CI_TOKEN", "s3cr3t"),
            ("CI_HOST", "127.0.0.1"),
            ("CI_PORT", "8085"),
            ("CI_PROTOCOL", "http"),
        ] {
            ci.env.insert(k.into(), v.into());
        }
        let c = load(&ci, Some("ci")).expect("from variables");
        assert_eq!(
            c.auth,
            Auth::OAuth(TokenSource::Inline(Secret::new("s3cr3t")))
        );
        assert_eq!(c.base_url(), "http://127.0.0.1:8085");
        assert_eq!(c.source, "the environment");
    }

    #[test]
    fn what_the_sql_api_cannot_use_is_refused_with_a_remedy() {
        let d = tempfile::tempdir().expect("tmp");
        write(
            d.path(),
            "connections.toml",
            "[pw]\naccount = \"a\"\nuser = \"u\"\npassword = \"hunter2\"\n\
             [sso]\naccount = \"a\"\nuser = \"u\"\nauthenticator = \"externalbrowser\"\n\
             [pat]\naccount = \"a\"\nuser = \"u\"\nauthenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\n\
             [nouser]\naccount = \"a\"\ntoken = \"t\"\n\
             [port]\naccount = \"a\"\nuser = \"u\"\nprivate_key_file = \"k\"\nport = \"many\"\n",
        );
        let l = Lookup::in_dir(d.path());
        let e = load(&l, Some("pw")).expect_err("password");
        assert!(e.to_string().contains("does not accept"), "{e}");
        assert!(!e.to_string().contains("hunter2"));
        assert!(e.hint().expect("hint").contains("SNOWFLAKE_JWT"));
        let e = load(&l, Some("sso")).expect_err("sso");
        assert!(e.to_string().contains("`EXTERNALBROWSER`"), "{e}");
        let e = load(&l, Some("pat")).expect_err("no token");
        assert!(e.to_string().contains("no `token`"), "{e}");
        let e = load(&l, Some("nouser")).expect_err("no user");
        assert!(e.to_string().contains("has no `user`"), "{e}");
        let e = load(&l, Some("port")).expect_err("bad port");
        assert!(e.to_string().contains("not a port number"), "{e}");
        write(d.path(), "connections.toml", "[x]\ntoken = \"abc\n");
        let e = load(&l, Some("x")).expect_err("not TOML");
        assert!(e.to_string().contains("(line 2)"), "{e}");
        assert!(!e.to_string().contains("abc"), "{e}");
    }
}
