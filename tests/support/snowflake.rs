//! The Snowflake emulator (`tests/support/snowflake/emulator.py`, see docs/testing.md): a
//! stateful Snowflake SQL API v2 in Python, started once per test binary by [`snowflake`]
//! on a free port under [`Guarded`], with moto (the harness's, [`moto`]) as the S3 and IAM
//! behind its external volumes.
//!
//! The harness makes an RSA key pair for the emulator's one user (PEM files written by
//! `openssl`), a programmatic access token and an OAuth token, and offers a small client:
//! [`SnowflakeEmulator::jwt`] signs a key-pair JWT as Snowflake wants it,
//! [`SnowflakeEmulator::sql`] runs statements (polling a 202 until done),
//! [`SnowflakeEmulator::rows`] reads every partition of a result. Every response that client
//! receives from `/api/v2/statements...` is checked against Snowflake's published SQL API
//! document (`tests/support/snowflake/spec/sqlapi.yaml`, see [`SqlApiSpec`]); a response that
//! breaks it panics the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::peers::fresh_dir;
use super::peers::polaris_http::{Reply, send};
use super::process::{Guarded, free_port};
use super::servers::{S3Server, moto};

/// The emulator's sources.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/snowflake");

/// The account identifier the emulator serves (as it appears in JWT claims).
pub const ACCOUNT: &str = "FORGETEST-EMU";
/// The emulator's one user.
pub const USER: &str = "FORGE";

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `KEYPAIR_JWT` with this token.
    Jwt(String),
    /// `PROGRAMMATIC_ACCESS_TOKEN`.
    Pat(String),
    /// `OAUTH` (also what a missing token type header means).
    OAuthToken(String),
    /// Exactly these two header values (`None` leaves the header out): for broken requests.
    Raw(Option<String>, Option<String>),
}

impl Auth {
    fn headers(&self) -> Vec<(String, String)> {
        let (auth, typ) = match self {
            Auth::Jwt(t) => (Some(format!("Bearer {t}")), Some("KEYPAIR_JWT".to_string())),
            Auth::Pat(t) => (
                Some(format!("Bearer {t}")),
                Some("PROGRAMMATIC_ACCESS_TOKEN".to_string()),
            ),
            Auth::OAuthToken(t) => (Some(format!("Bearer {t}")), Some("OAUTH".to_string())),
            Auth::Raw(a, t) => (a.clone(), t.clone()),
        };
        let mut out = Vec::new();
        if let Some(a) = auth {
            out.push(("Authorization".to_string(), a));
        }
        if let Some(t) = typ {
            out.push(("X-Snowflake-Authorization-Token-Type".to_string(), t));
        }
        out
    }
}

/// The running emulator.
pub struct SnowflakeEmulator {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The account identifier ([`ACCOUNT`]).
    pub account: String,
    /// The user ([`USER`]).
    pub user: String,
    /// The user's private key, PKCS#8 PEM (what `~/.snowflake/connections.toml`'s
    /// `private_key_file` would name).
    pub private_key: PathBuf,
    /// The matching public key, PEM (what the emulator was given).
    pub public_key: PathBuf,
    /// `SHA256:<base64 of the SHA-256 of the DER public key>`, as Snowflake's
    /// `RSA_PUBLIC_KEY_FP` and the JWT `iss` show it.
    pub fingerprint: String,
    /// The programmatic access token the emulator accepts.
    pub pat: String,
    /// The OAuth token the emulator accepts.
    pub oauth_token: String,
    /// `STORAGE_AWS_IAM_USER_ARN` of every external volume of the account.
    pub iam_user_arn: String,
    /// The S3 and IAM behind the external volumes (moto).
    pub s3: &'static S3Server,
    /// Launch to the `ready` line.
    pub startup: Duration,
    /// The emulator's log (stdout and stderr).
    pub log: PathBuf,
    _process: Mutex<Guarded>,
}

fn cache() -> PathBuf {
    std::env::var_os("FORGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/forge")
        })
}

/// The emulator's Python dependencies (cryptography, boto3, fastavro), installed by
/// `scripts/install-test-servers.sh`.
pub fn deps_dir() -> PathBuf {
    let dir = cache().join("servers/snowflake-emulator-deps-1");
    assert!(
        dir.join("fastavro").is_dir() && dir.join("cryptography").is_dir(),
        "the Snowflake emulator's dependencies are not installed at {}: run `scripts/install-test-servers.sh`",
        dir.display()
    );
    dir
}

fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl");
    if let Some(data) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write to openssl");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("openssl output");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes a new RSA 2048 key pair (`NAME.p8`, PKCS#8 PEM, and `NAME.pub`, SubjectPublicKeyInfo
/// PEM) into `dir`; returns their paths.
pub fn key_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let private = dir.join(format!("{name}.p8"));
    let public = dir.join(format!("{name}.pub"));
    let p = private.to_str().expect("utf8 path");
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            p,
        ],
        None,
    );
    openssl(
        &[
            "pkey",
            "-in",
            p,
            "-pubout",
            "-out",
            public.to_str().expect("utf8 path"),
        ],
        None,
    );
    (private, public)
}

/// `SHA256:<base64>` of the DER form of a PEM public key (Snowflake's key fingerprint).
pub fn fingerprint(public_pem: &Path) -> String {
    let pem = std::fs::read_to_string(public_pem).expect("read public key");
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64");
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&der))
    )
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Signs `claims` as an RS256 JWT with the PEM private key at `private_key` (by `openssl`).
pub fn sign_jwt(private_key: &Path, claims: &Value) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = b64(claims.to_string().as_bytes());
    let input = format!("{header}.{payload}");
    let sig = openssl(
        &[
            "dgst",
            "-sha256",
            "-sign",
            private_key.to_str().expect("utf8 path"),
        ],
        Some(input.as_bytes()),
    );
    format!("{input}.{}", b64(&sig))
}

/// The emulator, started on first use; panics (in every test that asks) if it could not
/// start, with the end of its log.
pub fn snowflake() -> &'static SnowflakeEmulator {
    static EMU: OnceLock<SnowflakeEmulator> = OnceLock::new();
    EMU.get_or_init(start)
}

fn start() -> SnowflakeEmulator {
    let s3 = moto();
    let deps = deps_dir();
    let dir = fresh_dir("snowflake");
    let (private_key, public_key) = key_pair(&dir, "forge_user");
    let pat = format!("pat-{}-{}", std::process::id(), now());
    let oauth_token = format!("oauth-{}-{}", std::process::id(), now());
    let port = free_port();
    let args: Vec<String> = vec![
        format!("{DIR}/emulator.py"),
        "--port".into(),
        port.to_string(),
        "--account".into(),
        ACCOUNT.into(),
        "--user".into(),
        USER.into(),
        "--public-key".into(),
        public_key.display().to_string(),
        "--pat".into(),
        pat.clone(),
        "--oauth-token".into(),
        oauth_token.clone(),
        "--s3-endpoint".into(),
        s3.endpoint.clone(),
        "--s3-access-key".into(),
        s3.access_key.clone(),
        "--s3-secret-key".into(),
        s3.secret_key.clone(),
        "--sync-wait".into(),
        "5".into(),
    ];
    let log = dir.join("snowflake-emulator.log");
    let t0 = Instant::now();
    let mut process = Guarded::spawn(
        "snowflake-emulator",
        &PathBuf::from("python3"),
        &args,
        &[
            ("PYTHONPATH", deps.display().to_string()),
            ("PYTHONDONTWRITEBYTECODE", "1".into()),
            // boto3 must not pick up the machine's AWS settings.
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ],
        &dir,
        log.clone(),
    );
    let ready = format!("ready http://127.0.0.1:{port}");
    process.wait_ready(Duration::from_secs(60), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.lines().any(|line| line == ready))
    });
    let startup = t0.elapsed();
    let config = send(port, "GET", "/_emulator/config", &[], None).json();
    let iam_user_arn = config["iamUserArn"]
        .as_str()
        .expect("the emulator reports its IAM user")
        .to_string();
    SnowflakeEmulator {
        url: format!("http://127.0.0.1:{port}"),
        port,
        account: ACCOUNT.into(),
        user: USER.into(),
        fingerprint: fingerprint(&public_key),
        private_key,
        public_key,
        pat,
        oauth_token,
        iam_user_arn,
        s3,
        startup,
        log,
        _process: Mutex::new(process),
    }
}

/// Which operation of the SQL API a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `POST /api/v2/statements`.
    Submit,
    /// `GET /api/v2/statements/{handle}`.
    Status,
    /// `POST /api/v2/statements/{handle}/cancel`.
    Cancel,
}

