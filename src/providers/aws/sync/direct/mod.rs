//! The direct path: copying an object between two stores that are both reached over
//! plain `http://` with path-style addressing (the local RustFS and another local
//! store) with a GET and a PUT that forge writes itself, instead of through the AWS SDK.
//!
//! Why: between two local stores the work per object is small and the SDK's request
//! machinery (its orchestrator, interceptors, endpoint rules and body plumbing) was
//! most of forge's CPU time on small objects; on large ones, every byte crossed into
//! forge and back out. Here each request is a head signed with the SDK's own SigV4 code
//! ([`sign`]) on a pooled keep-alive connection ([`wire`]), and the body goes from the
//! source's socket to the destination's in the kernel ([`body`]).
//!
//! It keeps the SDK path's guarantees: the listed size is checked against the GET's
//! answer; the first answer's ETag is pinned (`If-Match`) for every later GET of the
//! object; the ETag's MD5 goes along as `Content-MD5` when it is one; a body the source
//! cuts is resumed with a ranged GET from the byte where it broke, into the same PUT;
//! a refused or failed request is retried with the same backoff and classified by the
//! same [`Failure`] rules (so errors read as they do on the SDK path); nothing waits
//! on a silent store longer than its attempt timeout.
//!
//! It is used only when both stores qualify and their credentials do not expire
//! ([`Direct::new`]), for objects below the multipart threshold; anything else (AWS,
//! HTTPS, virtual-hosted buckets, multipart uploads) goes through the SDK.

mod body;
mod sign;
mod wire;

use std::sync::Mutex;
use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use self::body::{Broke, Idle, relay};
use self::sign::Signer;
use self::wire::{Conn, Head, Pool, WireError};
use super::reader::plain_md5;
use super::{Location, SyncError};
use crate::providers::aws::error::{Failure, connection_reason, service_failure};
use crate::providers::retry::Backoff;

/// What SigV4 leaves unencoded in a path: the unreserved characters and `/`.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The `User-Agent` of the direct path's requests (store logs tell them from the SDK's).
const AGENT: &str = concat!("forge/", env!("CARGO_PKG_VERSION"), " (direct)");

/// Error bodies longer than this are cut when read (S3's are a few hundred bytes).
const ERROR_BODY: usize = 16 * 1024;

/// One side of a direct copy: where its bucket is and how to sign for it.
#[derive(Debug)]
struct Store {
    label: String,
    /// The endpoint's `host[:port]`, as the `Host` header.
    authority: String,
    /// `host:port` to connect to.
    address: String,
    /// The bucket's path (the endpoint's own path, if any, then `/bucket`), encoded.
    bucket_path: String,
    /// The key prefix (empty, or ending in `/`).
    prefix: String,
    signer: Signer,
    pool: Pool,
    /// The longest a request may go without a byte moving (the attempt timeout).
    idle: Duration,
    /// The connect timeout.
    connect: Duration,
}

impl Store {
    /// The direct side for `loc`, when it qualifies (see the module doc).
    async fn new(loc: &Location) -> Option<Self> {
        let (endpoint, credentials) = loc.plain.as_ref()?;
        let endpoint: http::Uri = endpoint.parse().ok()?;
        let authority = endpoint.authority()?;
        // Where to connect: the endpoint's port, or HTTP's.
        let address = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        );
        let authority = authority.to_string();
        let config = loc.client.config();
        let credentials = credentials
            .provide_credentials()
            .await
            .ok()
            .filter(|c| c.expiry().is_none())?;
        let region = config.region()?.to_string();
        let timeouts = config.timeout_config();
        let idle = timeouts
            .and_then(|t| t.operation_attempt_timeout())
            .unwrap_or(Duration::from_secs(60));
        let connect = timeouts
            .and_then(|t| t.connect_timeout())
            .unwrap_or(Duration::from_secs(3));
        let base = endpoint.path().trim_end_matches('/');
        Some(Self {
            label: loc.label.clone(),
            authority,
            address,
            bucket_path: format!("{base}/{}", utf8_percent_encode(&loc.bucket, PATH)),
            prefix: loc.prefix.clone(),
            signer: Signer::new(credentials, &region),
            pool: Pool::default(),
            idle,
            connect,
        })
    }

    /// The request line and headers (up to the blank line) of `method` on `key`,
    /// signed; `extra` is added as is (`Name: value\r\n` lines).
    fn head(&self, method: &str, key: &str, extra: &str) -> Result<String, Failure> {
        let target = format!(
            "{}/{}",
            self.bucket_path,
            utf8_percent_encode(&format!("{}{key}", self.prefix), PATH)
        );
        let signed = self
            .signer
            .lines(method, &self.authority, &target)
            .map_err(|e| Failure::Credentials {
                reason: format!("the request could not be signed: {e}"),
                hint: "check the store's access and secret keys".into(),
            })?;
        Ok(format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\nuser-agent: {AGENT}\r\n{signed}{extra}\r\n",
            self.authority
        ))
    }

    /// A connection from the pool, or a new one.
    async fn conn(&self) -> Result<Conn, Failure> {
        self.pool
            .get(&self.address, self.connect)
            .await
            .map_err(|e| unreachable(&e))
    }

    /// The failure an error answer stands for (its body read, so its code and message
    /// are the store's).
    async fn refusal(&self, conn: &mut Conn, head: &Head) -> Failure {
        let body = conn
            .body(head, ERROR_BODY, self.idle)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        service_failure(head.status, tag(&text, "Code"), tag(&text, "Message"))
    }
}

