//! HTTP/1.1 as the direct path speaks it: a request head written in one call, a
//! response head parsed with `httparse`, small bodies (answers to PUT, errors) read
//! whole, and a pool of idle keep-alive connections per store.
//!
//! Every wait for the socket is bounded by the store's idle limit: a store that sends
//! or takes nothing for that long is given up on ("no answer in time"), however long
//! the whole transfer takes. Every read that took bytes asks the kernel to acknowledge
//! them at once (`TCP_QUICKACK`), for the reason [`quickack`](crate::providers::aws::quickack)
//! gives.

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::providers::aws::quickack::ack_now;

/// Response heads larger than this are refused (S3's are a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;

/// Idle connections kept per store; more are closed when returned.
const MAX_IDLE: usize = 64;

/// How a connection or a request failed below HTTP.
#[derive(Debug, thiserror::Error)]
pub(super) enum WireError {
    /// The socket failed (refused, cut, reset).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Nothing moved within the idle limit.
    #[error("no answer in time")]
    Idle,
    /// The answer is not HTTP/1.1 as S3 speaks it.
    #[error("the store's answer is not valid HTTP: {0}")]
    Malformed(String),
}

impl WireError {
    /// The connection ended (or was cut) before the answer did.
    pub(super) fn cut() -> Self {
        WireError::Io(io::ErrorKind::UnexpectedEof.into())
    }
}

/// Waits for `f` at most `idle`.
async fn within<T>(
    idle: Duration,
    f: impl Future<Output = Result<T, WireError>>,
) -> Result<T, WireError> {
    tokio::time::timeout(idle, f)
        .await
        .unwrap_or(Err(WireError::Idle))
}