impl SnowflakeEmulator {
    /// The claims of a valid key-pair JWT for the user, issued now for one hour.
    pub fn claims(&self) -> Value {
        let t = now();
        json!({
            "iss": format!("{}.{}.{}", self.account, self.user, self.fingerprint),
            "sub": format!("{}.{}", self.account, self.user),
            "iat": t,
            "exp": t + 3600,
        })
    }

    /// A valid key-pair JWT for the user.
    pub fn jwt(&self) -> String {
        sign_jwt(&self.private_key, &self.claims())
    }

    /// The usual authentication of the tests: a fresh key-pair JWT.
    pub fn auth(&self) -> Auth {
        Auth::Jwt(self.jwt())
    }

    /// `POST /api/v2/statements{query}` with `body`; the reply, checked against the spec.
    pub fn submit(&self, auth: &Auth, query: &str, body: &Value, extra: &[(&str, &str)]) -> Reply {
        let bytes = body.to_string().into_bytes();
        let r = self.raw(
            auth,
            "POST",
            &format!("/api/v2/statements{query}"),
            Some(&bytes),
            extra,
        );
        spec().assert_valid(Op::Submit, &r);
        r
    }

    /// `GET /api/v2/statements/{handle}{query}`; checked against the spec.
    pub fn status(&self, auth: &Auth, handle: &str, query: &str) -> Reply {
        let r = self.raw(
            auth,
            "GET",
            &format!("/api/v2/statements/{handle}{query}"),
            None,
            &[],
        );
        spec().assert_valid(Op::Status, &r);
        r
    }

    /// `POST /api/v2/statements/{handle}/cancel`; checked against the spec.
    pub fn cancel(&self, auth: &Auth, handle: &str) -> Reply {
        let r = self.raw(
            auth,
            "POST",
            &format!("/api/v2/statements/{handle}/cancel"),
            Some(b""),
            &[],
        );
        spec().assert_valid(Op::Cancel, &r);
        r
    }

