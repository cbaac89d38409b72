//! How a request authenticates: the `Authorization: Bearer` token and the
//! `X-Snowflake-Authorization-Token-Type` that says what it is.
//!
//! - `KEYPAIR_JWT`: an RS256 JWT made here and renewed before its hour is up. `iss` is
//!   `ACCOUNT.USER.SHA256:<fingerprint>` and `sub` is `ACCOUNT.USER`, with the account as
//!   Snowflake's key-pair guide prepares it ([`jwt_account`]) and the user upper-cased.
//! - `PROGRAMMATIC_ACCESS_TOKEN` and `OAUTH`: the token as the connection gives it; a
//!   `token_file_path` is read for every new token, so a renewed file is picked up.
//!
//! When Snowflake refuses the token, [`Authenticator::refused`] says what to check for
//! that method (the key's fingerprint and `ALTER USER ... SET RSA_PUBLIC_KEY`, an expired
//! PAT, an OAuth token to renew). No token, key or passphrase is ever put in a message.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::json;

use super::key::PrivateKey;
use crate::provider::ProviderError;
use crate::providers::snowflake::connections::{
    Auth, KeySource, Secret, SnowflakeConnection, TokenSource,
};

/// How long a JWT is valid (Snowflake allows at most an hour).
const JWT_LIFETIME: Duration = Duration::from_secs(59 * 60);
/// How long before it expires a JWT is renewed.
const JWT_RENEW_EARLY: Duration = Duration::from_secs(5 * 60);

/// The account part of a JWT's claims, as Snowflake's key-pair guide prepares it: for an
/// account locator with a region (`xy12345.us-east-1.aws`) only the locator; for a
/// `.global` (replication) identifier the part before the first `-`; upper case.
pub fn jwt_account(account: &str) -> String {
    let account = account.trim();
    let cut = if account.contains(".global") {
        account.find('-')
    } else {
        account.find('.')
    };
    match cut {
        Some(i) if i > 0 => account[..i].to_uppercase(),
        _ => account.to_uppercase(),
    }
}

enum Method {
    KeyPair {
        key: PrivateKey,
        /// `ACCOUNT.USER`.
        subject: String,
        cached: Mutex<Option<(String, Instant)>>,
    },
    Pat(TokenSource),
    OAuth(TokenSource),
}

/// The credentials of one connection, ready to put on requests.
pub struct Authenticator {
    method: Method,
    connection: String,
    user: String,
    account: String,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("connection", &self.connection)
            .field("type", &self.token_type())
            .finish_non_exhaustive()
    }
}

fn unreadable(conn: &SnowflakeConnection, what: &str, reason: String, hint: &str) -> ProviderError {
    ProviderError::Credentials {
        operation: format!("load the {what} of Snowflake connection `{}`", conn.name),
        reason,
        hint: hint.to_string(),
    }
}

fn read_file(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {}",
            path.display(),
            crate::render::error_chain(&e)
        )
    })
}

impl Authenticator {
    /// Loads what `conn` authenticates with (reads and, if need be, decrypts the key).
    pub fn new(conn: &SnowflakeConnection) -> Result<Self, ProviderError> {
        let method = match &conn.auth {
            Auth::KeyPair { key, passphrase } => {
                let (pem, origin) = match key {
                    KeySource::File(p) => (
                        read_file(p).map_err(|r| {
                            unreadable(
                                conn,
                                "private key",
                                r,
                                "set `private_key_file` to the PEM file of the user's private key",
                            )
                        })?,
                        p.display().to_string(),
                    ),
                    KeySource::Inline(s) => (s.expose().to_string(), "`private_key`".to_string()),
                };
                let key = PrivateKey::from_pem(&pem, passphrase.as_ref()).map_err(|e| {
                    unreadable(
                        conn,
                        "private key",
                        format!("{origin}: {e}"),
                        "make a key pair as Snowflake's key-pair guide says (`openssl genrsa 2048 | openssl pkcs8 -topk8 -inform PEM -out rsa_key.p8`), with `private_key_file_pwd` if it is encrypted",
                    )
                })?;
                Method::KeyPair {
                    key,
                    subject: format!(
                        "{}.{}",
                        jwt_account(&conn.account),
                        conn.user.to_uppercase()
                    ),
                    cached: Mutex::new(None),
                }
            }
            Auth::Pat(t) => Method::Pat(t.clone()),
            Auth::OAuth(t) => Method::OAuth(t.clone()),
        };
        Ok(Self {
            method,
            connection: conn.name.clone(),
            user: conn.user.clone(),
            account: conn.account.clone(),
        })
    }