/// A response's status line and the headers the direct path reads.
#[derive(Debug, Default)]
pub(super) struct Head {
    /// HTTP status.
    pub status: u16,
    /// `Content-Length`, when given.
    pub length: Option<u64>,
    /// The body is `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The server closes the connection after this answer.
    pub close: bool,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Content-Range`'s total after the `/`, on a 206.
    pub range_total: Option<u64>,
    /// `x-amz-server-side-encryption`.
    pub sse: Option<String>,
    /// `x-amz-server-side-encryption-customer-algorithm`.
    pub sse_c: Option<String>,
}

/// One keep-alive connection to a store, with what was read past the last head.
#[derive(Debug)]
pub(super) struct Conn {
    pub stream: TcpStream,
    /// Bytes read but not consumed: after [`Conn::head`], the start of the body.
    pub buf: BytesMut,
}

impl Conn {
    /// Connects to `address` (`host:port`) within `timeout`.
    pub(super) async fn connect(address: &str, timeout: Duration) -> Result<Self, WireError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| WireError::Idle)??;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
        })
    }

    /// Writes `bytes` whole.
    pub(super) async fn send(&mut self, bytes: &[u8], idle: Duration) -> Result<(), WireError> {
        within(idle, async { Ok(self.stream.write_all(bytes).await?) }).await
    }

    /// Reads more bytes into the buffer; `Ok(0)` at the end of the stream.
    pub(super) async fn fill(&mut self, idle: Duration) -> Result<usize, WireError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        let n = within(idle, async {
            Ok(self.stream.read_buf(&mut self.buf).await?)
        })
        .await?;
        ack_now(&self.stream);
        Ok(n)
    }

    /// Reads the next response head; the bytes after it stay in the buffer.
    pub(super) async fn head(&mut self, idle: Duration) -> Result<Head, WireError> {
        loop {
            if let Some((len, head)) = parse(&self.buf)? {
                self.buf.advance(len);
                return Ok(head);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::Malformed(
                    "the response head is too large".into(),
                ));
            }
            if self.fill(idle).await? == 0 {
                return Err(WireError::cut());
            }
        }
    }

    /// Reads the body `head` announces, whole; at most `max` bytes are kept (the rest is
    /// read and dropped, so the connection can be used again).
    pub(super) async fn body(
        &mut self,
        head: &Head,
        max: usize,
        idle: Duration,
    ) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        let keep = |bytes: &[u8], out: &mut Vec<u8>| {
            let room = max.saturating_sub(out.len());
            out.extend_from_slice(&bytes[..bytes.len().min(room)]);
        };
        if head.chunked {
            loop {
                let line = self.line(idle).await?;
                let size = line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size, 16)
                    .map_err(|_| WireError::Malformed(format!("bad chunk size `{size}`")))?;
                if size == 0 {
                    // Trailers, if any, up to the empty line.
                    while !self.line(idle).await?.is_empty() {}
                    return Ok(out);
                }
                self.take(size, idle, |b| keep(b, &mut out)).await?;
                if !self.line(idle).await?.is_empty() {
                    return Err(WireError::Malformed("a chunk overran its size".into()));
                }
            }
        }
        match head.length {
            Some(n) => {
                let n = usize::try_from(n)
                    .map_err(|_| WireError::Malformed("the body is too large".into()))?;
                self.take(n, idle, |b| keep(b, &mut out)).await?;
            }
            None if head.status == 204 || head.status == 304 => {}
            // Neither a length nor chunks: the body runs to the end of the connection.
            None => loop {
                keep(&self.buf, &mut out);
                self.buf.clear();
                if self.fill(idle).await? == 0 {
                    break;
                }
            },
        }
        Ok(out)
    }

    /// Hands the next `n` bytes to `f`, as they arrive.
    async fn take(
        &mut self,
        mut n: usize,
        idle: Duration,
        mut f: impl FnMut(&[u8]),
    ) -> Result<(), WireError> {
        loop {
            let here = n.min(self.buf.len());
            f(&self.buf[..here]);
            self.buf.advance(here);
            n -= here;
            if n == 0 {
                return Ok(());
            }
            if self.fill(idle).await? == 0 {
                return Err(WireError::cut());
            }
        }
    }

    /// The next line (without its CRLF).
    async fn line(&mut self, idle: Duration) -> Result<String, WireError> {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..p]).into_owned();
                self.buf.advance(p + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::Malformed("a chunk line is too long".into()));
            }
            if self.fill(idle).await? == 0 {
                return Err(WireError::cut());
            }
        }
    }
}

/// A complete response head at the start of `buf`, with its length; `None` while it is
/// incomplete.
fn parse(buf: &[u8]) -> Result<Option<(usize, Head)>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut res = httparse::Response::new(&mut headers);
    let len = match res.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(WireError::Malformed(e.to_string())),
    };
    let status = res
        .code
        .ok_or_else(|| WireError::Malformed("no status".into()))?;
    // 1xx answers (`100 Continue`) are not the response: skip them.
    if (100..200).contains(&status) {
        return match parse(&buf[len..])? {
            Some((more, head)) => Ok(Some((len + more, head))),
            None => Ok(None),
        };
    }
    let mut head = Head {
        status,
        // HTTP/1.0 closes unless told otherwise.
        close: res.version == Some(0),
        ..Head::default()
    };
    for h in res.headers.iter() {
        let value = || String::from_utf8_lossy(h.value).trim().to_string();
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            head.length = Some(
                value()
                    .parse()
                    .map_err(|_| WireError::Malformed("bad Content-Length".into()))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value().to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value().to_ascii_lowercase();
            head.close = v.contains("close") || (head.close && !v.contains("keep-alive"));
        } else if name.eq_ignore_ascii_case("etag") {
            head.etag = Some(value());
        } else if name.eq_ignore_ascii_case("content-range") {
            head.range_total = value().rsplit_once('/').and_then(|(_, t)| t.parse().ok());
        } else if name.eq_ignore_ascii_case("x-amz-server-side-encryption") {
            head.sse = Some(value());
        } else if name.eq_ignore_ascii_case("x-amz-server-side-encryption-customer-algorithm") {
            head.sse_c = Some(value());
        }
    }
    Ok(Some((len, head)))
}

/// Idle keep-alive connections to one store.
#[derive(Debug, Default)]
pub(super) struct Pool {
    idle: Mutex<Vec<TcpStream>>,
}

impl Pool {
    /// An idle connection the server has not closed, or a new one to `address`.
    pub(super) async fn get(&self, address: &str, timeout: Duration) -> Result<Conn, WireError> {
        loop {
            let Some(stream) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() else {
                return Conn::connect(address, timeout).await;
            };
            // An idle connection has nothing to read: anything else (the end, an error,
            // stray bytes) means the server is done with it.
            let mut probe = [0u8; 1];
            if let Err(e) = stream.try_read(&mut probe)
                && e.kind() == io::ErrorKind::WouldBlock
            {
                return Ok(Conn {
                    stream,
                    buf: BytesMut::with_capacity(16 * 1024),
                });
            }
        }
    }

    /// Keeps `conn` for another request, when it has nothing left over and the server
    /// did not say it closes it.
    pub(super) fn put(&self, conn: Conn, head: &Head) {
        if head.close || !conn.buf.is_empty() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn.stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_parsed_with_what_the_copy_reads_and_the_body_left_after_it() {
        let raw = b"HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\nETag: \"abc\"\r\nContent-Range: bytes 5-7/99\r\nConnection: close\r\nx-amz-server-side-encryption: AES256\r\n\r\nxyz";
        let (len, head) = parse(raw).expect("valid").expect("complete");
        assert_eq!(&raw[len..], b"xyz");
        assert_eq!(head.status, 206);
        assert_eq!(head.length, Some(3));
        assert_eq!(head.etag.as_deref(), Some("\"abc\""));
        assert_eq!(head.range_total, Some(99));
        assert!(head.close);
        assert_eq!(head.sse.as_deref(), Some("AES256"));
        assert!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Le")
                .expect("valid")
                .is_none()
        );
        assert!(parse(b"NOT HTTP\r\n\r\n").is_err());
        // A `100 Continue` before the answer is skipped.
        let (_, head) =
            parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .expect("valid")
                .expect("complete");
        assert_eq!((head.status, head.close), (200, false));
    }

    #[tokio::test]
    async fn chunked_and_sized_bodies_are_read_whole_and_the_connection_is_left_clean() {
        let addr = crate::providers::aws::test_server::serve(|mut s| async move {
            let _ = s
                .write_all(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<Err>\r\n3\r\nor/\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
                .await;
            let _ = s.read(&mut [0u8; 1]).await;
        })
        .await;
        let idle = Duration::from_secs(5);
        let mut c = Conn::connect(&addr.to_string(), idle)
            .await
            .expect("connects");
        let h = c.head(idle).await.expect("a head");
        assert!(h.chunked);
        assert_eq!(c.body(&h, 1024, idle).await.expect("a body"), b"<Err>or/");
        let h = c.head(idle).await.expect("the next head");
        assert_eq!(
            c.body(&h, 2, idle).await.expect("a body"),
            b"do",
            "kept up to max"
        );
        assert!(c.buf.is_empty(), "the rest was read and dropped");
    }
}