    /// Any request, unchecked, with `User-Agent` and (for a body) `Content-Type` set unless
    /// `extra` names them (an empty value leaves the header out).
    pub fn raw(
        &self,
        auth: &Auth,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut headers: Vec<(String, String)> = auth.headers();
        let named = |h: &str| extra.iter().any(|(k, _)| k.eq_ignore_ascii_case(h));
        if !named("User-Agent") {
            headers.push(("User-Agent".into(), "forge-tests/0.1".into()));
        }
        if body.is_some() && !named("Content-Type") {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        if !named("Accept") {
            headers.push(("Accept".into(), "application/json".into()));
        }
        for (k, v) in extra {
            if !v.is_empty() {
                headers.push((k.to_string(), v.to_string()));
            }
        }
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        send(self.port, method, path, &refs, body)
    }

    /// Polls a 202 until the statement is done; returns the final reply.
    pub fn wait(&self, auth: &Auth, mut r: Reply) -> Reply {
        let deadline = Instant::now() + Duration::from_secs(120);
        while r.status == 202 {
            assert!(
                Instant::now() < deadline,
                "statement still running: {}",
                r.text
            );
            std::thread::sleep(Duration::from_millis(50));
            let handle = r.json()["statementHandle"]
                .as_str()
                .expect("a 202 names its statement")
                .to_string();
            r = self.status(auth, &handle, "");
        }
        r
    }

    /// Runs `body` (a full request body) and waits for the result.
    pub fn run(&self, auth: &Auth, body: &Value) -> Reply {
        let r = self.submit(auth, "", body, &[]);
        self.wait(auth, r)
    }

    /// Runs one statement with the user's default role (ACCOUNTADMIN), the warehouse
    /// COMPUTE_WH and a fresh JWT; waits for the result.
    pub fn sql(&self, statement: &str) -> Reply {
        self.run(
            &self.auth(),
            &json!({"statement": statement, "warehouse": "COMPUTE_WH"}),
        )
    }

    /// As [`sql`](Self::sql) under `role`.
    pub fn sql_as(&self, role: &str, statement: &str) -> Reply {
        self.run(
            &self.auth(),
            &json!({"statement": statement, "role": role, "warehouse": "COMPUTE_WH"}),
        )
    }

    /// Runs `statement` and panics unless it succeeded; its rows.
    pub fn ok(&self, statement: &str) -> Vec<Vec<Option<String>>> {
        let r = self.sql(statement);
        assert_eq!(r.status, 200, "{statement}: {}", r.text);
        self.rows(&self.auth(), &r)
    }

    /// As [`ok`](Self::ok) under `role`.
    pub fn ok_as(&self, role: &str, statement: &str) -> Vec<Vec<Option<String>>> {
        let r = self.sql_as(role, statement);
        assert_eq!(r.status, 200, "{statement} as {role}: {}", r.text);
        self.rows(&self.auth(), &r)
    }

    /// Every row of a 200 ResultSet, fetching partitions 1.. with GET.
    pub fn rows(&self, auth: &Auth, r: &Reply) -> Vec<Vec<Option<String>>> {
        let body = r.json();
        let mut rows = data(&body);
        let parts = body["resultSetMetaData"]["partitionInfo"]
            .as_array()
            .map_or(1, Vec::len);
        let handle = body["statementHandle"].as_str().unwrap_or_default();
        for p in 1..parts {
            let next = self.status(auth, handle, &format!("?partition={p}"));
            assert_eq!(next.status, 200, "partition {p}: {}", next.text);
            rows.extend(data(&next.json()));
        }
        rows
    }

    /// The rows of a result as maps from column name to value.
    pub fn records(&self, auth: &Auth, r: &Reply) -> Vec<serde_json::Map<String, Value>> {
        let names: Vec<String> = r.json()["resultSetMetaData"]["rowType"]
            .as_array()
            .expect("rowType")
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect();
        self.rows(auth, r)
            .into_iter()
            .map(|row| {
                names
                    .iter()
                    .cloned()
                    .zip(
                        row.into_iter()
                            .map(|v| v.map_or(Value::Null, Value::String)),
                    )
                    .collect()
            })
            .collect()
    }

    /// The emulator's state (`/_emulator/state`): objects, grants, tables with the snapshot,
    /// format version and metadata location they were registered or refreshed from.
    pub fn state(&self) -> Value {
        send(self.port, "GET", "/_emulator/state", &[], None).json()
    }

    /// The statements run so far (`/_emulator/log`): statement text, role, status, code.
    pub fn statement_log(&self) -> Vec<Value> {
        send(self.port, "GET", "/_emulator/log", &[], None).json()["statements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Adds faults (see `tests/support/snowflake/api.py`, `Faults`). They are global: give
    /// each a `match` (a statement substring) unique to the test.
    pub fn add_faults(&self, faults: Value) {
        let body = json!({ "faults": faults }).to_string();
        let r = send(
            self.port,
            "POST",
            "/_emulator/faults",
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 200, "faults: {}", r.text);
    }

    /// The emulator's resident set size in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        send(self.port, "GET", "/_emulator/health", &[], None).json()["rssKiB"].as_u64()
    }

    /// Creates IAM role `name` in moto whose trust lets the account's IAM user assume it with
    /// `external_id`, with the seed's least-privilege policy on `bucket` attached; its ARN.
    pub fn trusted_role(&self, name: &str, bucket: &str, external_id: &str) -> String {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "SnowflakeAccess", "Effect": "Allow",
            "Principal": {"AWS": self.iam_user_arn}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]});
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion",
                "s3:DeleteObject", "s3:DeleteObjectVersion"],
             "Resource": format!("arn:aws:s3:::{bucket}/*")},
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": format!("arn:aws:s3:::{bucket}"),
             "Condition": {"StringLike": {"s3:prefix": ["*"]}}}]});
        let (name, trust, policy) = (py(name), py(&trust.to_string()), py(&policy.to_string()));
        iam(
            self.s3,
            &format!(
                "r = iam.create_role(RoleName={name}, AssumeRolePolicyDocument={trust})\n\
                 p = iam.create_policy(PolicyName={name}, PolicyDocument={policy})\n\
                 iam.attach_role_policy(RoleName={name}, PolicyArn=p['Policy']['Arn'])\n\
                 print(r['Role']['Arn'])"
            ),
        )
    }
}

