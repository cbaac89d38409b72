//! [`Client`]: authenticated calls to one Polaris server — the management API
//! (`/api/management/v1`) and the Iceberg REST catalog (`/api/catalog/v1`).
//!
//! Tokens come from the OAuth2 client-credentials endpoint (`scope=PRINCIPAL_ROLE:ALL`,
//! the `Polaris-Realm` header on every call), are cached, and are renewed a minute
//! before they expire (and once more if the server says 401). Calls are retried with
//! the shared backoff on 5xx, 429 and connection errors only. Every name that goes
//! into a path is percent-encoded (principal and role names may hold `/` or `..`);
//! multi-level namespaces are joined with `%1F`, as the Iceberg REST spec says.
//! Polaris's error envelope (`{"error": {"message", "type", "code"}}`) becomes a
//! [`ProviderError::Api`] with the server's message and type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::Connection;
use crate::provider::{Ctx, ProviderError};
use crate::providers::retry::Backoff;
use crate::secret::SecretError;

/// What stays unencoded in a path segment: RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One path segment, percent-encoded. `.` and `..` are encoded too, so no name can
/// walk the path.
pub fn segment(name: &str) -> String {
    match name {
        "." => "%2E".into(),
        ".." => "%2E%2E".into(),
        _ => utf8_percent_encode(name, SEGMENT).to_string(),
    }
}

/// A namespace in a path: levels encoded and joined with the unit separator `%1F`.
pub fn namespace_segment(levels: &[String]) -> String {
    levels
        .iter()
        .map(|l| segment(l))
        .collect::<Vec<_>>()
        .join("%1F")
}

/// A cached bearer token.
#[derive(Clone)]
struct Token {
    value: String,
    renew_at: Instant,
}

/// A client for one server, realm and principal. Cheap to clone (shared token cache).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    realm: String,
    client_id: String,
    secret: String,
    token: Arc<tokio::sync::Mutex<Option<Token>>>,
    backoff: Backoff,
}

/// What a call returned: its status and its JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Parsed body.
    pub body: Value,
}

impl Client {
    fn new(conn: &Connection, secret: String) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a client without custom TLS settings always builds");
        Self {
            http,
            base: conn.url.trim_end_matches('/').to_string(),
            realm: conn.realm.clone(),
            client_id: conn.client_id.clone(),
            secret,
            token: Arc::default(),
            backoff: Backoff::default(),
        }
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn fetch_token(&self) -> Result<Token, ProviderError> {
        let operation = "get a token";
        let url = format!("{}/api/catalog/v1/oauth/tokens", self.base);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.as_str()),
            ("scope", "PRINCIPAL_ROLE:ALL"),
        ];
        let reply = self
            .backoff
            .retry(transient, || async {
                let sent = self
                    .http
                    .post(&url)
                    .header("Polaris-Realm", &self.realm)
                    .form(&form)
                    .send()
                    .await;
                read_reply(sent, operation, &self.base).await
            })
            .await
            .map_err(|a| finish(a, operation))?;
        if reply.status != 200 {
            return Err(api_error(operation, &reply, token_hint(reply.status)));
        }
        let value = reply.body["access_token"]
            .as_str()
            .ok_or_else(|| ProviderError::Failed {
                what: operation.into(),
                reason: "the answer has no access_token".into(),
                hint: None,
            })?
            .to_string();
        // Renewed a minute before it expires (half-way for tokens shorter than two).
        let lifetime = reply.body["expires_in"].as_u64().unwrap_or(3600);
        let early = (lifetime / 2).min(60);
        Ok(Token {
            value,
            renew_at: Instant::now() + Duration::from_secs(lifetime - early),
        })
    }

    async fn bearer(&self, renew: bool) -> Result<String, ProviderError> {
        let mut cached = self.token.lock().await;
        match cached.as_ref() {
            Some(t) if !renew && Instant::now() < t.renew_at => Ok(t.value.clone()),
            _ => {
                let t = self.fetch_token().await?;
                let v = t.value.clone();
                *cached = Some(t);
                Ok(v)
            }
        }
    }

    /// One call: `path` below the server (e.g. `/api/management/v1/catalogs`), its
    /// status and body. Statuses are the caller's to judge; only transport failures,
    /// 5xx and 429 (after retries) and token failures are errors here.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        operation: &str,
    ) -> Result<Reply, ProviderError> {
        let url = format!("{}{path}", self.base);
        let mut renewed = false;
        loop {
            let token = self.bearer(renewed).await?;
            let reply = self
                .backoff
                .retry(transient, || async {
                    let mut req = self
                        .http
                        .request(method.clone(), &url)
                        .bearer_auth(&token)
                        .header("Polaris-Realm", &self.realm);
                    if let Some(b) = body {
                        req = req.json(b);
                    }
                    read_reply(req.send().await, operation, &self.base).await
                })
                .await
                .map_err(|a| finish(a, operation))?;
            // A token the server no longer takes (restarted, rotated keys): renew once.
            if reply.status == 401 && !renewed {
                renewed = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// A call that must answer one of `ok`; anything else is an error with the
    /// server's message.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        operation: &str,
        ok: &[u16],
    ) -> Result<Reply, ProviderError> {
        let reply = self.call(method, path, body, operation).await?;
        if ok.contains(&reply.status) {
            Ok(reply)
        } else {
            Err(api_error(operation, &reply, None))
        }
    }

    /// The Iceberg REST prefix of a catalog (`GET /api/catalog/v1/config?warehouse=`).
    pub async fn prefix(&self, catalog: &str) -> Result<Option<String>, ProviderError> {
        let path = format!(
            "/api/catalog/v1/config?warehouse={}",
            utf8_percent_encode(catalog, SEGMENT)
        );
        let reply = self
            .call(
                Method::GET,
                &path,
                None,
                &format!("read the config of catalog {catalog}"),
            )
            .await?;
        match reply.status {
            200 => Ok(Some(
                reply.body["overrides"]["prefix"]
                    .as_str()
                    .or(reply.body["defaults"]["prefix"].as_str())
                    .unwrap_or(catalog)
                    .to_string(),
            )),
            404 => Ok(None),
            _ => Err(api_error(
                &format!("read the config of catalog {catalog}"),
                &reply,
                None,
            )),
        }
    }
}

/// Reads a response: status and JSON body; a connection that fails is unreachable.
async fn read_reply(
    sent: Result<reqwest::Response, reqwest::Error>,
    operation: &str,
    base: &str,
) -> Result<Reply, Attempt> {
    let resp = sent.map_err(|e| Attempt::Transport(unreachable(operation, base, &e)))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Attempt::Transport(unreachable(operation, base, &e)))?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let reply = Reply { status, body };
    if status >= 500 || status == StatusCode::TOO_MANY_REQUESTS.as_u16() {
        return Err(Attempt::Busy(reply));
    }
    Ok(reply)
}