    /// `X-Snowflake-Authorization-Token-Type`.
    pub fn token_type(&self) -> &'static str {
        match self.method {
            Method::KeyPair { .. } => "KEYPAIR_JWT",
            Method::Pat(_) => "PROGRAMMATIC_ACCESS_TOKEN",
            Method::OAuth(_) => "OAUTH",
        }
    }

    /// Whether a refused token is worth making again (a JWT can be re-signed; a PAT or
    /// OAuth token would only be sent again as it is, unless its file changed).
    pub fn renewable(&self) -> bool {
        match &self.method {
            Method::KeyPair { .. } => true,
            Method::Pat(t) | Method::OAuth(t) => matches!(t, TokenSource::File(_)),
        }
    }

    /// The key's fingerprint, for a key pair.
    pub fn fingerprint(&self) -> Option<&str> {
        match &self.method {
            Method::KeyPair { key, .. } => Some(&key.fingerprint),
            _ => None,
        }
    }

    /// The bearer token; `fresh` makes a new JWT even if the cached one is still valid.
    pub fn token(&self, fresh: bool) -> Result<Secret, ProviderError> {
        match &self.method {
            Method::KeyPair {
                key,
                subject,
                cached,
            } => {
                let mut c = cached.lock().unwrap_or_else(|e| e.into_inner());
                if !fresh
                    && let Some((t, renew_at)) = c.as_ref()
                    && Instant::now() < *renew_at
                {
                    return Ok(Secret::new(t.clone()));
                }
                let t = self.sign(key, subject)?;
                *c = Some((t.clone(), Instant::now() + JWT_LIFETIME - JWT_RENEW_EARLY));
                Ok(Secret::new(t))
            }
            Method::Pat(src) | Method::OAuth(src) => match src {
                TokenSource::Inline(s) => Ok(s.clone()),
                TokenSource::File(p) => {
                    let t = read_file(p).map_err(|r| ProviderError::Credentials {
                        operation: format!(
                            "read the token of Snowflake connection `{}`",
                            self.connection
                        ),
                        reason: r,
                        hint: "set `token_file_path` to a file holding the token".into(),
                    })?;
                    Ok(Secret::new(t.trim().to_string()))
                }
            },
        }
    }

    fn sign(&self, key: &PrivateKey, subject: &str) -> Result<String, ProviderError> {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = json!({
            "iss": format!("{subject}.{}", key.fingerprint),
            "sub": subject,
            "iat": now,
            "exp": now + JWT_LIFETIME.as_secs(),
        });
        let input = format!(
            "{}.{}",
            b64(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64(claims.to_string().as_bytes())
        );
        let sig = key
            .sign(input.as_bytes())
            .map_err(|e| ProviderError::Client {
                operation: format!("sign a JWT for Snowflake connection `{}`", self.connection),
                source: Box::new(e),
            })?;
        Ok(format!("{input}.{}", b64(&sig)))
    }

    /// What a 401 or 403 from Snowflake means for this method, as an error with a remedy.
    pub fn refused(&self, operation: &str, status: u16, message: &str) -> ProviderError {
        let who = format!("user {} on account {}", self.user, self.account);
        let said = if message.is_empty() {
            String::new()
        } else {
            format!(" ({message})")
        };
        let (reason, hint) = match &self.method {
            Method::KeyPair { key, subject, .. } => (
                format!("Snowflake refused the key-pair JWT of {who}{said}"),
                format!(
                    "the JWT names {subject} and key fingerprint {}: check that `DESC USER {}` shows RSA_PUBLIC_KEY_FP = {} (if not, set the public key of `private_key_file` with `ALTER USER {} SET RSA_PUBLIC_KEY='<the key, without its PEM lines>'`), and that `account` in connection `{}` is the account identifier (`ORGNAME-ACCOUNTNAME`)",
                    key.fingerprint, self.user, key.fingerprint, self.user, self.connection
                ),
            ),
            Method::Pat(_) => (
                format!("Snowflake refused the programmatic access token of {who}{said}"),
                format!(
                    "the token may have expired or been revoked: make a new one (`ALTER USER {} ADD PROGRAMMATIC ACCESS TOKEN forge`, or in Snowsight) and put it where connection `{}` reads it (`token_file_path`); a PAT also needs the user to be subject to a network policy",
                    self.user, self.connection
                ),
            ),
            Method::OAuth(_) => (
                format!("Snowflake refused the OAuth token of {who}{said}"),
                format!(
                    "the token may have expired: get a new one from your identity provider and put it where connection `{}` reads it (`token_file_path`)",
                    self.connection
                ),
            ),
        };
        let reason = if status == 403 {
            format!("{reason}; the request is forbidden")
        } else {
            reason
        };
        ProviderError::Credentials {
            operation: operation.to_string(),
            reason,
            hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_accounts_follow_snowflakes_key_pair_guide() {
        assert_eq!(jwt_account("myorg-myaccount"), "MYORG-MYACCOUNT");
        assert_eq!(jwt_account("xy12345.us-east-1.aws"), "XY12345");
        assert_eq!(jwt_account("xy12345.us-east-1"), "XY12345");
        assert_eq!(jwt_account("myorg-acct.global"), "MYORG");
        assert_eq!(jwt_account("forgetest-emu"), "FORGETEST-EMU");
    }
}