/// Why one try of a copy failed, and whether trying again could help.
enum Stop {
    /// A call failed; retried while the failure is transient. `put` says which call.
    Call { failure: Failure, put: bool },
    /// Not worth another try (the object changed, its stream kept breaking).
    Final(SyncError),
}

/// Copies objects between two plain-HTTP stores (see the module doc).
#[derive(Debug)]
pub(super) struct Direct {
    src: Store,
    dst: Store,
}

impl Direct {
    /// The direct path from `src` to `dst`, when both qualify.
    pub(super) async fn new(src: &Location, dst: &Location) -> Option<Self> {
        let (src, dst) = tokio::join!(Store::new(src), Store::new(dst));
        Some(Self {
            src: src?,
            dst: dst?,
        })
    }

    /// Copies `key` (`size` bytes as listed), retrying with `backoff` while a call's
    /// failure is transient.
    pub(super) async fn copy(
        &self,
        key: &str,
        size: u64,
        backoff: &Backoff,
    ) -> Result<(), SyncError> {
        // The first answer's ETag, asked for by every later GET, also across tries.
        let etag = Mutex::new(None);
        let transient =
            |stop: &Stop| matches!(stop, Stop::Call { failure, .. } if failure.is_transient());
        backoff
            .retry(transient, || self.attempt(key, size, &etag, backoff))
            .await
            .map_err(|stop| match stop {
                Stop::Final(e) => e,
                Stop::Call { failure, put } => {
                    let (operation, store) = if put {
                        ("PutObject", &self.dst)
                    } else {
                        ("GetObject", &self.src)
                    };
                    failure
                        .into_error(format!("{operation} {key}"), &store.label)
                        .into()
                }
            })
    }

    /// One try: a GET (resumed from where it breaks), a PUT fed from it.
    async fn attempt(
        &self,
        key: &str,
        size: u64,
        etag: &Mutex<Option<String>>,
        backoff: &Backoff,
    ) -> Result<(), Stop> {
        let put = |e| Stop::Call {
            failure: e,
            put: true,
        };
        let (mut src, mut src_head) = self.get(key, size, 0, etag).await?;
        let md5 = plain_md5(
            src_head.etag.as_deref(),
            src_head.sse.as_deref(),
            src_head.sse_c.as_deref(),
        );
        let mut extra = format!("content-length: {size}\r\n");
        if let Some(m) = &md5 {
            extra.push_str(&format!("content-md5: {m}\r\n"));
        }
        let request = self.dst.head("PUT", key, &extra).map_err(put)?;
        let mut dst = self.dst.conn().await.map_err(put)?;
        dst.send(request.as_bytes(), self.dst.idle)
            .await
            .map_err(|e| put(unreachable(&e)))?;
        let (mut moved, mut breaks) = (0, 0);
        let idle = Idle {
            src: self.src.idle,
            dst: self.dst.idle,
        };
        loop {
            match relay(&mut src, &mut dst, size - moved, idle, &mut moved).await {
                Ok(()) => break,
                Err(Broke::Dest(e)) => return Err(put(self.dst_failure(&mut dst, e).await)),
                Err(Broke::Source(e)) => {
                    breaks += 1;
                    if breaks >= backoff.attempts {
                        return Err(Stop::Final(SyncError::Stream {
                            key: key.to_string(),
                            times: breaks,
                            source: Box::new(e),
                        }));
                    }
                    tokio::time::sleep(backoff.delay(breaks)).await;
                    (src, src_head) = self.get(key, size, moved, etag).await?;
                }
            }
        }
        let answer = dst
            .head(self.dst.idle)
            .await
            .map_err(|e| put(unreachable(&e)))?;
        if answer.status >= 300 {
            return Err(put(self.dst.refusal(&mut dst, &answer).await));
        }
        dst.body(&answer, 0, self.dst.idle)
            .await
            .map_err(|e| put(unreachable(&e)))?;
        self.dst.pool.put(dst, &answer);
        self.src.pool.put(src, &src_head);
        Ok(())
    }

