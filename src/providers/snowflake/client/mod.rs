//! [`Client`]: statements through Snowflake's SQL API v2, as one connection (see
//! [`connections`](super::connections)) authenticates.
//!
//! One statement per request: `POST /api/v2/statements?requestId=<uuid>` with the
//! statement, a `timeout`, and the `role`, `database`, `schema` and `warehouse` it runs
//! in (the SQL API refuses `USE` outside multi-statement requests, and forge needs none).
//! Every request carries a `User-Agent`, the bearer token and its
//! `X-Snowflake-Authorization-Token-Type` ([`auth`]).
//!
//! - **202**: the statement is still running; its `statementStatusUrl` (relative to the
//!   account URL; an absolute one is not followed, so the token never leaves the account's
//!   host) is polled with a growing pause until it answers 200 or 422. The user's stop
//!   (`ctx.cancel`) or `ctx.timeout` cancels the statement (`POST .../cancel`).
//! - **200**: the rows of every partition: `resultSetMetaData.partitionInfo` says how
//!   many, and partitions 1.. are fetched with `GET ...?partition=N`.
//! - **422**: [`SqlError::Statement`] with Snowflake's code, SQL state and message; its
//!   timeout (000630, or 408 on the POST) is `ProviderError::Timeout`.
//! - **401/403**: a JWT is signed again and the request sent once more; then
//!   `ProviderError::Credentials` with what to check for the method.
//! - **429, 5xx, a lost connection**: retried with the shared [`Backoff`], with the same
//!   `requestId` and `retry=true`, so a statement whose reply was lost is not run twice.
//! - A host that does not answer is `ProviderError::Unreachable`, naming the URL.

mod auth;
mod error;
pub mod key;
mod result;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use auth::{Authenticator, jwt_account};
pub use error::{SqlError, codes};
pub use result::{Record, ResultSet};

use super::Connection;
use super::connections::{self, Lookup, SnowflakeConnection};
use super::names;
use crate::provider::{Ctx, ProviderError};
use crate::providers::retry::Backoff;

/// Where a statement runs: the role (always given) and, optionally, the database and
/// schema. Stored names (see [`names::resolve`]).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The role the statement runs as.
    pub role: &'a str,
    /// The current database.
    pub database: Option<&'a str>,
    /// The current schema.
    pub schema: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// Runs as `role`, with no current database.
    pub fn role(role: &'a str) -> Self {
        Self {
            role,
            database: None,
            schema: None,
        }
    }
}

/// A reply: status and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: Value,
}

/// One try's failure.
enum Attempt {
    /// The connection failed (refused, cut, no answer).
    Transport(reqwest::Error),
    /// The server is busy or broken (429, 5xx).
    Busy(Reply),
    /// Not worth another try (the token could not be loaded).
    Fatal(ProviderError),
}

fn transient(a: &Attempt) -> bool {
    !matches!(a, Attempt::Fatal(_))
}

struct Inner {
    http: reqwest::Client,
    base: String,
    connection: SnowflakeConnection,
    auth: Authenticator,
    backoff: Backoff,
    poll: Backoff,
}

/// A client for one connection. Cheap to clone; [`Client::bind`] attaches a context's stop
/// signal and time limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    cancel: CancellationToken,
    timeout: Duration,
    asynchronous: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("snowflake::Client")
            .field("url", &self.inner.base)
            .field("connection", &self.inner.connection.name)
            .finish_non_exhaustive()
    }
}

/// A random (version 4) UUID, as `requestId` wants.
fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

const USER_AGENT: &str = concat!("forge/", env!("CARGO_PKG_VERSION"));

