//! [`SqlError`]: a statement Snowflake refused (HTTP 422, or 408 for its timeout) with
//! Snowflake's own code, SQL state and message; or anything else, as a
//! [`ProviderError`]. Kinds match on [`SqlError::code`] to converge (already there,
//! already gone); everyone else gets a `ProviderError::Api` whose `code` is Snowflake's.

use crate::provider::ProviderError;

/// Snowflake's error codes forge acts on.
pub mod codes {
    /// The object does not exist, or the role may not see it.
    pub const DOES_NOT_EXIST: &str = "002003";
    /// The object already exists.
    pub const ALREADY_EXISTS: &str = "002002";
    /// The role lacks a privilege on an object it can see.
    pub const INSUFFICIENT_PRIVILEGES: &str = "003001";
    /// The request's role is not granted to the user.
    pub const ROLE_NOT_GRANTED: &str = "390189";
    /// The statement ran past its timeout and was cancelled.
    pub const TIMED_OUT: &str = "000630";
    /// A refresh whose metadata file has another Iceberg format version (the emulator's
    /// code; Snowflake does not document one): the table must be created again.
    pub const FORMAT_VERSION_CHANGED: &str = "091116";
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// Snowflake ran the statement and refused it.
    #[error("{operation} failed: {message} (Snowflake error {code}, SQL state {sql_state})")]
    Statement {
        /// What forge was doing.
        operation: String,
        /// Snowflake's error code, e.g. `002003`.
        code: String,
        /// The SQL state, e.g. `02000`.
        sql_state: String,
        /// Snowflake's message.
        message: String,
        /// The statement's handle, for Snowflake's query history.
        handle: Option<String>,
    },
    /// The request failed before or around the statement (auth, network, server).
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl SqlError {
    /// Snowflake's error code, when Snowflake refused the statement.
    pub fn code(&self) -> Option<&str> {
        match self {
            SqlError::Statement { code, .. } => Some(code),
            SqlError::Provider(_) => None,
        }
    }

    /// Whether Snowflake said the object does not exist (or cannot be seen).
    pub fn is_missing(&self) -> bool {
        self.code() == Some(codes::DOES_NOT_EXIST)
    }
}

/// What to do about a refused statement, where forge knows.
fn hint(code: &str) -> Option<String> {
    match code {
        codes::DOES_NOT_EXIST => Some(
            "it does not exist, or the role the statement ran as may not see it: check `l2c.snowflake.admin_role` and the role's grants".into(),
        ),
        codes::INSUFFICIENT_PRIVILEGES => Some(
            "the role the statement ran as lacks the privilege: use an `admin_role` that has it (ACCOUNTADMIN creates volumes and integrations), or grant it".into(),
        ),
        codes::ROLE_NOT_GRANTED => Some(
            "grant the role to the connection's user (`GRANT ROLE <role> TO USER <user>`), or name a role the user has".into(),
        ),
        codes::FORMAT_VERSION_CHANGED => Some(
            "the table's Iceberg format version changed: it must be registered again".into(),
        ),
        _ => None,
    }
}

impl From<SqlError> for ProviderError {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::Statement {
                operation,
                code,
                message,
                ..
            } => ProviderError::Api {
                operation,
                status: Some(422),
                hint: hint(&code),
                code: Some(code),
                message,
            },
            SqlError::Provider(p) => p,
        }
    }
}
