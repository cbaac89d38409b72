//! The direct path against stores played byte by byte: a source that cuts its body
//! mid-way (resumed into the same PUT), a destination that refuses, a source that falls
//! silent. Real stores run in the integration tests (`tests/it/sync.rs`); these are
//! the breaks they cannot be made to do at a chosen byte.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Direct;
use crate::providers::aws::StoreSpec;
use crate::providers::aws::sync::Location;
use crate::providers::aws::test_server::serve;
use crate::providers::retry::Backoff;

/// Reads one request head; `None` when the connection ends first.
async fn request(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).to_ascii_lowercase())
}

/// The value of header `name` (lowercase) in `head`.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// A location on a plain-HTTP store at `addr` whose client gives up after `idle`.
fn location(addr: std::net::SocketAddr, idle: Duration) -> Location {
    let creds = Credentials::new("AK", "SK", None, None, "test");
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .force_path_style(true)
        .credentials_provider(creds.clone())
        .timeout_config(
            aws_smithy_types::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(idle)
                .build(),
        )
        .build();
    let store = StoreSpec {
        endpoint: Some(format!("http://{addr}")),
        path_style: Some(true),
        ..StoreSpec::default()
    };
    Location::for_store(
        aws_sdk_s3::Client::from_conf(conf),
        &store,
        Some(SharedCredentialsProvider::new(creds)),
        "lake",
        "",
    )
}