impl Client {
    /// A client for `connection` (its key read and decrypted now).
    pub fn connect(connection: SnowflakeConnection) -> Result<Self, ProviderError> {
        let auth = Authenticator::new(&connection)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| ProviderError::Client {
                operation: "build the Snowflake HTTP client".into(),
                source: Box::new(e),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base: connection.base_url(),
                connection,
                auth,
                backoff: Backoff::default(),
                poll: Backoff {
                    first: Duration::from_millis(100),
                    max: Duration::from_secs(2),
                    attempts: 0,
                },
            }),
            cancel: CancellationToken::new(),
            timeout: Duration::from_secs(300),
            asynchronous: false,
        })
    }

    /// This client, stopping when `ctx` is cancelled and giving each statement at most
    /// `ctx.timeout`.
    pub fn bind(&self, ctx: &Ctx) -> Self {
        Self {
            cancel: ctx.cancel.clone(),
            timeout: ctx.timeout,
            ..self.clone()
        }
    }

    /// This client, submitting with `async=true`: Snowflake answers every statement at
    /// once with a handle, which is then polled.
    pub fn asynchronous(&self) -> Self {
        Self {
            asynchronous: true,
            ..self.clone()
        }
    }

    /// The connection.
    pub fn connection(&self) -> &SnowflakeConnection {
        &self.inner.connection
    }

    /// The account URL requests go to.
    pub fn url(&self) -> &str {
        &self.inner.base
    }

    /// The connection's user, as Snowflake stores the name.
    pub fn user(&self) -> String {
        let u = &self.inner.connection.user;
        names::resolve(u).unwrap_or_else(|_| u.clone())
    }

    /// The key pair's fingerprint (`SHA256:...`), if the connection uses one.
    pub fn fingerprint(&self) -> Option<&str> {
        self.inner.auth.fingerprint()
    }

    /// Runs one statement in `cx`; its whole result. `operation` says what forge was doing,
    /// for errors.
    pub async fn run(
        &self,
        cx: &Context<'_>,
        statement: &str,
        operation: &str,
    ) -> Result<ResultSet, SqlError> {
        let mut body = json!({
            "statement": statement,
            "timeout": self.timeout.as_secs().max(1),
            "role": cx.role,
        });
        for (k, v) in [
            ("database", cx.database),
            ("schema", cx.schema),
            ("warehouse", self.inner.connection.warehouse.as_deref()),
        ] {
            if let Some(v) = v {
                body[k] = json!(names::resolve(v).unwrap_or_else(|_| v.to_string()));
            }
        }
        tracing::debug!(role = cx.role, "snowflake: {statement}");
        let request_id = uuid_v4();
        let reply = tokio::select! {
            r = self.submit(&body, &request_id, operation) => r?,
            _ = self.cancel.cancelled() => return Err(ProviderError::Interrupted.into()),
        };
        let reply = self.wait(reply, operation).await?;
        self.finish(reply, operation).await
    }

    /// POSTs the statement, retrying what is worth it with the same `requestId`.
    async fn submit(
        &self,
        body: &Value,
        request_id: &str,
        operation: &str,
    ) -> Result<Reply, SqlError> {
        let base = format!(
            "{}/api/v2/statements?requestId={request_id}{}",
            self.inner.base,
            if self.asynchronous { "&async=true" } else { "" }
        );
        let mut fresh = false;
        let mut sent = 0u32;
        loop {
            let reply = self
                .inner
                .backoff
                .retry(transient, || {
                    sent += 1;
                    let url = if sent > 1 {
                        format!("{base}&retry=true")
                    } else {
                        base.clone()
                    };
                    async move { self.send(Method::POST, &url, Some(body), fresh).await }
                })
                .await
                .map_err(|a| self.gave_up(a, operation))?;
            if reply.status == 401 && !fresh && self.inner.auth.renewable() {
                fresh = true;
                continue;
            }
            return self.authorized(reply, operation);
        }
    }

    /// GETs `url` (a status or a partition), retried like [`submit`](Self::submit).
    async fn get(&self, url: &str, operation: &str) -> Result<Reply, SqlError> {
        let mut fresh = false;
        loop {
            let reply = self
                .inner
                .backoff
                .retry(transient, || self.send(Method::GET, url, None, fresh))
                .await
                .map_err(|a| self.gave_up(a, operation))?;
            if reply.status == 401 && !fresh && self.inner.auth.renewable() {
                fresh = true;
                continue;
            }
            return self.authorized(reply, operation);
        }
    }

    /// A 401 or 403 as a credentials error; other replies as they are.
    fn authorized(&self, reply: Reply, operation: &str) -> Result<Reply, SqlError> {
        if matches!(reply.status, 401 | 403) {
            let message = reply.body["message"].as_str().unwrap_or_default();
            return Err(self
                .inner
                .auth
                .refused(operation, reply.status, message)
                .into());
        }
        Ok(reply)
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        fresh: bool,
    ) -> Result<Reply, Attempt> {
        let token = self.inner.auth.token(fresh).map_err(Attempt::Fatal)?;
        let mut req = self
            .inner
            .http
            .request(method, url)
            .bearer_auth(token.expose())
            .header(
                "X-Snowflake-Authorization-Token-Type",
                self.inner.auth.token_type(),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, USER_AGENT);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(Attempt::Transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(Attempt::Transport)?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!({"message": String::from_utf8_lossy(&bytes)}))
        };
        let reply = Reply { status, body };
        if status == 429 || status >= 500 {
            return Err(Attempt::Busy(reply));
        }
        Ok(reply)
    }

    /// The error after the last try.
    fn gave_up(&self, a: Attempt, operation: &str) -> SqlError {
        match a {
            Attempt::Fatal(e) => e.into(),
            Attempt::Busy(r) => ProviderError::Api {
                operation: operation.to_string(),
                status: Some(r.status),
                code: r.body["code"].as_str().map(str::to_string),
                message: r.body["message"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("Snowflake answered HTTP {}", r.status)),
                hint: Some(
                    "Snowflake is busy or failing; forge tried several times: run forge again later"
                        .into(),
                ),
            }
            .into(),
            Attempt::Transport(e) => self.unreachable(operation, &e).into(),
        }
    }

    fn unreachable(&self, operation: &str, e: &reqwest::Error) -> ProviderError {
        let text = crate::render::error_chain(e).to_lowercase();
        let reason = if e.is_timeout() {
            "no answer in time".to_string()
        } else if text.contains("dns") || text.contains("lookup") || text.contains("resolve") {
            "unknown host".to_string()
        } else if text.contains("refused") {
            "connection refused".to_string()
        } else if text.contains("certificate") || text.contains("tls") {
            "the TLS handshake failed".to_string()
        } else if e.is_connect() {
            "the connection failed".to_string()
        } else {
            "the connection was cut".to_string()
        };
        let c = &self.inner.connection;
        ProviderError::Unreachable {
            operation: operation.to_string(),
            endpoint: self.inner.base.clone(),
            reason,
            hint: Some(format!(
                "check `account` (and `host`, `port`, `protocol`, if set) of Snowflake connection `{}` in {}",
                c.name, c.source
            )),
        }
    }

    /// Polls a 202 until the statement is done; cancels it on stop or timeout.
    async fn wait(&self, mut reply: Reply, operation: &str) -> Result<Reply, SqlError> {
        let start = Instant::now();
        let mut polls = 0;
        while reply.status == 202 {
            let handle = reply.body["statementHandle"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let url = match reply.body["statementStatusUrl"].as_str() {
                Some(u) if u.starts_with('/') => format!("{}{u}", self.inner.base),
                _ => format!("{}/api/v2/statements/{handle}", self.inner.base),
            };
            polls += 1;
            let delay = self.inner.poll.delay(polls);
            if start.elapsed() + delay > self.timeout {
                self.cancel_statement(&handle).await;
                return Err(ProviderError::Timeout {
                    what: operation.to_string(),
                    after: start.elapsed(),
                }
                .into());
            }
            tokio::select! {
                _ = self.cancel.cancelled() => {
                    self.cancel_statement(&handle).await;
                    return Err(ProviderError::Interrupted.into());
                }
                _ = tokio::time::sleep(delay) => {}
            }
            reply = self.get(&url, operation).await?;
        }
        Ok(reply)
    }

    /// Asks Snowflake to stop a statement; whether it did does not matter any more.
    async fn cancel_statement(&self, handle: &str) {
        if handle.is_empty() {
            return;
        }
        let url = format!("{}/api/v2/statements/{handle}/cancel", self.inner.base);
        if let Err(Attempt::Transport(e)) = self.send(Method::POST, &url, None, false).await {
            tracing::debug!(
                "cancelling statement {handle}: {}",
                crate::render::error_chain(&e)
            );
        }
    }

    /// A finished reply as the result, or the statement's error.
    async fn finish(&self, reply: Reply, operation: &str) -> Result<ResultSet, SqlError> {
        let b = &reply.body;
        let text = |k: &str| b[k].as_str().unwrap_or_default().to_string();
        match reply.status {
            200 => {
                let (mut rs, partitions) = ResultSet::first(b);
                for p in 1..partitions {
                    let url = format!(
                        "{}/api/v2/statements/{}?partition={p}",
                        self.inner.base, rs.handle
                    );
                    let next = self.get(&url, operation).await?;
                    if next.status != 200 {
                        return Err(self.statement_error(&next, operation));
                    }
                    rs.rows.extend(result::data(&next.body));
                }
                Ok(rs)
            }
            408 => Err(ProviderError::Timeout {
                what: operation.to_string(),
                after: self.timeout,
            }
            .into()),
            422 if text("code") == codes::TIMED_OUT => Err(ProviderError::Timeout {
                what: operation.to_string(),
                after: self.timeout,
            }
            .into()),
            _ => Err(self.statement_error(&reply, operation)),
        }
    }

    fn statement_error(&self, reply: &Reply, operation: &str) -> SqlError {
        let b = &reply.body;
        let text = |k: &str| b[k].as_str().map(str::to_string);
        if reply.status == 422 {
            return SqlError::Statement {
                operation: operation.to_string(),
                code: text("code").unwrap_or_default(),
                sql_state: text("sqlState").unwrap_or_default(),
                message: text("message").unwrap_or_else(|| "no message".into()),
                handle: text("statementHandle"),
            };
        }
        ProviderError::Api {
            operation: operation.to_string(),
            status: Some(reply.status),
            code: text("code"),
            message: text("message")
                .unwrap_or_else(|| format!("Snowflake answered HTTP {}", reply.status)),
            hint: None,
        }
        .into()
    }
}

