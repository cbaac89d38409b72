//! For the AWS clients' unit tests: a loopback TCP server whose connections the test
//! handles byte by byte, to play a store that misbehaves below HTTP (writes split
//! under Nagle's algorithm, a body read slowly), which no real test server does on
//! demand.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

/// Listens on a free loopback port and hands each accepted connection to `handle`, in
/// a task of its own, for as long as the test runs.
pub(crate) async fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("has an address");
    let handle = Arc::new(handle);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handle(s));
        }
    });
    addr
}
