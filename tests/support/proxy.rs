//! A fault-injecting HTTP/1.1 proxy to put in front of any test server, plain or TLS.
//!
//! Rules match a method and a path prefix and fire a given number of times (or
//! always): an error status (5xx, 429, S3's 503 SlowDown), added latency, or a
//! connection cut half-way through the response body. Requests are forwarded unchanged
//! (the `Host` header too, so SigV4 signatures stay valid), one per connection, and
//! responses are streamed (Kubernetes watches never end on their own).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

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
    /// Forward, but cut the connection after the headers and part of the body.
    ResetMidBody,
    /// Forward without these request headers (lowercase names): a store that ignores
    /// them, e.g. `if-none-match` and `if-match` on PutObject.
    DropHeaders(Vec<&'static str>),
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

/// Where the proxy forwards to.
#[derive(Clone)]
enum Upstream {
    Plain(u16),
    Tls {
        port: u16,
        config: Arc<rustls::ClientConfig>,
    },
}

/// A connection, plain or TLS.
trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// A running proxy.
pub struct FaultProxy {
    /// The port to point clients at.
    pub port: u16,
    rules: Arc<Mutex<Vec<Rule>>>,
    log: Arc<Log>,
}

/// What the proxy saw.
#[derive(Default)]
struct Log {
    /// `METHOD path` and the `User-Agent` (empty if none) of every request.
    requests: Mutex<Vec<(String, String)>>,
    /// SigV4 access key ids, each once.
    keys: Mutex<Vec<String>>,
}

impl FaultProxy {
    /// Starts a plain-HTTP proxy forwarding to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16) -> Self {
        Self::spawn(Upstream::Plain(upstream_port), None)
    }

    /// Starts an HTTPS proxy in front of an HTTPS server on `upstream_port`: it presents
    /// `cert`/`key` (which clients must trust for `127.0.0.1`) and trusts `ca` upstream.
    pub fn start_tls(upstream_port: u16, cert: &Path, key: &Path, ca: &Path) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .expect("cert file")
            .map(|c| c.expect("cert"))
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).expect("key file");
        let server = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca).expect("ca file") {
            roots.add(c.expect("ca cert")).expect("add ca");
        }
        let client = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self::spawn(
            Upstream::Tls {
                port: upstream_port,
                config: Arc::new(client),
            },
            Some(Arc::new(server)),
        )
    }

    fn spawn(up: Upstream, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let log: Arc<Log> = Arc::default();
        let (r, l) = (rules.clone(), log.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (r, l, up, tls) = (r.clone(), l.clone(), up.clone(), tls.clone());
                std::thread::spawn(move || {
                    let client: Box<dyn Conn> = match tls {
                        Some(cfg) => match rustls::ServerConnection::new(cfg) {
                            Ok(c) => Box::new(rustls::StreamOwned::new(c, conn)),
                            Err(_) => return,
                        },
                        None => Box::new(conn),
                    };
                    let _ = handle(client, &up, &r, &l);
                });
            }
        });
        Self { port, rules, log }
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
        self.log
            .requests
            .lock()
            .expect("requests")
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// The access key ids of the signed requests seen (SigV4 `Credential=KEY/…`), each
    /// once, in order of first use.
    pub fn access_keys(&self) -> Vec<String> {
        self.log.keys.lock().expect("keys").clone()
    }

    /// The `User-Agent` of every request matching `method` and `path_prefix` so far
    /// (empty for a request without one).
    pub fn agents(&self, method: &str, path_prefix: &str) -> Vec<String> {
        let want = format!("{method} {path_prefix}");
        self.log
            .requests
            .lock()
            .expect("requests")
            .iter()
            .filter(|(r, _)| r.starts_with(&want))
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// How many requests matched `method` and `path_prefix` so far.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.starts_with(&format!("{method} {path_prefix}")))
            .count()
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

fn connect(up: &Upstream) -> std::io::Result<Box<dyn Conn>> {
    match up {
        Upstream::Plain(port) => Ok(Box::new(TcpStream::connect(("127.0.0.1", *port))?)),
        Upstream::Tls { port, config } => {
            let tcp = TcpStream::connect(("127.0.0.1", *port))?;
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1")
                .map_err(std::io::Error::other)?;
            let conn = rustls::ClientConnection::new(config.clone(), name)
                .map_err(std::io::Error::other)?;
            Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
        }
    }
}

fn respond(
    client: &mut Box<dyn Conn>,
    status: u16,
    reason: &str,
    body: &str,
    ctype: &str,
) -> std::io::Result<()> {
    write!(
        client,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    client.flush()
}

fn handle(
    client: Box<dyn Conn>,
    up: &Upstream,
    rules: &Mutex<Vec<Rule>>,
    log: &Log,
) -> std::io::Result<()> {
    let keys = &log.keys;
    let mut agent = String::new();
    let mut reader = BufReader::new(client);
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
        if lower.starts_with("user-agent:") {
            agent = line["user-agent:".len()..].trim().to_string();
        }
        if lower.starts_with("authorization:")
            && let Some(rest) = line.split("Credential=").nth(1)
            && let Some(key) = rest.split('/').next()
            && let Ok(mut k) = keys.lock()
            && !k.iter().any(|x| x == key)
        {
            k.push(key.to_string());
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
    log.requests
        .lock()
        .map(|mut r| r.push((format!("{method} {path}"), agent)))
        .ok();
    let mut client = reader.into_inner();
    let fault = pick(rules, &method, &path);
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
    if let Some(Fault::DropHeaders(names)) = &fault {
        let text = String::from_utf8_lossy(&head).into_owned();
        head = text
            .split_inclusive("\r\n")
            .filter(|line| {
                let lower = line.to_ascii_lowercase();
                !names.iter().any(|n| lower.starts_with(&format!("{n}:")))
            })
            .collect::<String>()
            .into_bytes();
    }
    let mut upstream = connect(up)?;
    upstream.write_all(&head)?;
    upstream.write_all(&body)?;
    upstream.flush()?;
    let cut = matches!(fault, Some(Fault::ResetMidBody));
    let mut held = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match upstream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            // TLS peers that close without close_notify.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        };
        if !cut {
            client.write_all(&buf[..n])?;
            client.flush()?;
            continue;
        }
        // Cut: let the headers and one byte of body through, then drop the connection.
        held.extend_from_slice(&buf[..n]);
        if let Some(p) = held.windows(4).position(|w| w == b"\r\n\r\n")
            && held.len() > p + 4
        {
            client.write_all(&held[..p + 5])?;
            return client.flush();
        }
    }
    if cut {
        client.write_all(&held[..held.len() / 2])?;
    }
    client.flush()
}