/// `s` as a Python string literal.
pub fn py(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Runs a boto3 IAM snippet against `server` (moto); its stdout. The snippet gets `iam`.
pub fn iam(server: &S3Server, code: &str) -> String {
    let script = format!(
        "import boto3, json\niam = boto3.client('iam', endpoint_url='{}', aws_access_key_id='{}', aws_secret_access_key='{}', region_name='us-east-1')\n{code}\n",
        server.endpoint, server.access_key, server.secret_key
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "boto3 iam failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `tests/support/py/snowflake_tables.py CMD STORE... ARGS` (pyiceberg 0.12 and boto3
/// against `server`); its JSON output, or the error.
pub fn tables(server: &S3Server, cmd: &str, args: &[&str]) -> Result<Value, String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/py/snowflake_tables.py"
    );
    let site = cache().join("servers/pyiceberg-0.12.0");
    let out = Command::new("python3")
        .arg(script)
        .arg(cmd)
        .args([&server.endpoint, &server.access_key, &server.secret_key])
        .args(args)
        .env("PYTHONPATH", site)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The `data` rows of a result body.
pub fn data(body: &Value) -> Vec<Vec<Option<String>>> {
    body["data"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .map(|cells| {
                            cells
                                .iter()
                                .map(|c| c.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Snowflake's SQL API document (`sqlapi.yaml`, OpenAPI 3.0.0) as JSON Schemas per
/// operation and status.
///
/// The document's OpenAPI 3.0 `nullable: true` becomes a `null` alternative of the type, as
/// 3.0 means it. `format: uri` (on `statementStatusUrl`) is not checked: Snowflake answers a
/// path relative to the account URL there, which a JSON Schema `uri` (absolute) refuses.
/// `format: uuid` (statement handles) is checked.
pub struct SqlApiSpec {
    doc: Value,
    checks: AtomicU64,
}

/// The document, loaded once.
pub fn spec() -> &'static SqlApiSpec {
    static SPEC: OnceLock<SqlApiSpec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text =
            std::fs::read_to_string(format!("{DIR}/spec/sqlapi.yaml")).expect("read sqlapi.yaml");
        let doc: Value = serde_saphyr::from_str(&text).expect("sqlapi.yaml is YAML");
        SqlApiSpec {
            doc,
            checks: AtomicU64::new(0),
        }
    })
}

fn openapi30_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type").cloned()
            {
                map.insert("type".into(), json!([t, "null"]));
            }
            if map.get("format") == Some(&json!("uri")) {
                map.remove("format");
            }
            for (_, child) in map.iter_mut() {
                openapi30_to_json_schema(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(openapi30_to_json_schema),
        _ => {}
    }
}

impl SqlApiSpec {
    /// The (path, method) of an operation in the document.
    fn operation(&self, op: Op) -> &Value {
        let (path, method) = match op {
            Op::Submit => ("/api/v2/statements", "post"),
            Op::Status => ("/api/v2/statements/{statementHandle}", "get"),
            Op::Cancel => ("/api/v2/statements/{statementHandle}/cancel", "post"),
        };
        &self.doc["paths"][path][method]
    }

    /// The problems of a reply to `op` with the document: a status the operation does not
    /// list, or a body its schema for that status refuses. Empty when it conforms.
    pub fn violations(&self, op: Op, status: u16, body: &str) -> Vec<String> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let responses = &self.operation(op)["responses"];
        let Some(resp) = responses.get(status.to_string()) else {
            return vec![format!(
                "{op:?}: status {status} is not a documented response"
            )];
        };
        let schema_ref = resp
            .get("content")
            .and_then(|c| c.get("application/json"))
            .and_then(|c| c.get("schema"))
            .cloned();
        let Some(mut schema) = schema_ref else {
            // a status documented without a body schema ($ref to a bodiless response)
            return vec![];
        };
        let mut components = self.doc["components"].clone();
        openapi30_to_json_schema(&mut components);
        openapi30_to_json_schema(&mut schema);
        let root = json!({"$ref": schema["$ref"], "components": components});
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .expect("the spec's schema compiles");
        let instance: Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(e) => return vec![format!("{op:?} {status}: body is not JSON ({e}): {body}")],
        };
        validator
            .iter_errors(&instance)
            .map(|e| format!("{op:?} {status}: {} at {}", e, e.instance_path()))
            .collect()
    }

    /// Panics with the violations of `r`, if any.
    pub fn assert_valid(&self, op: Op, r: &Reply) {
        let v = self.violations(op, r.status, &r.text);
        assert!(
            v.is_empty(),
            "the emulator broke sqlapi.yaml:\n{}\nbody: {}",
            v.join("\n"),
            r.text
        );
    }

    /// How many replies were checked so far.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }
}
