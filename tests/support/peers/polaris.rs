//! Polaris for the tests: the Polaris stand-in (`tests/peers/polaris-stand-in`, issue 15),
//! started once per test binary by [`polaris`] through `tests/peers/polaris-stand-in.sh`
//! (which builds it first if needed) on a free port, under [`Guarded`], with an s3s-fs
//! behind it for the warehouses. It serves two realms: [`PolarisPeer::realm`] for every
//! test and [`PolarisPeer::setup_realm`] for the `setup apply`/`setup export` round trip,
//! which exports a whole realm and so needs one nobody else writes to.
//!
//! With `FORGE_TEST_POLARIS_URL` set (e.g. `http://127.0.0.1:8181`), that Polaris is used
//! instead and nothing is started: its root credentials come from
//! `FORGE_TEST_POLARIS_ROOT=id:secret`, its realm from `FORGE_TEST_POLARIS_REALM`
//! (default `POLARIS`) and the second realm from `FORGE_TEST_POLARIS_SETUP_REALM` (the
//! round trip is skipped without it). Its catalogs still point at the s3s-fs started here,
//! so that Polaris must reach 127.0.0.1 and hold s3s-fs' keys (see docs/testing.md).
//! A real Polaris has no spec report: [`PolarisPeer::spec_report`] is then `None`.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::process::{Guarded, free_port};
use super::super::servers::{S3Server, s3s_fs};
use super::fresh_dir;
use super::polaris_http::{Reply, send};

/// The foreground script that builds (if needed) and runs the stand-in.
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/polaris-stand-in.sh"
);

/// A Polaris to test against.
pub struct PolarisPeer {
    /// `http://127.0.0.1:PORT`: the API is under `/api/...`.
    pub url: String,
    /// Its port on 127.0.0.1 (for the fault proxy; external URLs must be on 127.0.0.1 too).
    pub port: u16,
    /// The realm every test uses (`Polaris-Realm` header).
    pub realm: String,
    /// A second realm, only for the setup round trip; `None` if an external Polaris has none.
    pub setup_realm: Option<String>,
    /// The root principal's client id.
    pub root_id: String,
    /// The root principal's secret.
    pub root_secret: String,
    /// The S3 store the test catalogs live in (s3s-fs, started here in both modes).
    pub s3: &'static S3Server,
    /// True for the stand-in started here, false for `FORGE_TEST_POLARIS_URL`.
    pub stand_in: bool,
    /// Launch of the script to the `ready` line (stand-in only).
    pub startup: Option<Duration>,
    /// The stand-in's log (stdout and stderr), kept after the run.
    pub log: Option<PathBuf>,
    _process: Mutex<Option<Guarded>>,
}

/// Polaris, started on first use. Panics (in every test that asks) if it could not start,
/// with the end of the stand-in's log.
pub fn polaris() -> &'static PolarisPeer {
    static PEER: OnceLock<PolarisPeer> = OnceLock::new();
    PEER.get_or_init(|| match std::env::var("FORGE_TEST_POLARIS_URL") {
        Ok(url) if !url.is_empty() => external(url),
        _ => start(),
    })
}

impl PolarisPeer {
    /// The stand-in's spec report (`/_standin/spec-report`): `checks`, `violations`,
    /// `expected`, `missed`, `waived`, `undocumented`. `None` for a real Polaris.
    pub fn spec_report(&self) -> Option<Value> {
        if !self.stand_in {
            return None;
        }
        let r = send(self.port, "GET", "/_standin/spec-report", &[], None);
        assert_eq!(r.status, 200, "spec report: {}", r.text);
        Some(r.json())
    }

