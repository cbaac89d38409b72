//! [`client`]: the HTTP client for S3-compatible stores reached over plain `http://` (the
//! local RustFS), which acknowledges what it receives at once.
//!
//! s3s, the S3 server library RustFS and s3s-fs are built on, writes a GET response's
//! headers and its body in two writes on a socket with Nagle's algorithm on: the body
//! waits until the client acknowledges the headers. Linux holds that acknowledgement up
//! to 40 ms hoping to send it with data, but a client waiting for a body has nothing to
//! send, so every GET took 40 ms however small the object (measured against s3s-fs on
//! one connection: 41.8 ms per 16 KiB GET, 0.35 ms with this client; the SDK's own
//! client and boto3 pay it alike). This client is hyper's, as the SDK's plain-HTTP one
//! is, with one difference: after each read that took bytes it asks the kernel to acknowledge them
//! at once (`TCP_QUICKACK`, which Linux does not keep set, hence after every such read),
//! so the body follows the headers without waiting. HTTPS endpoints (AWS) keep the SDK's client.
//!
//! What it leaves out of the SDK's client: proxy support (which the SDK's client uses
//! only when given a proxy configuration, and forge gives none), connection poisoning
//! (hyper drops a connection that broke anyway) and the read timeout (forge sets none;
//! the attempt timeout bounds each call).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector as Tcp};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;

use super::error::find;

/// The SDK HTTP client for a plain-HTTP store: one connection pool per connect timeout
/// asked for (in practice one), sockets that acknowledge at once.
pub fn client() -> SharedHttpClient {
    SharedHttpClient::new(QuickAckClient::default())
}

/// Hands the SDK the same connector (and so the same connection pool) for every request
/// with the same settings; the SDK asks once per request.
#[derive(Debug, Default)]
struct QuickAckClient {
    built: Mutex<Vec<(Option<Duration>, SharedHttpConnector)>>,
}

impl HttpClient for QuickAckClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector_for(settings.connect_timeout())
    }
}

impl QuickAckClient {
    /// The connector for requests with `timeout` as their connect timeout, built on first
    /// use.
    fn connector_for(&self, timeout: Option<Duration>) -> SharedHttpConnector {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c)) = built.iter().find(|(t, _)| *t == timeout) {
            return c.clone();
        }
        let c = connector(timeout);
        built.push((timeout, c.clone()));
        c
    }
}

/// A pooling HTTP/1.1 connector over sockets that acknowledge at once, giving up on a
/// connection attempt after `connect_timeout`.
fn connector(connect_timeout: Option<Duration>) -> SharedHttpConnector {
    let mut tcp = Tcp::new();
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(connect_timeout);
    let hyper = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .build(Connect { tcp });
    SharedHttpConnector::new(Connector { hyper })
}