/// One try's failure: the connection, or a server that is busy or broken.
enum Attempt {
    Transport(ProviderError),
    Busy(Reply),
}

fn transient(_: &Attempt) -> bool {
    true
}

/// The error after the last try.
fn finish(a: Attempt, operation: &str) -> ProviderError {
    match a {
        Attempt::Transport(e) => e,
        Attempt::Busy(r) => api_error(operation, &r, None),
    }
}

fn unreachable(operation: &str, base: &str, e: &reqwest::Error) -> ProviderError {
    let reason = if e.is_connect() {
        let text = crate::render::error_chain(e).to_lowercase();
        if text.contains("refused") {
            "connection refused (is it running?)".to_string()
        } else if text.contains("dns") || text.contains("lookup") {
            "unknown host (check the URL)".to_string()
        } else {
            "the connection failed".to_string()
        }
    } else if e.is_timeout() {
        "no answer in time".to_string()
    } else {
        "the connection was cut".to_string()
    };
    ProviderError::Unreachable {
        operation: operation.to_string(),
        endpoint: base.to_string(),
        reason,
        hint: Some(
            "check `catalog.url` (or the stack's Polaris port) and that Polaris is running".into(),
        ),
    }
}

fn token_hint(status: u16) -> Option<String> {
    match status {
        400 | 401 => Some(
            "the client id or secret is not accepted in this realm: check the credentials forge.yaml names (for the stack's Polaris, `stack.polaris.root_client_secret`) and the realm".into(),
        ),
        _ => None,
    }
}

/// A reply as an error: Polaris's envelope gives the message and type.
pub fn api_error(operation: &str, reply: &Reply, hint: Option<String>) -> ProviderError {
    let envelope = &reply.body["error"];
    let message = envelope["message"]
        .as_str()
        .map(str::to_string)
        .or_else(|| reply.body["error_description"].as_str().map(str::to_string))
        .or_else(|| reply.body.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("the server answered HTTP {}", reply.status));
    let code = envelope["type"]
        .as_str()
        .or(reply.body["error"].as_str())
        .map(str::to_string);
    let hint = hint.or_else(|| match reply.status {
        403 => Some(format!(
            "the principal forge authenticates as may not {operation}: grant it the privilege (root has every privilege)"
        )),
        _ => None,
    });
    ProviderError::Api {
        operation: operation.to_string(),
        status: Some(reply.status),
        code,
        message,
        hint,
    }
}

/// One client per connection, built on first use (its secret read then).
#[derive(Clone, Default)]
pub struct Clients {
    cache: Arc<Mutex<HashMap<String, Client>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("polaris::Clients")
    }
}

/// Why there is no client: the server's credentials do not exist yet (generated on
/// the stack's first apply), or cannot be read.
pub enum NoClient {
    /// Nothing on the server can exist yet.
    NotYet(String),
    /// A real error.
    Error(ProviderError),
}

impl Clients {
    /// The client for `conn`.
    pub fn get(&self, ctx: &Ctx, conn: &Connection) -> Result<Client, NoClient> {
        let key = serde_json::to_string(conn).expect("a connection is plain data");
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let secret = match ctx.secrets.resolve(&conn.client_secret) {
            Ok(s) => s,
            Err(SecretError::NotGenerated(k)) => {
                return Err(NoClient::NotYet(format!(
                    "its root credentials (`{k}`) are not generated yet"
                )));
            }
            Err(e) => return Err(NoClient::Error(e.into())),
        };
        let client = Client::new(conn, secret);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, client.clone());
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_their_path_segment() {
        assert_eq!(segment("polardb"), "polardb");
        assert_eq!(segment("my/role"), "my%2Frole");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("a#b c"), "a%23b%20c");
        assert_eq!(
            namespace_segment(&["wild".into(), "life".into()]),
            "wild%1Flife"
        );
    }
}