    /// Asserts that no request or response so far broke the OpenAPI documents (and that no
    /// deliberately off-spec request went unnoticed); returns the number of checks made,
    /// `None` for a real Polaris. `context` names the test for the failure message.
    pub fn assert_spec_clean(&self, context: &str) -> Option<u64> {
        let report = self.spec_report()?;
        let violations = &report["violations"];
        let missed = &report["missed"];
        assert!(
            violations.as_array().is_some_and(Vec::is_empty)
                && missed.as_array().is_some_and(Vec::is_empty),
            "{context}: the stand-in's spec checks failed:\n{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        let checks = report["checks"]
            .as_u64()
            .expect("the spec report counts its checks");
        eprintln!(
            "{context}: {checks} spec checks so far, no violation; stand-in RSS {} KiB",
            self.rss_kib().unwrap_or_default()
        );
        Some(checks)
    }

    /// The stand-in's resident set size in KiB (`/_standin/health`); `None` for a real Polaris.
    pub fn rss_kib(&self) -> Option<u64> {
        if !self.stand_in {
            return None;
        }
        let r = send(self.port, "GET", "/_standin/health", &[], None);
        r.json()["rssKiB"].as_u64()
    }

    /// An access token for `client_id:secret` in `realm` with `scope`, or the token
    /// endpoint's refusal.
    pub fn token_in(
        &self,
        realm: &str,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> Result<String, Reply> {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            urlencode(client_id),
            urlencode(secret),
            urlencode(scope)
        );
        let r = send(
            self.port,
            "POST",
            "/api/catalog/v1/oauth/tokens",
            &[
                ("Polaris-Realm", realm),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(form.as_bytes()),
        );
        match r.json()["access_token"].as_str() {
            Some(t) if r.status == 200 => Ok(t.to_string()),
            _ => Err(r),
        }
    }

    /// A `PRINCIPAL_ROLE:ALL` token for `client_id:secret` in the test realm; panics if refused.
    pub fn token(&self, client_id: &str, secret: &str) -> String {
        self.token_in(&self.realm, client_id, secret, "PRINCIPAL_ROLE:ALL")
            .unwrap_or_else(|r| panic!("token for {client_id} refused: {} {}", r.status, r.text))
    }

    /// The root principal's token in the test realm.
    pub fn root_token(&self) -> String {
        self.token(&self.root_id, &self.root_secret)
    }

    /// `METHOD path` with a bearer token and a JSON body, in the test realm.
    pub fn call(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {token}");
        let bytes = body.map(|b| b.to_string().into_bytes());
        send(
            self.port,
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Polaris-Realm", &self.realm),
                ("Content-Type", "application/json"),
            ],
            bytes.as_deref(),
        )
    }

    /// Creates a bucket in the S3 store and an INTERNAL S3 catalog of the same name whose
    /// `default-base-location` is `s3://NAME` (the seed's shape: path-style, no STS), as root.
    pub fn create_catalog(&self, name: &str) {
        super::super::servers::boto3(self.s3, &format!("s3.create_bucket(Bucket='{name}')"));
        let r = self.call(
            &self.root_token(),
            "POST",
            "/api/management/v1/catalogs",
            Some(&catalog_body(name, &self.s3.endpoint)),
        );
        assert_eq!(r.status, 201, "create catalog {name}: {}", r.text);
    }
}

/// The body of a create-catalog request for the seed's catalog shape.
pub fn catalog_body(name: &str, endpoint: &str) -> Value {
    serde_json::json!({"catalog": {
        "name": name,
        "type": "INTERNAL",
        "properties": {"default-base-location": format!("s3://{name}")},
        "storageConfigInfo": {
            "storageType": "S3",
            "allowedLocations": [format!("s3://{name}")],
            "endpoint": endpoint,
            "region": "us-east-1",
            "pathStyleAccess": true,
            "stsUnavailable": true
        }
    }})
}

/// Percent-encodes a form value (everything but unreserved characters).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn start() -> PolarisPeer {
    let s3 = s3s_fs();
    let dir = fresh_dir("polaris");
    let port = free_port();
    let (realm, setup_realm) = ("POLARIS".to_string(), "FORGE_SETUP".to_string());
    let root_id = "root".to_string();
    let root_secret = format!("s3cr3t-{}", std::process::id());
    let args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--realm",
        &format!("{realm},{setup_realm}"),
        "--root",
        &format!("{root_id}:{root_secret}"),
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-access-key",
        &s3.access_key,
        "--s3-secret-key",
        &s3.secret_key,
    ]
    .map(String::from)
    .to_vec();
    let log = dir.join("polaris-stand-in.log");
    let t0 = Instant::now();
    let mut process = Guarded::spawn(
        "polaris-stand-in",
        &PathBuf::from(SCRIPT),
        &args,
        &[],
        &dir,
        log.clone(),
    );
    let ready = format!("ready http://127.0.0.1:{port}");
    // Generous: a machine without the build in its cache compiles it first (about 20 s cold).
    process.wait_ready(Duration::from_secs(600), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.lines().any(|line| line == ready))
    });
    PolarisPeer {
        url: format!("http://127.0.0.1:{port}"),
        port,
        realm,
        setup_realm: Some(setup_realm),
        root_id,
        root_secret,
        s3,
        stand_in: true,
        startup: Some(t0.elapsed()),
        log: Some(log),
        _process: Mutex::new(Some(process)),
    }
}

fn external(url: String) -> PolarisPeer {
    let root = std::env::var("FORGE_TEST_POLARIS_ROOT")
        .expect("FORGE_TEST_POLARIS_ROOT=id:secret must accompany FORGE_TEST_POLARIS_URL");
    let (root_id, root_secret) = root
        .split_once(':')
        .expect("FORGE_TEST_POLARIS_ROOT must be CLIENT_ID:SECRET");
    let port = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("FORGE_TEST_POLARIS_URL must be http://127.0.0.1:PORT");
    PolarisPeer {
        url: url.trim_end_matches('/').to_string(),
        port,
        realm: std::env::var("FORGE_TEST_POLARIS_REALM").unwrap_or_else(|_| "POLARIS".into()),
        setup_realm: std::env::var("FORGE_TEST_POLARIS_SETUP_REALM").ok(),
        root_id: root_id.to_string(),
        root_secret: root_secret.to_string(),
        s3: s3s_fs(),
        stand_in: false,
        startup: None,
        log: None,
        _process: Mutex::new(None),
    }
}
