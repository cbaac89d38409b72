//! The SQL forge sends to Snowflake: one minijinja template per statement shape, in `templates/snowflake/`
//! at the repository root, embedded in the binary.
//!
//! Templates never put a value into SQL as it is. Each goes through a filter: `ident`
//! (a stored name, checked and double-quoted, see [`names`]), `qualified` (a list of
//! names joined with `.`), `lit` (a single-quoted literal) or `keyword` (one of the few
//! keywords forge uses, by [`ObjectType`] and [`Privilege`]). The formatter refuses
//! anything else, so a template that forgets a filter fails every time it renders —
//! in the unit tests below — instead of sending a raw value.

use std::sync::OnceLock;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::names;
use crate::provider::ProviderError;

/// Every template: its name (the file in `templates/snowflake/`) and its text.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "create_external_volume",
        include_str!("../../../templates/snowflake/create_external_volume.sql"),
    ),
    (
        "describe_external_volume",
        include_str!("../../../templates/snowflake/describe_external_volume.sql"),
    ),
    (
        "create_catalog_integration",
        include_str!("../../../templates/snowflake/create_catalog_integration.sql"),
    ),
    (
        "describe_catalog_integration",
        include_str!("../../../templates/snowflake/describe_catalog_integration.sql"),
    ),
    (
        "create_database",
        include_str!("../../../templates/snowflake/create_database.sql"),
    ),
    (
        "show_databases",
        include_str!("../../../templates/snowflake/show_databases.sql"),
    ),
    (
        "create_schema",
        include_str!("../../../templates/snowflake/create_schema.sql"),
    ),
    (
        "show_schemas",
        include_str!("../../../templates/snowflake/show_schemas.sql"),
    ),
    (
        "show_tables",
        include_str!("../../../templates/snowflake/show_tables.sql"),
    ),
    (
        "create_role",
        include_str!("../../../templates/snowflake/create_role.sql"),
    ),
    (
        "show_roles",
        include_str!("../../../templates/snowflake/show_roles.sql"),
    ),
    (
        "grant",
        include_str!("../../../templates/snowflake/grant.sql"),
    ),
    (
        "revoke",
        include_str!("../../../templates/snowflake/revoke.sql"),
    ),
    (
        "grant_role_to_user",
        include_str!("../../../templates/snowflake/grant_role_to_user.sql"),
    ),
    (
        "revoke_role_from_user",
        include_str!("../../../templates/snowflake/revoke_role_from_user.sql"),
    ),
    (
        "show_grants_to_role",
        include_str!("../../../templates/snowflake/show_grants_to_role.sql"),
    ),
    (
        "show_grants_of_role",
        include_str!("../../../templates/snowflake/show_grants_of_role.sql"),
    ),
    (
        "show_grants_on",
        include_str!("../../../templates/snowflake/show_grants_on.sql"),
    ),
    (
        "drop",
        include_str!("../../../templates/snowflake/drop.sql"),
    ),
    (
        "create_iceberg_table",
        include_str!("../../../templates/snowflake/create_iceberg_table.sql"),
    ),
    (
        "refresh_iceberg_table",
        include_str!("../../../templates/snowflake/refresh_iceberg_table.sql"),
    ),
    (
        "show_iceberg_tables",
        include_str!("../../../templates/snowflake/show_iceberg_tables.sql"),
    ),
    (
        "iceberg_table_information",
        include_str!("../../../templates/snowflake/iceberg_table_information.sql"),
    ),
];

/// A kind of object, as `GRANT ... ON <type>`, `SHOW GRANTS ON <type>` and
/// `DROP <type>` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ObjectType {
    /// `EXTERNAL VOLUME`.
    #[serde(rename = "EXTERNAL VOLUME")]
    ExternalVolume,
    /// `INTEGRATION` (a catalog integration).
    #[serde(rename = "INTEGRATION")]
    Integration,
    /// `DATABASE`.
    #[serde(rename = "DATABASE")]
    Database,
    /// `SCHEMA`.
    #[serde(rename = "SCHEMA")]
    Schema,
    /// `ROLE`.
    #[serde(rename = "ROLE")]
    Role,
    /// `ICEBERG TABLE`.
    #[serde(rename = "ICEBERG TABLE")]
    IcebergTable,
}