/// Sends the SDK's requests through hyper.
#[derive(Debug)]
struct Connector {
    hyper: Client<Connect, SdkBody>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let sent = self.hyper.request(request);
        HttpConnectorFuture::new(async move {
            let response = sent.await.map_err(connector_error)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// As the SDK's client classifies hyper's errors: a failed connection, a cut one or any
/// I/O error may succeed on another try (`io`); anything else is not retried by the SDK.
fn connector_error(e: hyper_util::client::legacy::Error) -> ConnectorError {
    let hyper = find::<hyper::Error>(&e);
    if hyper.is_some_and(hyper::Error::is_timeout) {
        return ConnectorError::timeout(e.into());
    }
    let cut = hyper.is_some_and(|h| h.is_incomplete_message() || h.is_closed() || h.is_canceled());
    if e.is_connect() || cut || find::<io::Error>(&e).is_some() {
        ConnectorError::io(e.into())
    } else {
        ConnectorError::other(e.into(), None)
    }
}

/// hyper's TCP connector, its sockets wrapped in [`QuickAck`].
#[derive(Debug, Clone)]
struct Connect {
    tcp: Tcp,
}

impl tower_service::Service<http::Uri> for Connect {
    type Response = QuickAck;
    type Error = <Tcp as tower_service::Service<http::Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<QuickAck, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.tcp.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.tcp.call(uri);
        Box::pin(async move { Ok(QuickAck(connecting.await?)) })
    }
}

/// Asks the kernel to acknowledge what was read from `stream` at once (`TCP_QUICKACK`,
/// which Linux does not keep set, so after each read). Best effort: should the kernel
/// refuse, the next read is only as slow as without it.
pub(crate) fn ack_now(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

/// A TCP connection that asks for an immediate acknowledgement of what each read took.
#[derive(Debug)]
struct QuickAck(TokioIo<TcpStream>);

impl Read for QuickAck {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let io = &mut self.get_mut().0;
        let read = Pin::new(&mut *io).poll_read(cx, buf);
        // Only once a read is done (bytes taken, or the end): then an acknowledgement is
        // due, and asking for it sends it now; a read that found nothing yet costs no
        // system call.
        if matches!(read, Poll::Ready(Ok(()))) {
            ack_now(io.inner());
        }
        read
    }
}

impl Write for QuickAck {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }
}

impl Connection for QuickAck {
    fn connected(&self) -> Connected {
        self.0.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::primitives::ByteStream;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers every request on a connection like s3s does: the headers
    /// in one write, the body in another, Nagle's algorithm on.
    async fn split_writes_server() -> std::net::SocketAddr {
        crate::providers::aws::test_server::serve(|mut s| async move {
            let mut buf = vec![0u8; 4096];
            let mut seen = Vec::new();
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                seen.extend_from_slice(&buf[..n]);
                while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                    seen.drain(..end + 4);
                    let body = [7u8; 16 * 1024];
                    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
                    if s.write_all(head.as_bytes()).await.is_err()
                        || s.write_all(&body).await.is_err()
                    {
                        return;
                    }
                }
            }
        })
        .await
    }

    #[tokio::test]
    async fn a_body_written_after_its_headers_arrives_without_waiting_for_a_delayed_ack() {
        let addr = split_writes_server().await;
        let conn = connector(Some(Duration::from_secs(3)));
        let get = || {
            let req = http::Request::get(format!("http://{addr}/o"))
                .body(SdkBody::empty())
                .expect("a valid request");
            conn.call(HttpRequest::try_from(req).expect("an http 1.x request"))
        };
        // The first exchanges of a connection are acknowledged at once anyway; time the
        // later ones, where a delayed acknowledgement costs 40 ms each.
        for _ in 0..4 {
            get().await.expect("answers");
        }
        let started = std::time::Instant::now();
        for _ in 0..20 {
            let response = get().await.expect("answers");
            assert_eq!(response.status().as_u16(), 200);
            let body = ByteStream::new(response.into_body())
                .collect()
                .await
                .expect("the body arrives")
                .into_bytes();
            assert_eq!(body.len(), 16 * 1024);
        }
        let took = started.elapsed();
        // 20 delayed acknowledgements would take at least 800 ms.
        assert!(
            took < Duration::from_millis(400),
            "20 GETs took {took:?}: the body waited for delayed acknowledgements"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_the_sdk_retries() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
            l.local_addr().expect("has an address").port()
        };
        let conn = connector(Some(Duration::from_secs(3)));
        let req = http::Request::get(format!("http://127.0.0.1:{port}/o"))
            .body(SdkBody::empty())
            .expect("a valid request");
        let err = conn
            .call(HttpRequest::try_from(req).expect("an http 1.x request"))
            .await
            .expect_err("nothing listens");
        assert!(err.is_io(), "{err:?}");
    }

    #[tokio::test]
    async fn the_client_hands_out_one_connector_per_connect_timeout() {
        let client = QuickAckClient::default();
        let three = Some(Duration::from_secs(3));
        for timeout in [three, three, None, three] {
            client.connector_for(timeout);
        }
        let built = client.built.lock().expect("not poisoned");
        let timeouts: Vec<_> = built.iter().map(|(t, _)| *t).collect();
        assert_eq!(timeouts, [three, None]);
    }
}