/// A source serving `body` as `lake/k` (ETag `"v1"`) on keep-alive connections,
/// honouring `range: bytes=N-`; the first answer stops after `cut` bytes of body and
/// then, if `hang`, holds the connection open without a word, else closes it.
async fn source(body: Arc<Vec<u8>>, cut: usize, hang: bool) -> std::net::SocketAddr {
    let first = Arc::new(Mutex::new(true));
    serve(move |mut s| {
        let (body, first) = (body.clone(), first.clone());
        async move {
            while let Some(head) = request(&mut s).await {
                let from: usize = header(&head, "range")
                    .and_then(|r| r.strip_prefix("bytes=")?.split('-').next()?.parse().ok())
                    .unwrap_or(0);
                if from > 0 && header(&head, "if-match") != Some("\"v1\"") {
                    let _ = s
                        .write_all(b"HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    continue;
                }
                let (status, range) = if from > 0 {
                    let range = format!(
                        "Content-Range: bytes {from}-{}/{}\r\n",
                        body.len() - 1,
                        body.len()
                    );
                    ("206 Partial Content", range)
                } else {
                    ("200 OK", String::new())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{range}ETag: \"v1\"\r\n\r\n",
                    body.len() - from
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let once = std::mem::replace(&mut *first.lock().expect("not poisoned"), false);
                if (once && from + cut < body.len()) || hang {
                    let _ = s.write_all(&body[from..(from + cut).min(body.len())]).await;
                    if hang {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    return;
                }
                let _ = s.write_all(&body[from..]).await;
            }
        }
    })
    .await
}

/// A destination that keeps what each PUT sends, answering `status` with `answer` as
/// its body once the body has arrived.
async fn destination(
    status: &'static str,
    answer: &'static str,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let got: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let keep = got.clone();
    let addr = serve(move |mut s| {
        let keep = keep.clone();
        async move {
            while let Some(head) = request(&mut s).await {
                let len: usize = header(&head, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                if s.read_exact(&mut body).await.is_err() {
                    return;
                }
                keep.lock().expect("not poisoned").push(body);
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
            }
        }
    })
    .await;
    (addr, got)
}

/// The direct path from the store at `src` (whose client gives up after `idle`) to the
/// one at `dst`.
async fn direct(src: std::net::SocketAddr, idle: Duration, dst: std::net::SocketAddr) -> Direct {
    Direct::new(&location(src, idle), &location(dst, Duration::from_secs(5)))
        .await
        .expect("both stores are plain HTTP with lasting keys")
}

fn backoff(attempts: u32) -> Backoff {
    Backoff {
        first: Duration::from_millis(10),
        max: Duration::from_millis(10),
        attempts,
    }
}

fn object(len: usize) -> Arc<Vec<u8>> {
    Arc::new((0..len).map(|i| (i * 7 % 251) as u8).collect())
}

#[tokio::test]
async fn a_body_cut_mid_splice_is_resumed_into_the_same_put_byte_for_byte() {
    let body = object(3 * 1024 * 1024 + 17);
    // Cut well past the head's first read, so the break comes while splicing.
    let src = source(body.clone(), 1_500_000, false).await;
    let (dst, got) = destination("200 OK", "").await;
    let direct = direct(src, Duration::from_secs(5), dst).await;
    direct
        .copy("k", body.len() as u64, &backoff(3))
        .await
        .expect("copied");
    let got = got.lock().expect("not poisoned");
    assert_eq!(got.len(), 1, "one PUT, fed by both GETs");
    assert!(got[0] == *body, "the copy is byte for byte the source");
}

#[tokio::test]
async fn a_refusal_is_the_stores_own_error_and_is_not_retried() {
    let body = object(600 * 1024);
    let src = source(body.clone(), usize::MAX, false).await;
    let (dst, got) = destination(
        "403 Forbidden",
        "<Error><Code>AccessDenied</Code><Message>not this bucket</Message></Error>",
    )
    .await;
    let direct = direct(src, Duration::from_secs(5), dst).await;
    let err = direct
        .copy("k", body.len() as u64, &backoff(3))
        .await
        .expect_err("refused");
    let text = crate::render::error_chain(&err);
    assert!(text.contains("PutObject k"), "{text}");
    assert!(text.contains("not this bucket"), "{text}");
    assert_eq!(got.lock().expect("not poisoned").len(), 1, "not retried");
}

#[tokio::test]
async fn a_source_that_falls_silent_is_given_up_after_the_idle_limit() {
    let body = object(1024 * 1024);
    let src = source(body.clone(), 300 * 1024, true).await;
    let (dst, _) = destination("200 OK", "").await;
    let direct = direct(src, Duration::from_millis(300), dst).await;
    let started = std::time::Instant::now();
    let err = direct
        .copy("k", body.len() as u64, &backoff(2))
        .await
        .expect_err("the source never finishes");
    let text = crate::render::error_chain(&err);
    assert!(text.contains("broke 2 times"), "{text}");
    assert!(text.contains("no answer in time"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_object_that_changed_since_the_listing_is_not_copied() {
    let body = object(1000);
    let src = source(body.clone(), usize::MAX, false).await;
    let (dst, got) = destination("200 OK", "").await;
    let direct = direct(src, Duration::from_secs(5), dst).await;
    let err = direct
        .copy("k", 999, &backoff(3))
        .await
        .expect_err("listed with another size");
    assert!(
        err.to_string().contains("listed with 999 bytes, now 1000"),
        "{err}"
    );
    assert!(got.lock().expect("not poisoned").is_empty());
}

#[tokio::test]
async fn a_body_without_a_length_is_refused_with_the_way_around_it() {
    let src = serve(|mut s| async move {
        if request(&mut s).await.is_some() {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                .await;
        }
    })
    .await;
    let (dst, got) = destination("200 OK", "").await;
    let direct = direct(src, Duration::from_secs(5), dst).await;
    let err = direct
        .copy("k", 3, &backoff(3))
        .await
        .expect_err("no length");
    assert!(err.to_string().contains("--no-direct"), "{err}");
    assert!(got.lock().expect("not poisoned").is_empty());
}

#[tokio::test]
async fn a_connection_is_used_again_after_a_spliced_body_even_for_a_tiny_answer() {
    let big = object(2 * 1024 * 1024 + 3000);
    let tiny = object(100);
    let accepted = Arc::new(AtomicUsize::new(0));
    let (b, t, count) = (big.clone(), tiny.clone(), accepted.clone());
    // Keep-alive; `lake/big` or `lake/tiny` by the request line.
    let src = serve(move |mut s| {
        let (big, tiny) = (b.clone(), t.clone());
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            while let Some(head) = request(&mut s).await {
                let body = if head.starts_with("get /lake/big ") {
                    &big
                } else {
                    &tiny
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"v1\"\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.write_all(body).await;
            }
        }
    })
    .await;
    let (dst, got) = destination("200 OK", "").await;
    // Were the source's socket left waiting for a batch of the big body's size, the tiny
    // answer would wait out this limit.
    let direct = direct(src, Duration::from_secs(3), dst).await;
    let started = std::time::Instant::now();
    direct
        .copy("big", big.len() as u64, &backoff(1))
        .await
        .expect("copied");
    direct
        .copy("tiny", tiny.len() as u64, &backoff(1))
        .await
        .expect("copied");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection, kept alive"
    );
    let got = got.lock().expect("not poisoned");
    assert!(got.len() == 2 && got[0] == *big && got[1] == *tiny);
}

#[tokio::test]
async fn an_empty_object_is_copied_as_an_empty_put() {
    let src = source(object(0), usize::MAX, false).await;
    let (dst, got) = destination("200 OK", "").await;
    let direct = direct(src, Duration::from_secs(5), dst).await;
    direct.copy("k", 0, &backoff(1)).await.expect("copied");
    let got = got.lock().expect("not poisoned");
    assert_eq!(got.len(), 1, "one PUT");
    assert!(got[0].is_empty());
}
