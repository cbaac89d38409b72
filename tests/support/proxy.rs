//! A fault-injecting HTTP/1.1 proxy to put in front of any test server.
//!
//! Rules match a method and a path prefix and fire a given number of times (or
//! always): an error status (5xx, 429, S3's 503 SlowDown), added latency, or a
//! connection cut half-way through the response body. Requests are forwarded unchanged
//! (the `Host` header too, so SigV4 signatures stay valid), one per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do to a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and body instead of forwarding.
    Status(u16, String),
    /// S3's `503 SlowDown`.
    SlowDown,
    /// `429 Too Many Requests`.
    TooManyRequests,
    /// Wait, then forward.
    Latency(Duration),
    /// Forward, but cut the connection half-way through the response.
    ResetMidBody,
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `GET`, `PUT`, ...; `None` matches any.
    pub method: Option<String>,
    /// Path prefix, e.g. `/api/management/v1/catalogs`.
    pub path_prefix: String,
    /// How many more times it fires; `None`: always.
    pub remaining: Option<usize>,
    /// The fault.
    pub fault: Fault,
}

/// A running proxy.
pub struct FaultProxy {
    /// The port to point clients at.
    pub port: u16,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, s) = (rules.clone(), seen.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, upstream_port, &r, &s);
                });
            }
        });
        Self { port, rules, seen }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Adds a rule.
    pub fn add(&self, method: Option<&str>, path_prefix: &str, times: Option<usize>, fault: Fault) {
        self.rules.lock().expect("rules").push(Rule {
            method: method.map(str::to_string),
            path_prefix: path_prefix.to_string(),
            remaining: times,
            fault,
        });
    }

    /// Removes all rules.
    pub fn clear(&self) {
        self.rules.lock().expect("rules").clear();
    }

    /// `METHOD path` of every request seen.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("seen").clone()
    }
}

fn pick(rules: &Mutex<Vec<Rule>>, method: &str, path: &str) -> Option<Fault> {
    let mut rules = rules.lock().ok()?;
    for rule in rules.iter_mut() {
        let matches = rule
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.starts_with(&rule.path_prefix)
            && rule.remaining != Some(0);
        if matches {
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            return Some(rule.fault.clone());
        }
    }
    None
}

fn handle(
    client: TcpStream,
    upstream_port: u16,
    rules: &Mutex<Vec<Rule>>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    let request_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    seen.lock()
        .map(|mut s| s.push(format!("{method} {path}")))
        .ok();
    let mut client = client;
    let fault = pick(rules, &method, &path);
    let respond = |client: &mut TcpStream,
                   status: u16,
                   reason: &str,
                   body: &str,
                   ctype: &str|
     -> std::io::Result<()> {
        write!(
            client,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        client.shutdown(Shutdown::Both)
    };
    match &fault {
        Some(Fault::Status(code, b)) => {
            return respond(&mut client, *code, "Injected", b, "application/json");
        }
        Some(Fault::SlowDown) => {
            return respond(
                &mut client,
                503,
                "Slow Down",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                "application/xml",
            );
        }
        Some(Fault::TooManyRequests) => {
            return respond(
                &mut client,
                429,
                "Too Many Requests",
                "{\"error\":{\"message\":\"slow down\",\"type\":\"TooManyRequests\",\"code\":429}}",
                "application/json",
            );
        }
        Some(Fault::Latency(d)) => std::thread::sleep(*d),
        _ => {}
    }
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port))?;
    upstream.write_all(&head)?;
    upstream.write_all(&body)?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    if matches!(fault, Some(Fault::ResetMidBody)) {
        let header_end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
            .unwrap_or(0);
        let cut = header_end + (response.len() - header_end) / 2;
        client.write_all(&response[..cut.max(header_end + 1).min(response.len())])?;
        return client.shutdown(Shutdown::Both);
    }
    client.write_all(&response)?;
    client.shutdown(Shutdown::Both)
}