    /// A GET of `key` from byte `from` on, its head read and checked: the object still
    /// has the listed `size` and, once `etag` is known, that ETag (which the first
    /// answer sets).
    async fn get(
        &self,
        key: &str,
        size: u64,
        from: u64,
        etag: &Mutex<Option<String>>,
    ) -> Result<(Conn, Head), Stop> {
        let get = |e| Stop::Call {
            failure: e,
            put: false,
        };
        let pinned = etag.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut extra = String::new();
        if let Some(e) = &pinned {
            extra.push_str(&format!("if-match: {e}\r\n"));
        }
        let ranged = from > 0;
        if ranged {
            extra.push_str(&format!("range: bytes={from}-{}\r\n", size - 1));
        }
        let request = self.src.head("GET", key, &extra).map_err(get)?;
        let mut conn = self.src.conn().await.map_err(get)?;
        let idle = self.src.idle;
        let head = async {
            conn.send(request.as_bytes(), idle).await?;
            conn.head(idle).await
        }
        .await
        .map_err(|e| get(unreachable(&e)))?;
        if head.status == 412 {
            return Err(Stop::Final(SyncError::Changed {
                key: key.to_string(),
                why: "its ETag changed while it was read".into(),
            }));
        }
        if head.status >= 300 {
            return Err(get(self.src.refusal(&mut conn, &head).await));
        }
        let length = if ranged {
            head.range_total
        } else {
            head.length
        };
        let Some(length) = length.filter(|_| !head.chunked) else {
            return Err(Stop::Final(SyncError::Unsupported {
                key: key.to_string(),
                why: "the store sent the object without its length, which the direct path needs: sync with --no-direct".into(),
            }));
        };
        // A resumed GET must bring exactly the rest, from the byte asked for.
        if ranged && (head.status != 206 || head.length != Some(size - from)) {
            return Err(Stop::Final(SyncError::Unsupported {
                key: key.to_string(),
                why: format!(
                    "the store did not answer the range from byte {from} as asked, which resuming needs: sync with --no-direct"
                ),
            }));
        }
        if length != size {
            return Err(Stop::Final(SyncError::Changed {
                key: key.to_string(),
                why: format!("listed with {size} bytes, now {length}"),
            }));
        }
        if pinned.is_none() {
            *etag.lock().unwrap_or_else(|e| e.into_inner()) = head.etag.clone();
        }
        Ok((conn, head))
    }

    /// Why the destination stopped taking the body: its answer, when it sent one before
    /// closing (a refusal), else the broken connection.
    async fn dst_failure(&self, conn: &mut Conn, broke: WireError) -> Failure {
        match conn.head(Duration::from_secs(1)).await {
            Ok(head) if head.status >= 300 => self.dst.refusal(conn, &head).await,
            _ => unreachable(&broke),
        }
    }
}

/// A broken or silent connection as the SDK path reports one.
fn unreachable(e: &WireError) -> Failure {
    Failure::Unreachable {
        reason: match e {
            WireError::Idle => "no answer in time".into(),
            WireError::Io(io) => connection_reason(io),
            WireError::Malformed(why) => why.clone(),
        },
    }
}

/// The text of the first `<name>` element of an S3 error document, unescaped.
fn tag(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_document_gives_its_code_and_message() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please &amp; thanks</Message></Error>";
        assert_eq!(tag(xml, "Code").as_deref(), Some("SlowDown"));
        assert_eq!(tag(xml, "Message").as_deref(), Some("Please & thanks"));
        assert_eq!(tag(xml, "Resource"), None);
        assert_eq!(tag("<Code>unclosed", "Code"), None);
    }

    #[test]
    fn keys_are_encoded_as_sigv4_signs_them() {
        let enc = |k: &str| utf8_percent_encode(k, PATH).to_string();
        assert_eq!(
            enc("ns/t/data/a b+c=ü.parquet"),
            "ns/t/data/a%20b%2Bc%3D%C3%BC.parquet"
        );
        assert_eq!(enc("x-y_z.~"), "x-y_z.~");
    }
}

#[cfg(test)]
mod copy_tests;