impl ObjectType {
    /// The SQL keyword(s).
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectType::ExternalVolume => "EXTERNAL VOLUME",
            ObjectType::Integration => "INTEGRATION",
            ObjectType::Database => "DATABASE",
            ObjectType::Schema => "SCHEMA",
            ObjectType::Role => "ROLE",
            ObjectType::IcebergTable => "ICEBERG TABLE",
        }
    }

    /// How `SHOW GRANTS` names it in `granted_on`.
    pub fn granted_on(self) -> &'static str {
        match self {
            ObjectType::ExternalVolume => "EXTERNAL_VOLUME",
            ObjectType::IcebergTable => "TABLE",
            other => other.keyword(),
        }
    }
}

/// A privilege forge grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Privilege {
    /// `USAGE`.
    #[serde(rename = "USAGE")]
    Usage,
    /// `CREATE ICEBERG TABLE`.
    #[serde(rename = "CREATE ICEBERG TABLE")]
    CreateIcebergTable,
}

impl Privilege {
    /// The SQL keyword(s).
    pub fn keyword(self) -> &'static str {
        match self {
            Privilege::Usage => "USAGE",
            Privilege::CreateIcebergTable => "CREATE ICEBERG TABLE",
        }
    }

    /// The privilege `SHOW GRANTS` lists as `text`, if forge writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USAGE" => Some(Privilege::Usage),
            "CREATE ICEBERG TABLE" => Some(Privilege::CreateIcebergTable),
            _ => None,
        }
    }
}

/// What the `keyword` filter lets through.
const KEYWORDS: &[&str] = &[
    "EXTERNAL VOLUME",
    "INTEGRATION",
    "DATABASE",
    "SCHEMA",
    "ROLE",
    "ICEBERG TABLE",
    "USAGE",
    "CREATE ICEBERG TABLE",
];

fn refused(why: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, why)
}

fn ident(name: String) -> Result<Value, Error> {
    names::validate(&name).map_err(|e| refused(format!("`{name}` is not a name: {e}")))?;
    Ok(Value::from_safe_string(names::quote(&name)))
}

fn qualified(parts: Vec<String>) -> Result<Value, Error> {
    if parts.is_empty() {
        return Err(refused("an empty qualified name".into()));
    }
    let quoted: Result<Vec<String>, Error> = parts
        .into_iter()
        .map(|p| ident(p).map(|v| v.to_string()))
        .collect();
    Ok(Value::from_safe_string(quoted?.join(".")))
}

fn lit(text: String) -> Value {
    Value::from_safe_string(names::literal(&text))
}

fn keyword(word: String) -> Result<Value, Error> {
    if KEYWORDS.contains(&word.as_str()) {
        Ok(Value::from_safe_string(word))
    } else {
        Err(refused(format!(
            "`{word}` is not one of forge's SQL keywords"
        )))
    }
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("ident", ident);
        env.add_filter("qualified", qualified);
        env.add_filter("lit", lit);
        env.add_filter("keyword", keyword);
        env.set_formatter(|out, _state, value| {
            if value.is_safe() {
                write!(out, "{value}").map_err(|_| refused("cannot write".into()))
            } else {
                Err(refused(format!(
                    "`{value}` would reach the SQL unquoted (use `ident`, `qualified`, `lit` or `keyword`)"
                )))
            }
        });
        for (name, text) in TEMPLATES {
            // A template that does not parse is a bug the tests below catch.
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, "forge's SQL template does not parse: {e}");
            }
        }
        env
    })
}

/// A template of forge's could not render its parameters: a name it should have
/// refused earlier, or a bug.
#[derive(Debug, thiserror::Error)]
#[error("forge could not write the SQL of `{template}`")]
pub struct SqlRenderError {
    template: &'static str,
    #[source]
    source: Error,
}