/// One client per connection name, built on first use. Cheap to clone (shared cache).
#[derive(Clone, Default)]
pub struct Clients {
    lookup: Option<Arc<Lookup>>,
    cache: Arc<Mutex<HashMap<Option<String>, Client>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("snowflake::Clients")
    }
}

impl Clients {
    /// Connections from the process environment (`SNOWFLAKE_HOME`, `~/.snowflake`, ...).
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections from `lookup` (tests point it at a directory of their own).
    pub fn with_lookup(lookup: Lookup) -> Self {
        Self {
            lookup: Some(Arc::new(lookup)),
            cache: Arc::default(),
        }
    }

    /// Where connections are looked up.
    pub fn lookup(&self) -> Lookup {
        self.lookup
            .as_deref()
            .cloned()
            .unwrap_or_else(Lookup::from_env)
    }

    /// The client of `conn`'s connection, bound to `ctx`.
    pub fn get(&self, ctx: &Ctx, conn: &Connection) -> Result<Client, ProviderError> {
        let key = conn.connection.clone();
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(c.bind(ctx));
        }
        let loaded = connections::load(&self.lookup(), conn.connection.as_deref())?;
        let client = Client::connect(loaded)?;
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_insert_with(|| client.clone());
        Ok(client.bind(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(a, uuid_v4());
    }
}