/// Renders template `name` with `params` into one statement (surrounding whitespace trimmed).
pub fn render(name: &'static str, params: &impl Serialize) -> Result<String, ProviderError> {
    environment()
        .get_template(name)
        .and_then(|t| t.render(Value::from(minijinja::value::Serde(params))))
        .map(|s| s.trim().to_string())
        .map_err(|source| ProviderError::Client {
            operation: format!("render the `{name}` statement"),
            source: Box::new(SqlRenderError {
                template: name,
                source,
            }),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A name that breaks out of either kind of quote if written raw.
    const HOSTILE: &str = "a'\"; DROP DATABASE x; --";

    /// Parameters that fill every template.
    fn params(name: &str) -> serde_json::Value {
        json!({
            "name": name, "database": name, "schema": name, "role": name, "user": name,
            "location": name, "base_url": "s3://b/", "role_arn": "arn:aws:iam::1:role/r",
            "external_id": "it's \\ here", "object": [name, name],
            "object_type": ObjectType::Schema, "privilege": Privilege::Usage,
            "external_volume": name, "catalog_integration": name,
            "metadata_file_path": "ns/t/metadata/00001-a.metadata.json",
        })
    }

    #[test]
    fn every_template_renders_with_every_value_quoted() {
        for (name, _) in TEMPLATES {
            let sql = render(name, &params(HOSTILE)).expect(name);
            assert!(
                !sql.contains(HOSTILE),
                "{name}: the hostile name appears unquoted: {sql}"
            );
            // As an identifier, a literal (a storage location's NAME) or an identifier
            // inside a literal (SYSTEM$GET_ICEBERG_TABLE_INFORMATION).
            let ident = names::quote(HOSTILE);
            let forms = [
                ident.clone(),
                names::literal(HOSTILE),
                ident.replace('\'', "''"),
            ];
            assert!(
                forms.iter().any(|f| sql.contains(f.as_str())),
                "{name}: {sql}"
            );
        }
    }

    #[test]
    fn statements_have_snowflakes_shapes() {
        let p = |v: serde_json::Value| v;
        assert_eq!(
            render(
                "create_iceberg_table",
                &p(json!({"database": "DB", "schema": "L2C", "name": "NS_T",
                          "external_volume": "Vol", "catalog_integration": "CI",
                          "metadata_file_path": "ns/t/metadata/v1.json"}))
            )
            .expect("renders"),
            "CREATE ICEBERG TABLE \"DB\".\"L2C\".\"NS_T\"\n  EXTERNAL_VOLUME = '\"Vol\"'\n  CATALOG = '\"CI\"'\n  METADATA_FILE_PATH = 'ns/t/metadata/v1.json'"
        );
        assert_eq!(
            render(
                "grant",
                &p(json!({"privilege": Privilege::CreateIcebergTable,
                          "object_type": ObjectType::Schema, "object": ["DB", "L2C"], "role": "R"}))
            )
            .expect("renders"),
            "GRANT CREATE ICEBERG TABLE ON SCHEMA \"DB\".\"L2C\" TO ROLE \"R\""
        );
        assert_eq!(
            render("show_schemas", &p(json!({"database": "DB"}))).expect("renders"),
            "SHOW SCHEMAS IN DATABASE \"DB\""
        );
        assert_eq!(
            render(
                "iceberg_table_information",
                &p(json!({"database": "D", "schema": "it's", "name": "T"}))
            )
            .expect("renders"),
            "SELECT SYSTEM$GET_ICEBERG_TABLE_INFORMATION('\"D\".\"it''s\".\"T\"')"
        );
    }

    #[test]
    fn what_cannot_be_a_name_or_keyword_is_refused() {
        for bad in ["", "a\nb", &"x".repeat(256)] {
            let e = render("create_database", &json!({ "name": bad })).expect_err("refused");
            assert!(
                crate::render::error_chain(&e).contains("is not a name"),
                "{bad:?}: {}",
                crate::render::error_chain(&e)
            );
        }
        let e = render(
            "drop",
            &json!({"object_type": "TABLE; DROP DATABASE X", "object": ["A"]}),
        )
        .expect_err("not a keyword");
        assert!(crate::render::error_chain(&e).contains("not one of forge's SQL keywords"));
    }

    #[test]
    fn a_value_without_a_filter_never_reaches_the_sql() {
        let mut env = environment().clone();
        env.add_template("raw", "DROP DATABASE {{ name }}")
            .expect("parses");
        let e = env
            .get_template("raw")
            .and_then(|t| t.render(minijinja::context! { name => "X" }))
            .expect_err("refused");
        assert!(
            e.to_string().contains("would reach the SQL unquoted"),
            "{e}"
        );
    }
}
