//! The Snowflake emulator (`tests/support/snowflake/`) against Snowflake's published SQL API
//! document and the behaviour forge relies on, with clients we did not write for the rest:
//! a std-only HTTP client whose every reply is validated against `sqlapi.yaml`
//! ([`spec`]), `openssl` for the key pair and JWT signatures, pyiceberg 0.12 writing real
//! Iceberg tables to moto, boto3 for IAM, and forge's own `iceberg rewrite-paths` for a moved
//! copy.

use serde_json::{Value, json};

use crate::support::forge::Project;
use crate::support::peers::polaris_http::try_send;
use crate::support::servers::unique;
use crate::support::snowflake::{
    Auth, Op, SnowflakeEmulator, data, iam, key_pair, now, py, sign_jwt, snowflake, spec, tables,
};

// ---- helpers ------------------------------------------------------------------------

/// A fresh upper-case identifier (unquoted form).
fn ident(prefix: &str) -> String {
    unique(prefix).to_uppercase().replace('-', "_")
}

/// `name` as a double-quoted identifier.
fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `s` as a single-quoted string literal (quotes doubled, backslashes escaped).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn err(r: &crate::support::peers::polaris_http::Reply) -> (String, String, String) {
    let j = r.json();
    (
        j["code"].as_str().unwrap_or_default().to_string(),
        j["sqlState"].as_str().unwrap_or_default().to_string(),
        j["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Asserts a 422 with `code` and `sql_state` whose message contains `needle`.
fn assert_fails(
    r: &crate::support::peers::polaris_http::Reply,
    code: &str,
    sql_state: &str,
    needle: &str,
) {
    assert_eq!(r.status, 422, "expected a 422: {}", r.text);
    let (c, s, m) = err(r);
    assert_eq!((c.as_str(), s.as_str()), (code, sql_state), "{}", r.text);
    assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
}

fn cell(rows: &[Vec<Option<String>>], row: usize, col: usize) -> String {
    rows[row][col].clone().unwrap_or_default()
}

/// A bucket holding an Iceberg table written by pyiceberg, an IAM role Snowflake may assume
/// for it, and the Snowflake objects of the seed's `setup snowflake` (volume, integration,
/// least-privilege role with its grants, database, schema), made by the admin role.
struct Fixture {
    bucket: String,
    namespace: String,
    table: String,
    /// The metadata file of each pyiceberg commit (the first is the empty table).
    commits: Vec<Value>,
    catalog_dir: std::path::PathBuf,
    volume: String,
    integration: String,
    role: String,
    db: String,
    schema: String,
    external_id: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new(emu: &SnowflakeEmulator, rows: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let bucket = unique("sfemu");
        let catalog_dir = dir.path().join("catalog");
        let (namespace, table) = ("wildlife".to_string(), "penguins".to_string());
        let mut args = vec![
            catalog_dir.to_str().expect("utf8"),
            &bucket,
            &namespace,
            &table,
        ];
        args.extend_from_slice(rows);
        let commits = tables(emu.s3, "write", &args).expect("pyiceberg writes the table");
        let commits = commits.as_array().expect("commits").clone();
        let f = Fixture {
            volume: ident("vol"),
            integration: ident("ci"),
            role: ident("sa"),
            db: ident("db"),
            schema: "L2C".into(),
            external_id: format!("FORGE_EXT_{}", ident("id")),
            bucket,
            namespace,
            table,
            commits,
            catalog_dir,
            _dir: dir,
        };
        let role_name = unique("sfemu-role");
        let arn = emu.trusted_role(&role_name, &f.bucket, &f.external_id);
        for st in [
            format!(
                "CREATE EXTERNAL VOLUME IF NOT EXISTS {} STORAGE_LOCATIONS = ((NAME = {} \
                 STORAGE_PROVIDER = 'S3' STORAGE_BASE_URL = {} STORAGE_AWS_ROLE_ARN = {} \
                 STORAGE_AWS_EXTERNAL_ID = {})) ALLOW_WRITES = FALSE",
                q(&f.volume),
                lit(&format!("{}_S3", f.volume)),
                lit(&format!("s3://{}/", f.bucket)),
                lit(&arn),
                lit(&f.external_id)
            ),
            format!(
                "CREATE CATALOG INTEGRATION IF NOT EXISTS {} CATALOG_SOURCE = OBJECT_STORE \
                 TABLE_FORMAT = ICEBERG ENABLED = TRUE",
                q(&f.integration)
            ),
            format!("CREATE ROLE IF NOT EXISTS {}", q(&f.role)),
            format!("GRANT ROLE {} TO USER {}", q(&f.role), q(&emu.user)),
            format!("CREATE DATABASE IF NOT EXISTS {}", q(&f.db)),
            format!("CREATE SCHEMA IF NOT EXISTS {}.{}", q(&f.db), q(&f.schema)),
            format!(
                "GRANT USAGE ON DATABASE {} TO ROLE {}",
                q(&f.db),
                q(&f.role)
            ),
            format!(
                "GRANT USAGE ON SCHEMA {}.{} TO ROLE {}",
                q(&f.db),
                q(&f.schema),
                q(&f.role)
            ),
            format!(
                "GRANT CREATE ICEBERG TABLE ON SCHEMA {}.{} TO ROLE {}",
                q(&f.db),
                q(&f.schema),
                q(&f.role)
            ),
            format!(
                "GRANT USAGE ON EXTERNAL VOLUME {} TO ROLE {}",
                q(&f.volume),
                q(&f.role)
            ),
            format!(
                "GRANT USAGE ON INTEGRATION {} TO ROLE {}",
                q(&f.integration),
                q(&f.role)
            ),
        ] {
            emu.ok(&st);
        }
        f
    }

    fn key(&self, commit: usize) -> String {
        self.commits[commit]["key"]
            .as_str()
            .expect("key")
            .to_string()
    }

    fn fq(&self, table: &str) -> String {
        format!("{}.{}.{}", q(&self.db), q(&self.schema), q(table))
    }

    fn create(&self, table: &str, path: &str) -> String {
        format!(
            "CREATE OR REPLACE ICEBERG TABLE {} EXTERNAL_VOLUME = {} CATALOG = {} \
             METADATA_FILE_PATH = {}",
            self.fq(table),
            lit(&q(&self.volume)),
            lit(&q(&self.integration)),
            lit(path)
        )
    }

    fn refresh(&self, table: &str, path: &str) -> String {
        format!(
            "ALTER ICEBERG TABLE {} REFRESH {}",
            self.fq(table),
            lit(path)
        )
    }

    fn count(&self, emu: &SnowflakeEmulator, table: &str) -> u64 {
        let rows = emu.ok_as(
            &self.role,
            &format!("SELECT COUNT(*) FROM {}", self.fq(table)),
        );
        cell(&rows, 0, 0).parse().expect("a count")
    }

    fn table_state(&self, emu: &SnowflakeEmulator, table: &str) -> Value {
        emu.state()["databases"][&self.db]["schemas"][&self.schema]["tables"][table].clone()
    }
}

// ---- the protocol -------------------------------------------------------------------

#[test]
fn starts_and_answers_a_query_in_the_spec_shape() {
    let emu = snowflake();
    let r = emu.sql("select current_user(), current_role(), current_account(), 42, 'it''s'");
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["code"], "090001");
    assert_eq!(body["sqlState"], "00000");
    let meta = &body["resultSetMetaData"];
    assert_eq!(meta["format"], "jsonv2");
    assert_eq!(meta["numRows"], 1);
    let names: Vec<&str> = meta["rowType"]
        .as_array()
        .expect("rowType")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "CURRENT_USER()",
            "CURRENT_ROLE()",
            "CURRENT_ACCOUNT()",
            "42",
            "'IT''S'"
        ]
    );
    assert_eq!(
        data(&body),
        vec![vec![
            Some(emu.user.clone()),
            Some("ACCOUNTADMIN".into()),
            Some(emu.account.clone()),
            Some("42".into()),
            Some("it's".into())
        ]]
    );
    let handle = body["statementHandle"].as_str().expect("handle");
    assert_eq!(
        body["statementStatusUrl"].as_str().expect("status url"),
        format!(
            "/api/v2/statements/{handle}?requestId={}",
            body["requestId"].as_str().expect("requestId")
        )
    );
    assert!(
        r.header("link")
            .is_some_and(|l| l.contains("rel=\"first\"")),
        "{:?}",
        r.headers
    );
    // The handle answers again with the same result.
    let again = emu.status(&emu.auth(), handle, "");
    assert_eq!(again.status, 200);
    assert_eq!(data(&again.json()), data(&body));
    eprintln!(
        "snowflake emulator: ready {:?} after launch, RSS {} KiB, {} spec checks so far, log {}",
        emu.startup,
        emu.rss_kib().unwrap_or_default(),
        spec().checks(),
        emu.log.display()
    );
}

#[test]
fn spec_check_flags_off_spec_replies() {
    let s = spec();
    let good = json!({"statementHandle": "e4ce975e-f7ff-4b5e-b15e-bf25f59371ae",
                      "message": "m", "code": "1"})
    .to_string();
    assert!(s.violations(Op::Submit, 422, &good).is_empty());
    for (op, status, body, what) in [
        (
            Op::Submit,
            200,
            json!({"resultSetMetaData": {"format": "arrow"}}),
            "format enum",
        ),
        (Op::Submit, 200, json!({"data": [[1]]}), "cell not a string"),
        (
            Op::Submit,
            200,
            json!({"resultSetMetaData": {"rowType": []}}),
            "rowType minItems",
        ),
        (
            Op::Submit,
            202,
            json!({"code": "333334"}),
            "no statementHandle",
        ),
        (
            Op::Submit,
            422,
            json!({"statementHandle": "e4ce975e-f7ff-4b5e-b15e-bf25f59371ae"}),
            "no message",
        ),
        (
            Op::Status,
            202,
            json!({"statementHandle": "not-a-uuid"}),
            "handle not a uuid",
        ),
        (
            Op::Cancel,
            200,
            json!({"message": "x"}),
            "cancel without handle",
        ),
        (
            Op::Status,
            408,
            json!({"statementHandle": "e4ce975e-f7ff-4b5e-b15e-bf25f59371ae"}),
            "GET has no 408",
        ),
        (Op::Submit, 418, json!({}), "undocumented status"),
    ] {
        let v = s.violations(op, status, &body.to_string());
        assert!(!v.is_empty(), "{what}: not flagged");
    }
}

#[test]
fn authenticates_key_pair_jwt_pat_and_oauth() {
    let emu = snowflake();
    let select = json!({"statement": "SELECT CURRENT_USER()"});
    let ok = |auth: &Auth| {
        let r = emu.submit(auth, "", &select, &[]);
        assert_eq!(r.status, 200, "{auth:?}: {}", r.text);
        assert_eq!(data(&r.json())[0][0].as_deref(), Some(emu.user.as_str()));
    };
    ok(&Auth::Jwt(emu.jwt()));
    ok(&Auth::Pat(emu.pat.clone()));
    ok(&Auth::OAuthToken(emu.oauth_token.clone()));
    // No token type header means OAUTH (the SQL API reference).
    ok(&Auth::Raw(
        Some(format!("Bearer {}", emu.oauth_token)),
        None,
    ));

    let claims = emu.claims();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        sign_jwt(&emu.private_key, &c)
    };
    let t = now();
    let other_key = tempfile::tempdir().expect("tempdir");
    let (other_private, _) = key_pair(other_key.path(), "other");
    let valid = emu.jwt();
    let mut parts: Vec<String> = valid.split('.').map(str::to_string).collect();
    parts[1] = {
        use base64::Engine;
        let mut c = claims.clone();
        c["sub"] = json!(format!("{}.ACCOUNTADMIN_USER", emu.account));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string())
    };
    let tampered = parts.join(".");
    let hs256 = {
        use base64::Engine;
        let b = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.{}",
            b(br#"{"alg":"HS256","typ":"JWT"}"#),
            b(claims.to_string().as_bytes()),
            b(b"sig")
        )
    };
    let refused: Vec<(&str, Auth)> = vec![
        ("another key", Auth::Jwt(sign_jwt(&other_private, &claims))),
        ("expired", Auth::Jwt(with("exp", json!(t - 10)))),
        ("iat in the future", Auth::Jwt(with("iat", json!(t + 600)))),
        (
            "exp over an hour after iat",
            Auth::Jwt(with("exp", json!(t + 3700))),
        ),
        (
            "lower-case account",
            Auth::Jwt({
                let mut c = claims.clone();
                c["sub"] = json!(format!("{}.{}", emu.account.to_lowercase(), emu.user));
                c["iss"] = json!(format!(
                    "{}.{}.{}",
                    emu.account.to_lowercase(),
                    emu.user,
                    emu.fingerprint
                ));
                sign_jwt(&emu.private_key, &c)
            }),
        ),
        (
            "another user",
            Auth::Jwt(with("sub", json!(format!("{}.OTHER", emu.account)))),
        ),
        (
            "wrong fingerprint",
            Auth::Jwt(with(
                "iss",
                json!(format!("{}.{}.SHA256:AAAA", emu.account, emu.user)),
            )),
        ),
        ("tampered payload", Auth::Jwt(tampered)),
        ("HS256", Auth::Jwt(hs256)),
        ("garbage", Auth::Jwt("not.a.jwt".into())),
        ("JWT sent as a PAT", Auth::Pat(emu.jwt())),
        ("wrong PAT", Auth::Pat("pat-nope".into())),
        (
            "PAT without token type",
            Auth::Raw(Some(format!("Bearer {}", emu.pat)), None),
        ),
        (
            "no Authorization",
            Auth::Raw(None, Some("KEYPAIR_JWT".into())),
        ),
        (
            "not Bearer",
            Auth::Raw(Some(format!("Basic {}", emu.pat)), None),
        ),
    ];
    for (what, auth) in refused {
        let r = emu.submit(&auth, "", &select, &[]);
        assert_eq!(r.status, 401, "{what}: {}", r.text);
        assert!(r.json()["code"].as_str().is_some(), "{what}: {}", r.text);
    }
    // The JWT's 401 is Snowflake's generic one; the reason is only in the emulator's header.
    let r = emu.submit(&Auth::Jwt(with("exp", json!(t - 10))), "", &select, &[]);
    assert_eq!(err(&r).0, "390144");
    assert_eq!(
        r.header("x-emulator-auth-error"),
        Some("the token has expired")
    );
    // A statement's result is fetched with any valid token of the user.
    let first = emu.submit(&Auth::Pat(emu.pat.clone()), "", &select, &[]);
    let handle = first.json()["statementHandle"]
        .as_str()
        .expect("handle")
        .to_string();
    assert_eq!(emu.status(&Auth::Jwt(emu.jwt()), &handle, "").status, 200);
    assert_eq!(
        emu.status(&Auth::Pat("nope".into()), &handle, "").status,
        401
    );
}

#[test]
fn slow_statements_answer_202_and_are_polled_cancelled_or_timed_out() {
    let emu = snowflake();
    let auth = emu.auth();
    // Longer than the request's sync wait: 202 with Snowflake's "in progress" code.
    let r = emu.submit(
        &auth,
        "",
        &json!({"statement": "SELECT SYSTEM$WAIT(1)"}),
        &[("X-Emulator-Sync-Wait", "0.2")],
    );
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json()["code"], "333334");
    let handle = r.json()["statementHandle"]
        .as_str()
        .expect("handle")
        .to_string();
    let url = r.json()["statementStatusUrl"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(url.starts_with(&format!("/api/v2/statements/{handle}")));
    let running = emu.status(&auth, &handle, "");
    assert_eq!(running.status, 202, "{}", running.text);
    let done = emu.wait(&auth, running);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(
        data(&done.json()),
        vec![vec![Some("waited 1 seconds".into())]]
    );

    // async=true answers 202 at once, even for a fast statement.
    let r = emu.submit(&auth, "?async=true", &json!({"statement": "SELECT 1"}), &[]);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(emu.wait(&auth, r).status, 200);

    // Cancel a running statement: 200 CancelStatus, then the statement is a 422.
    let r = emu.submit(
        &auth,
        "?async=true",
        &json!({"statement": "SELECT SYSTEM$WAIT(30)"}),
        &[],
    );
    let handle = r.json()["statementHandle"]
        .as_str()
        .expect("handle")
        .to_string();
    let c = emu.cancel(&auth, &handle);
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.json()["statementHandle"], json!(handle));
    assert_fails(
        &emu.status(&auth, &handle, ""),
        "000604",
        "57014",
        "canceled",
    );
    // Cancelling what is no longer running is refused.
    assert_eq!(emu.cancel(&auth, &handle).status, 422);

    // The request's timeout cancels the statement: 408 on the POST, 422 afterwards.
    let r = emu.submit(
        &auth,
        "",
        &json!({"statement": "SELECT SYSTEM$WAIT(10)", "timeout": 1}),
        &[],
    );
    assert_eq!(r.status, 408, "{}", r.text);
    assert_eq!(r.json()["code"], "000630");
    let handle = r.json()["statementHandle"]
        .as_str()
        .expect("handle")
        .to_string();
    assert_fails(
        &emu.status(&auth, &handle, ""),
        "000630",
        "57014",
        "timeout",
    );
}

#[test]
fn large_results_come_in_partitions() {
    let emu = snowflake();
    let auth = emu.auth();
    let r = emu.submit(
        &auth,
        "",
        &json!({"statement": "SELECT SEQ4() FROM TABLE(GENERATOR(ROWCOUNT => 250))"}),
        &[("X-Emulator-Partition-Rows", "100")],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let meta = r.json()["resultSetMetaData"].clone();
    assert_eq!(meta["numRows"], 250);
    let counts: Vec<u64> = meta["partitionInfo"]
        .as_array()
        .expect("partitionInfo")
        .iter()
        .map(|p| p["rowCount"].as_u64().expect("rowCount"))
        .collect();
    assert_eq!(counts, [100, 100, 50]);
    assert_eq!(data(&r.json()).len(), 100);
    let link = r.header("link").expect("Link header").to_string();
    assert!(link.contains("partition=1>; rel=\"next\""), "{link}");
    assert!(link.contains("partition=2>; rel=\"last\""), "{link}");
    let handle = r.json()["statementHandle"]
        .as_str()
        .expect("handle")
        .to_string();
    let p1 = emu.status(&auth, &handle, "?partition=1");
    assert_eq!(p1.status, 200);
    assert!(
        p1.json().get("resultSetMetaData").is_none(),
        "later partitions carry data only: {}",
        p1.text
    );
    assert_eq!(data(&p1.json())[0][0].as_deref(), Some("100"));
    assert!(
        p1.header("link")
            .is_some_and(|l| l.contains("rel=\"prev\""))
    );
    let beyond = emu.status(&auth, &handle, "?partition=3");
    assert_eq!(beyond.status, 422, "{}", beyond.text);
    let all: Vec<String> = emu
        .rows(&auth, &r)
        .into_iter()
        .map(|row| row[0].clone().expect("value"))
        .collect();
    assert_eq!(all, (0..250).map(|i| i.to_string()).collect::<Vec<_>>());

    // SHOW output is partitioned the same way.
    let prefix = ident("part");
    for i in 0..3 {
        emu.ok(&format!("CREATE ROLE {prefix}_{i}"));
    }
    let r = emu.submit(
        &auth,
        "",
        &json!({"statement": format!("SHOW ROLES LIKE '{prefix}%'")}),
        &[("X-Emulator-Partition-Rows", "1")],
    );
    assert_eq!(
        r.json()["resultSetMetaData"]["partitionInfo"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let names: Vec<String> = emu
        .records(&auth, &r)
        .iter()
        .map(|m| m["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        (0..3).map(|i| format!("{prefix}_{i}")).collect::<Vec<_>>()
    );
    // nullable=false replaces NULL with the string "null".
    let r = emu.submit(
        &auth,
        "?nullable=false",
        &json!({"statement": "SELECT NULL, 'x'"}),
        &[],
    );
    assert_eq!(
        data(&r.json()),
        vec![vec![Some("null".into()), Some("x".into())]]
    );
    let r = emu.submit(&auth, "", &json!({"statement": "SELECT NULL"}), &[]);
    assert_eq!(data(&r.json()), vec![vec![None]]);
}

#[test]
fn errors_are_422_with_code_and_sqlstate() {
    let emu = snowflake();
    let auth = emu.auth();
    let role = ident("err");
    emu.ok(&format!("CREATE ROLE {role}"));
    assert_fails(
        &emu.sql("CREATE ROLLE x"),
        "001003",
        "42000",
        "syntax error line 1 at position 7 unexpected 'ROLLE'",
    );
    assert_fails(
        &emu.sql("SELECT 'unterminated"),
        "001003",
        "42000",
        "syntax error",
    );
    assert_fails(
        &emu.sql(&format!("CREATE ROLE {role}")),
        "002002",
        "42710",
        &format!("Object '{role}' already exists."),
    );
    assert_fails(
        &emu.sql("GRANT USAGE ON DATABASE NO_SUCH_DB_ANYWHERE TO ROLE PUBLIC"),
        "002003",
        "02000",
        "Database 'NO_SUCH_DB_ANYWHERE' does not exist or not authorized.",
    );
    assert_fails(
        &emu.sql_as("PUBLIC", &format!("DROP ROLE {role}")),
        "003001",
        "42501",
        "Insufficient privileges",
    );
    assert_fails(&emu.sql("USE ROLE PUBLIC"), "000002", "0A000", "USE");
    assert_fails(
        &emu.run(&auth, &json!({"statement": "SELECT 1; SELECT 2"})),
        "000008",
        "0A000",
        "Actual statement count 2 did not match the desired statement count 1.",
    );
    assert_fails(
        &emu.sql("CREATE OR REPLACE ROLE IF NOT EXISTS x"),
        "002023",
        "42601",
        "incompatible",
    );
    assert_fails(
        &emu.sql("INSERT INTO t VALUES (1)"),
        "001003",
        "42000",
        "unexpected 'INSERT'",
    );
    assert_fails(&emu.sql("SHOW STAGES"), "002043", "0A000", "not emulated");
    assert_fails(
        &emu.sql("CREATE ICEBERG TABLE t"),
        "001008",
        "42601",
        "METADATA_FILE_PATH",
    );
    assert_fails(
        &emu.sql("SELECT COUNT(*) FROM t"),
        "090105",
        "22000",
        "does not have a current database",
    );
    let unknown = emu.status(&auth, "e4ce975e-f7ff-4b5e-b15e-bf25f59371ae", "");
    assert_fails(&unknown, "000709", "02000", "not found");
    let role_not_granted = emu.run(&auth, &json!({"statement": "SELECT 1", "role": role}));
    assert_fails(
        &role_not_granted,
        "390189",
        "08004",
        "is not granted to this user",
    );

    // Requests the API refuses before running anything: documented statuses, no handle.
    let bad = |r: crate::support::peers::polaris_http::Reply, status: u16, op: Op| {
        assert_eq!(r.status, status, "{}", r.text);
        spec().assert_valid(op, &r);
    };
    bad(
        emu.raw(&auth, "POST", "/api/v2/statements", Some(b"{not json"), &[]),
        400,
        Op::Submit,
    );
    bad(
        emu.raw(
            &auth,
            "POST",
            "/api/v2/statements",
            Some(b"{\"sql\": \"SELECT 1\"}"),
            &[],
        ),
        400,
        Op::Submit,
    );
    bad(
        emu.raw(
            &auth,
            "POST",
            "/api/v2/statements",
            Some(b"{\"statement\": \"SELECT 1\", \"timeout\": -1}"),
            &[],
        ),
        400,
        Op::Submit,
    );
    bad(
        emu.raw(
            &auth,
            "POST",
            "/api/v2/statements",
            Some(b"{\"statement\": \"SELECT 1\"}"),
            &[("User-Agent", "")],
        ),
        400,
        Op::Submit,
    );
    bad(
        emu.raw(
            &auth,
            "POST",
            "/api/v2/statements",
            Some(b"{\"statement\": \"SELECT 1\"}"),
            &[("Content-Type", "text/plain")],
        ),
        415,
        Op::Submit,
    );
    bad(
        emu.raw(&auth, "GET", "/api/v2/statements", None, &[]),
        405,
        Op::Submit,
    );
    bad(
        emu.raw(&auth, "GET", "/api/v2/statements/not-a-handle", None, &[]),
        400,
        Op::Status,
    );
    let r = emu.raw(&auth, "GET", "/api/v2/nothing", None, &[]);
    assert_eq!(r.status, 404);
}

#[test]
fn multi_statement_requests_run_in_order_and_stop_at_the_first_failure() {
    let emu = snowflake();
    let auth = emu.auth();
    let (db, role) = (ident("msdb"), ident("msrole"));
    let r = emu.run(
        &auth,
        &json!({
            "statement": format!("CREATE DATABASE {db};\nCREATE SCHEMA {db}.S1;\nUSE SCHEMA {db}.S1;\nSELECT CURRENT_DATABASE(), CURRENT_SCHEMA()"),
            "parameters": {"MULTI_STATEMENT_COUNT": "4"}
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        data(&r.json()),
        vec![vec![Some(
            "Multiple statements executed successfully.".into()
        )]]
    );
    let handles: Vec<String> = r.json()["statementHandles"]
        .as_array()
        .expect("statementHandles")
        .iter()
        .map(|h| h.as_str().expect("handle").to_string())
        .collect();
    assert_eq!(handles.len(), 4);
    let last = emu.status(&auth, &handles[3], "");
    assert_eq!(
        data(&last.json()),
        vec![vec![Some(db.clone()), Some("S1".into())]]
    );

    // 0 = any number of statements; a failure stops the request where it happened.
    let r = emu.run(
        &auth,
        &json!({
            "statement": format!("CREATE ROLE {role};\nGRANT USAGE ON DATABASE NOPE_{db} TO ROLE {role};\nDROP ROLE {role}"),
            "parameters": {"multi_statement_count": 0}
        }),
    );
    assert_fails(
        &r,
        "002003",
        "02000",
        "Uncaught exception of type 'STATEMENT_ERROR' on line 2 at position 0 : SQL compilation error:",
    );
    // The first statement's effect stays (DDL commits at once); the third never ran.
    let roles = emu.ok(&format!("SHOW ROLES LIKE '{role}'"));
    assert_eq!(roles.len(), 1, "{roles:?}");
    let ran: Vec<String> = emu
        .statement_log()
        .iter()
        .filter(|e| e["statement"].as_str().is_some_and(|s| s.contains(&role)))
        .map(|e| e["statement"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(ran.iter().all(|s| !s.starts_with("DROP")), "{ran:?}");

    // USE ROLE in a batch switches the role for the statements after it.
    let r = emu.run(
        &auth,
        &json!({
            "statement": "USE ROLE SYSADMIN; SELECT CURRENT_ROLE()",
            "parameters": {"MULTI_STATEMENT_COUNT": 2}
        }),
    );
    let h = r.json()["statementHandles"][1]
        .as_str()
        .expect("handle")
        .to_string();
    assert_eq!(
        data(&emu.status(&auth, &h, "").json()),
        vec![vec![Some("SYSADMIN".into())]]
    );
}

#[test]
fn a_request_id_makes_a_retry_run_nothing_twice() {
    let emu = snowflake();
    let auth = emu.auth();
    let role = ident("idem");
    let rid = uuid_like();
    let body = json!({"statement": format!("CREATE ROLE {role}")});
    let first = emu.submit(&auth, &format!("?requestId={rid}"), &body, &[]);
    assert_eq!(first.status, 200, "{}", first.text);
    let again = emu.submit(&auth, &format!("?requestId={rid}&retry=true"), &body, &[]);
    assert_eq!(
        again.status, 200,
        "the retry is not 'already exists': {}",
        again.text
    );
    assert_eq!(
        again.json()["statementHandle"],
        first.json()["statementHandle"]
    );
    let runs = emu
        .statement_log()
        .iter()
        .filter(|e| e["requestId"] == json!(rid))
        .count();
    assert_eq!(runs, 1);

    // The reply is lost after the statement ran: the retry with the same id gets its result.
    let role2 = ident("idem");
    let marker = format!("CREATE ROLE {role2}");
    emu.add_faults(json!([{"kind": "drop", "when": "after", "match": marker}]));
    let rid2 = uuid_like();
    let bytes = json!({"statement": marker}).to_string();
    let lost = try_send(
        emu.port,
        "POST",
        &format!("/api/v2/statements?requestId={rid2}"),
        &[
            ("Authorization", &format!("Bearer {}", emu.pat)),
            (
                "X-Snowflake-Authorization-Token-Type",
                "PROGRAMMATIC_ACCESS_TOKEN",
            ),
            ("User-Agent", "forge-tests/0.1"),
            ("Content-Type", "application/json"),
        ],
        Some(bytes.as_bytes()),
    );
    assert!(
        lost.is_err(),
        "the connection should have been cut: {lost:?}"
    );
    let retry = emu.submit(
        &auth,
        &format!("?requestId={rid2}&retry=true"),
        &json!({"statement": marker}),
        &[],
    );
    assert_eq!(retry.status, 200, "{}", retry.text);
    assert_eq!(emu.ok(&format!("SHOW ROLES LIKE '{role2}'")).len(), 1);
}

/// A request id no other test uses (UUID-shaped).
fn uuid_like() -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(unique("rid").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[test]
fn faults_throttle_fail_and_expire_tokens_on_request() {
    let emu = snowflake();
    let auth = emu.auth();
    let marker = ident("fault");
    let stmt = json!({"statement": format!("SELECT '{marker}'")});
    emu.add_faults(json!([
        {"kind": "http", "status": 429, "match": marker, "retryAfter": 1},
        {"kind": "http", "status": 503, "match": marker},
    ]));
    let r = emu.submit(&auth, "", &stmt, &[]);
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(emu.submit(&auth, "", &stmt, &[]).status, 503);
    assert_eq!(emu.submit(&auth, "", &stmt, &[]).status, 200);

    emu.add_faults(json!([{"kind": "expired_token", "match": marker}]));
    let r = emu.submit(&auth, "", &stmt, &[]);
    assert_eq!((r.status, err(&r).0.as_str()), (401, "390144"));
    assert_eq!(emu.submit(&auth, "", &stmt, &[]).status, 200);

    emu.add_faults(json!([{"kind": "slow", "seconds": 1.5, "match": marker}]));
    let r = emu.submit(&auth, "", &stmt, &[("X-Emulator-Sync-Wait", "0.2")]);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(emu.wait(&auth, r).status, 200);

    emu.add_faults(
        json!([{"kind": "fail", "match": marker, "code": "000625", "sqlState": "57014",
                          "message": "Statement ran into a transient error (injected)."}]),
    );
    assert_fails(
        &emu.submit(&auth, "", &stmt, &[]),
        "000625",
        "57014",
        "transient",
    );
    assert_eq!(emu.submit(&auth, "", &stmt, &[]).status, 200);
}

// ---- DDL and read-back ----------------------------------------------------------------

#[test]
fn setup_statements_read_back_through_show_and_desc() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["10"]);
    // DESC EXTERNAL VOLUME: the storage location as JSON with the account's IAM user.
    let r = emu.sql(&format!("DESC EXTERNAL VOLUME {}", q(&f.volume)));
    let desc = emu.records(&emu.auth(), &r);
    let loc = desc
        .iter()
        .find(|m| {
            m["parent_property"] == "STORAGE_LOCATIONS" && m["property"] == "STORAGE_LOCATION_1"
        })
        .expect("STORAGE_LOCATION_1");
    let loc: Value =
        serde_json::from_str(loc["property_value"].as_str().expect("json")).expect("JSON");
    assert_eq!(loc["STORAGE_AWS_IAM_USER_ARN"], json!(emu.iam_user_arn));
    assert_eq!(loc["STORAGE_AWS_EXTERNAL_ID"], json!(f.external_id));
    assert_eq!(
        loc["STORAGE_BASE_URL"],
        json!(format!("s3://{}/", f.bucket))
    );
    assert_eq!(loc["STORAGE_PROVIDER"], "S3");
    assert!(
        desc.iter()
            .any(|m| m["property"] == "ALLOW_WRITES" && m["property_value"] == "false")
    );
    // IF NOT EXISTS changes nothing; the IAM user is the same for every volume of the account.
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME IF NOT EXISTS {} STORAGE_LOCATIONS = ((NAME = 'x' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = 's3://elsewhere/' STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::111111111111:role/x'))",
        q(&f.volume)
    ));
    let other = ident("vol");
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME {other} STORAGE_LOCATIONS = ((NAME = 'x' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = 's3://elsewhere/' STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::111111111111:role/x'))"
    ));
    let volume_location = |name: &str| -> Value {
        let r = emu.sql(&format!("DESC EXTERNAL VOLUME {}", q(name)));
        let rows = emu.records(&emu.auth(), &r);
        let v = rows
            .iter()
            .find(|m| m["property"] == "STORAGE_LOCATION_1")
            .expect("location")["property_value"]
            .clone();
        serde_json::from_str(v.as_str().expect("json")).expect("JSON")
    };
    assert_eq!(
        volume_location(&f.volume)["STORAGE_BASE_URL"],
        json!(format!("s3://{}/", f.bucket))
    );
    let generated = volume_location(&other);
    assert_eq!(
        generated["STORAGE_AWS_IAM_USER_ARN"],
        json!(emu.iam_user_arn)
    );
    let ext = generated["STORAGE_AWS_EXTERNAL_ID"]
        .as_str()
        .expect("generated id")
        .to_string();
    assert!(
        ext.starts_with(&format!("{}_SFCRole=", emu.account)),
        "{ext}"
    );
    // Re-creating a volume without an external id makes a new one (the trust must follow).
    emu.ok(&format!(
        "CREATE OR REPLACE EXTERNAL VOLUME {other} STORAGE_LOCATIONS = ((NAME = 'x' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = 's3://elsewhere/' STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::111111111111:role/x'))"
    ));
    assert_ne!(
        volume_location(&other)["STORAGE_AWS_EXTERNAL_ID"],
        json!(ext)
    );

    let rows = emu.ok(&format!(
        "SHOW EXTERNAL VOLUMES LIKE {}",
        lit(&f.volume.to_lowercase())
    ));
    assert_eq!(
        rows,
        vec![vec![Some(f.volume.clone()), Some("false".into()), None]]
    );
    let r = emu.sql(&format!(
        "SHOW CATALOG INTEGRATIONS LIKE '{}'",
        f.integration
    ));
    let ci = emu.records(&emu.auth(), &r);
    assert_eq!(ci.len(), 1);
    assert_eq!(
        (ci[0]["type"].as_str(), ci[0]["enabled"].as_str()),
        (Some("CATALOG"), Some("true"))
    );
    let r = emu.sql(&format!("DESC CATALOG INTEGRATION {}", f.integration));
    let props = emu.records(&emu.auth(), &r);
    assert!(
        props
            .iter()
            .any(|m| m["property"] == "CATALOG_SOURCE" && m["property_value"] == "OBJECT_STORE")
    );
    assert!(
        props
            .iter()
            .any(|m| m["property"] == "TABLE_FORMAT" && m["property_value"] == "ICEBERG")
    );
    let r = emu.sql(&format!("SHOW ROLES LIKE '{}'", f.role));
    let roles = emu.records(&emu.auth(), &r);
    assert_eq!(
        (roles.len(), roles[0]["assigned_to_users"].as_str()),
        (1, Some("1"))
    );
    assert_eq!(roles[0]["owner"], "ACCOUNTADMIN");
    let r = emu.sql(&format!("SHOW DATABASES LIKE '{}'", f.db));
    assert_eq!(emu.records(&emu.auth(), &r)[0]["owner"], "ACCOUNTADMIN");
    let r = emu.sql(&format!("SHOW SCHEMAS IN DATABASE {}", f.db));
    let schemas: Vec<String> = emu
        .records(&emu.auth(), &r)
        .iter()
        .map(|m| m["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(schemas, ["INFORMATION_SCHEMA", "L2C", "PUBLIC"]);

    // SHOW GRANTS TO ROLE: exactly the least-privilege set.
    let grants = |role: &str| -> Vec<(String, String, String)> {
        let r = emu.sql(&format!("SHOW GRANTS TO ROLE {}", q(role)));
        let mut g: Vec<(String, String, String)> = emu
            .records(&emu.auth(), &r)
            .iter()
            .map(|m| {
                (
                    m["privilege"].as_str().unwrap_or_default().to_string(),
                    m["granted_on"].as_str().unwrap_or_default().to_string(),
                    m["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        g.sort();
        g
    };
    let mut want = vec![
        (
            "CREATE ICEBERG TABLE".to_string(),
            "SCHEMA".to_string(),
            format!("{}.L2C", f.db),
        ),
        ("USAGE".into(), "DATABASE".into(), f.db.clone()),
        ("USAGE".into(), "EXTERNAL_VOLUME".into(), f.volume.clone()),
        ("USAGE".into(), "INTEGRATION".into(), f.integration.clone()),
        ("USAGE".into(), "SCHEMA".into(), format!("{}.L2C", f.db)),
    ];
    want.sort();
    assert_eq!(grants(&f.role), want);
    let r = emu.sql(&format!("SHOW GRANTS TO USER {}", emu.user));
    let user_roles: Vec<String> = emu
        .records(&emu.auth(), &r)
        .iter()
        .map(|m| m["role"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(user_roles.contains(&f.role) && user_roles.contains(&"ACCOUNTADMIN".to_string()));
    // Granting twice is fine and changes nothing; revoking what is not granted too.
    emu.ok(&format!(
        "GRANT USAGE ON DATABASE {} TO ROLE {}",
        f.db, f.role
    ));
    assert_eq!(grants(&f.role), want);
    // cleanup_role: revoke in reverse, then drop; each DROP IF EXISTS twice.
    for st in [
        format!(
            "REVOKE USAGE ON INTEGRATION {} FROM ROLE {}",
            f.integration, f.role
        ),
        format!(
            "REVOKE USAGE ON EXTERNAL VOLUME {} FROM ROLE {}",
            f.volume, f.role
        ),
        format!(
            "REVOKE CREATE ICEBERG TABLE ON SCHEMA {}.L2C FROM ROLE {}",
            f.db, f.role
        ),
        format!("REVOKE USAGE ON SCHEMA {}.L2C FROM ROLE {}", f.db, f.role),
        format!("REVOKE USAGE ON DATABASE {} FROM ROLE {}", f.db, f.role),
        format!("REVOKE USAGE ON DATABASE {} FROM ROLE {}", f.db, f.role),
    ] {
        emu.ok(&st);
    }
    assert_eq!(grants(&f.role), vec![]);
    for (kind, name) in [
        ("ROLE", f.role.clone()),
        ("CATALOG INTEGRATION", f.integration.clone()),
        ("EXTERNAL VOLUME", f.volume.clone()),
        ("DATABASE", f.db.clone()),
    ] {
        let first = emu.ok(&format!("DROP {kind} IF EXISTS {}", q(&name)));
        assert_eq!(cell(&first, 0, 0), format!("{name} successfully dropped."));
        let second = emu.ok(&format!("DROP {kind} IF EXISTS {}", q(&name)));
        assert!(
            cell(&second, 0, 0).contains("already dropped"),
            "{second:?}"
        );
        assert_fails(
            &emu.sql(&format!("DROP {kind} {}", q(&name))),
            "002003",
            "02000",
            "does not exist",
        );
    }
    assert!(
        emu.ok(&format!("SHOW EXTERNAL VOLUMES LIKE '{}'", f.volume))
            .is_empty()
    );
    assert!(
        emu.ok(&format!("SHOW DATABASES LIKE '{}'", f.db))
            .is_empty()
    );
}

#[test]
fn identifiers_follow_snowflakes_rules_with_hostile_names() {
    let emu = snowflake();
    let n = ident("h");
    let hostile = [
        format!("{n} it's \"quoted\""),
        format!("{n} ünïcødé ✓"),
        format!("{n}\\back\\slash"),
        format!("{n}\"; DROP ROLE ACCOUNTADMIN; --"),
        format!("lower_{}", n.to_lowercase()),
    ];
    for name in &hostile {
        let comment = format!("{name} — it's a 'comment' with \\ and \"");
        emu.ok(&format!(
            "CREATE ROLE {} COMMENT = {}",
            q(name),
            lit(&comment)
        ));
        let r = emu.sql(&format!(
            "SHOW ROLES LIKE {}",
            lit(&name
                .replace('\\', "\\\\")
                .replace('_', "\\_")
                .replace('%', "\\%"))
        ));
        let rows = emu.records(&emu.auth(), &r);
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        assert_eq!(rows[0]["name"], json!(name));
        assert_eq!(rows[0]["comment"], json!(comment));
    }
    // Escaping a quote with a backslash is wrong in an identifier: the quote ends the name
    // and the rest becomes a second statement, which the API refuses to run.
    let r = emu.sql(&format!(
        "CREATE ROLE \"{n}_inj\\\"; DROP ROLE ACCOUNTADMIN; --\""
    ));
    assert_fails(&r, "000008", "0A000", "Actual statement count 2");
    // ACCOUNTADMIN survived the injection attempts.
    assert_eq!(emu.ok("SHOW ROLES LIKE 'ACCOUNTADMIN'").len(), 1);
    // Unquoted names are upper-cased; quoted ones keep their case: two different roles.
    let base = ident("case").to_lowercase();
    emu.ok(&format!("CREATE ROLE {base}"));
    emu.ok(&format!("CREATE ROLE {}", q(&base)));
    assert_fails(
        &emu.sql(&format!("CREATE ROLE {}", q(&base.to_uppercase()))),
        "002002",
        "42710",
        "already exists",
    );
    let names: Vec<String> = emu
        .ok(&format!("SHOW ROLES LIKE '{base}'"))
        .iter()
        .map(|r| r[1].clone().unwrap_or_default())
        .collect();
    assert_eq!(names, [base.to_uppercase(), base.clone()]);
    // A name given in a string literal (EXTERNAL_VOLUME = '...') is read as an identifier.
    let vol = ident("hvol").to_lowercase();
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME {} STORAGE_LOCATIONS = ((NAME = 'n' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = 's3://b/' STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::111111111111:role/x'))",
        q(&vol)
    ));
    let verify = |arg: &str| {
        emu.sql(&format!(
            "SELECT SYSTEM$VERIFY_EXTERNAL_VOLUME({})",
            lit(arg)
        ))
    };
    assert_eq!(verify(&q(&vol)).status, 200);
    assert_fails(
        &verify(&vol),
        "002003",
        "02000",
        &format!("'{}'", vol.to_uppercase()),
    );
    // Not identifiers: an empty quoted name, a bare non-ASCII letter, a stray quote.
    assert_fails(
        &emu.sql("CREATE ROLE \"\""),
        "001003",
        "42000",
        "zero-length",
    );
    assert_fails(
        &emu.sql("CREATE ROLE ünquoted"),
        "001003",
        "42000",
        "syntax error",
    );
    assert_fails(
        &emu.sql("CREATE ROLE a\"b"),
        "001003",
        "42000",
        "syntax error",
    );
    // String literals: doubled quotes, backslash escapes, $$ strings.
    let rows = emu.ok(r"SELECT 'a''b', 'c\'d', 'e\\f', 'tab\there', $$raw 'x' \n$$, '\u00fc'");
    assert_eq!(
        rows[0],
        ["a'b", "c'd", "e\\f", "tab\there", "raw 'x' \\n", "ü"]
            .iter()
            .map(|s| Some(s.to_string()))
            .collect::<Vec<_>>()
    );
}

// ---- Iceberg tables -------------------------------------------------------------------

#[test]
fn iceberg_tables_register_count_and_refresh_from_moto() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["300", "44"]);
    let t = "WILDLIFE_PENGUINS";
    // Registered as the least-privilege role, which then owns the table.
    let created = emu.ok_as(&f.role, &f.create(t, &f.key(1)));
    assert_eq!(
        cell(&created, 0, 0),
        format!("Table {t} successfully created.")
    );
    assert_eq!(f.count(emu, t), 300);
    let state = f.table_state(emu, t);
    assert_eq!(state["snapshot_id"], f.commits[1]["snapshot_id"]);
    assert_eq!(state["format_version"], 2);
    assert_eq!(state["owner"], json!(f.role));
    let r = emu.sql_as(
        &f.role,
        &format!(
            "SHOW ICEBERG TABLES LIKE '{t}' IN SCHEMA {}.{}",
            f.db, f.schema
        ),
    );
    let shown = emu.records(&emu.auth(), &r);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["external_volume_name"], json!(f.volume));
    assert_eq!(shown[0]["catalog_name"], json!(f.integration));
    assert_eq!(shown[0]["owner"], json!(f.role));
    assert_eq!(
        shown[0]["base_location"],
        json!(format!("{}/{}/", f.namespace, f.table))
    );
    let before = shown[0]["last_altered_on"].clone();
    let r = emu.sql_as(&f.role, &format!("DESC ICEBERG TABLE {}", f.fq(t)));
    let cols: Vec<(String, String, String)> = emu
        .records(&emu.auth(), &r)
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().into(),
                m["type"].as_str().unwrap_or_default().into(),
                m["null?"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("id".into(), "NUMBER(19,0)".into(), "N".into()),
            ("species".into(), "VARCHAR(134217728)".into(), "Y".into()),
            ("mass".into(), "FLOAT".into(), "Y".into())
        ]
    );
    let info = emu.ok_as(
        &f.role,
        &format!(
            "SELECT SYSTEM$GET_ICEBERG_TABLE_INFORMATION({})",
            lit(&format!("{}.{}.{t}", f.db, f.schema))
        ),
    );
    let info: Value = serde_json::from_str(&cell(&info, 0, 0)).expect("JSON");
    assert_eq!(info["metadataLocation"], f.commits[1]["url"]);

    // A newer snapshot, then a local append through pyiceberg: each REFRESH moves COUNT(*).
    emu.ok_as(&f.role, &f.refresh(t, &f.key(2)));
    assert_eq!(f.count(emu, t), 344);
    let appended = tables(
        emu.s3,
        "append",
        &[
            f.catalog_dir.to_str().expect("utf8"),
            &f.namespace,
            &f.table,
            "10",
        ],
    )
    .expect("pyiceberg appends");
    assert_eq!(appended["rows"], 354);
    assert_eq!(f.count(emu, t), 344, "nothing changes before the refresh");
    emu.ok_as(
        &f.role,
        &f.refresh(t, appended["key"].as_str().expect("key")),
    );
    assert_eq!(f.count(emu, t), 354);
    let state = f.table_state(emu, t);
    assert_eq!(state["snapshot_id"], appended["snapshot_id"]);
    assert_eq!(state["refreshes"], 2);
    assert_eq!(state["metadata_location"], appended["url"]);
    let r = emu.sql_as(
        &f.role,
        &format!("SHOW ICEBERG TABLES LIKE '{t}' IN DATABASE {}", f.db),
    );
    assert_ne!(emu.records(&emu.auth(), &r)[0]["last_altered_on"], before);
    // Back to an older metadata file is a refresh too.
    emu.ok_as(&f.role, &f.refresh(t, &f.key(1)));
    assert_eq!(f.count(emu, t), 300);
    // The empty table (no snapshot yet) registers with zero rows.
    emu.ok_as(&f.role, &f.create("EMPTY_ONE", &f.key(0)));
    assert_eq!(f.count(emu, "EMPTY_ONE"), 0);
    // Dropped by its owner, twice.
    emu.ok_as(
        &f.role,
        &format!("DROP ICEBERG TABLE IF EXISTS {}", f.fq(t)),
    );
    let again = emu.ok_as(
        &f.role,
        &format!("DROP ICEBERG TABLE IF EXISTS {}", f.fq(t)),
    );
    assert!(cell(&again, 0, 0).contains("already dropped"));
    assert_fails(
        &emu.sql_as(&f.role, &format!("SELECT COUNT(*) FROM {}", f.fq(t))),
        "002003",
        "02000",
        "does not exist or not authorized",
    );
}

#[test]
fn partitioned_format_v1_and_evolved_tables_register_and_count() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["1"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, flag: &str, rows: &[&str]| -> Vec<Value> {
        let cat = dir.path().join(name);
        let mut args = vec![
            cat.to_str().expect("utf8"),
            &f.bucket,
            &f.namespace,
            name,
            flag,
        ];
        args.extend_from_slice(rows);
        tables(emu.s3, "write", &args)
            .expect("pyiceberg writes")
            .as_array()
            .expect("commits")
            .clone()
    };
    // Partitioned by species: one data file per partition and append.
    let parted = write("parted", "--partitioned", &["30", "15"]);
    let key = |c: &Value| c["key"].as_str().expect("key").to_string();
    emu.ok_as(&f.role, &f.create("PARTED", &key(&parted[2])));
    assert_eq!(f.count(emu, "PARTED"), 45);
    let st = f.table_state(emu, "PARTED");
    assert_eq!(st["data_files"], parted[2]["data_files"]);
    assert_eq!(st["data_files"], 6);
    // Format version 1 (no `content` in manifests), then a schema change and an append.
    let v1 = write("v1", "--v1", &["20", "5"]);
    emu.ok_as(&f.role, &f.create("V1", &key(&v1[2])));
    assert_eq!(f.count(emu, "V1"), 25);
    assert_eq!(f.table_state(emu, "V1")["format_version"], 1);
    let evolved = tables(
        emu.s3,
        "evolve",
        &[
            dir.path().join("v1").to_str().expect("utf8"),
            &f.namespace,
            "v1",
            "7",
        ],
    )
    .expect("pyiceberg evolves the schema");
    let columns = |t: &str| -> Vec<String> {
        emu.ok_as(&f.role, &format!("DESC ICEBERG TABLE {}", f.fq(t)))
            .iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(columns("V1"), ["id", "species", "mass"]);
    emu.ok_as(&f.role, &f.refresh("V1", &key(&evolved)));
    assert_eq!(f.count(emu, "V1"), 32);
    assert_eq!(columns("V1"), ["id", "species", "mass", "island"]);
}

#[test]
fn a_copy_registers_only_once_its_paths_are_rewritten() {
    let emu = snowflake();
    let src = Fixture::new(emu, &["120", "30"]);
    // The destination bucket and its own volume, trust and role grants.
    let dst = unique("sfemu-dst");
    let prefix = format!("{}/{}", src.namespace, src.table);
    tables(emu.s3, "copy", &[&src.bucket, &prefix, &dst]).expect("copy");
    let ext = format!("EXT_{}", ident("d"));
    let arn = emu.trusted_role(&unique("sfemu-dst-role"), &dst, &ext);
    let vol = ident("dstvol");
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME {vol} STORAGE_LOCATIONS = ((NAME = 'dst' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = {} STORAGE_AWS_ROLE_ARN = {} STORAGE_AWS_EXTERNAL_ID = {})) ALLOW_WRITES = FALSE",
        lit(&format!("s3://{dst}/")),
        lit(&arn),
        lit(&ext)
    ));
    emu.ok(&format!(
        "GRANT USAGE ON EXTERNAL VOLUME {vol} TO ROLE {}",
        src.role
    ));
    let create = |path: &str| {
        emu.sql_as(
            &src.role,
            &format!(
                "CREATE ICEBERG TABLE {} EXTERNAL_VOLUME = '{vol}' CATALOG = '{}' METADATA_FILE_PATH = {}",
                src.fq("MOVED"),
                src.integration,
                lit(path)
            ),
        )
    };
    // The plain copy still points at the source bucket: Snowflake cannot read it.
    let r = create(&src.key(2));
    assert_fails(&r, "091112", "22000", &format!("s3://{}/", src.bucket));
    assert!(
        err(&r).2.contains("is not within the storage location"),
        "{}",
        r.text
    );

    // Rewritten by forge (`forge iceberg rewrite-paths`), it registers and counts.
    let p = Project::new("");
    let local = p.path().join("in");
    let out = p.path().join("out");
    tables(
        emu.s3,
        "pull",
        &[
            &dst,
            &format!("{prefix}/metadata"),
            local.join("metadata").to_str().expect("utf8"),
        ],
    )
    .expect("pull metadata");
    p.run(&[
        "iceberg",
        "rewrite-paths",
        "--from",
        &format!("s3://{}/{prefix}", src.bucket),
        "--to",
        &format!("s3://{dst}/{prefix}"),
        "--in",
        local.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ])
    .expect_code(0);
    tables(
        emu.s3,
        "push",
        &[
            out.join("metadata").to_str().expect("utf8"),
            &dst,
            &format!("{prefix}/metadata"),
        ],
    )
    .expect("push metadata");
    let r = create(&src.key(2));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(src.count(emu, "MOVED"), 150);
    let state = src.table_state(emu, "MOVED");
    assert_eq!(
        state["metadata_location"],
        json!(format!("s3://{dst}/{}", src.key(2)))
    );
    assert_eq!(state["data_files"], 2);
}

#[test]
fn missing_or_damaged_files_are_refused() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["50", "25"]);
    let listing = tables(
        emu.s3,
        "list",
        &[&f.bucket, &format!("{}/{}/data/", f.namespace, f.table)],
    )
    .expect("list");
    let mut data_files: Vec<(String, u64)> = listing
        .as_object()
        .expect("listing")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("size")))
        .collect();
    data_files.sort();
    assert_eq!(data_files.len(), 2, "{data_files:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("saved.parquet");
    let (victim, size) = data_files[0].clone();
    tables(
        emu.s3,
        "get",
        &[&f.bucket, &victim, saved.to_str().expect("utf8")],
    )
    .expect("get");

    // A missing metadata file.
    let r = emu.sql_as(
        &f.role,
        &f.create(
            "T1",
            &format!(
                "{}/{}/metadata/99999-none.metadata.json",
                f.namespace, f.table
            ),
        ),
    );
    assert_fails(&r, "091111", "22000", "does not exist");
    // A data file of the current snapshot is gone.
    tables(emu.s3, "delete", &[&f.bucket, &victim]).expect("delete");
    let r = emu.sql_as(&f.role, &f.create("T1", &f.key(2)));
    assert_fails(
        &r,
        "091114",
        "22000",
        &format!("s3://{}/{victim}", f.bucket),
    );
    // A snapshot that does not reference it still registers.
    let other_first = emu.sql_as(&f.role, &f.create("T1", &f.key(1)));
    let first_has_victim = other_first.status == 422;
    // Truncated: present with another size.
    let short = dir.path().join("short.parquet");
    std::fs::write(
        &short,
        &std::fs::read(&saved).expect("read")[..(size as usize) / 2],
    )
    .expect("write");
    tables(
        emu.s3,
        "put",
        &[&f.bucket, &victim, short.to_str().expect("utf8")],
    )
    .expect("put");
    let r = emu.sql_as(&f.role, &f.create("T2", &f.key(2)));
    assert_fails(
        &r,
        "091114",
        "22000",
        &format!("has {} bytes, the manifest records {size}", size / 2),
    );
    // Restored, it registers.
    tables(
        emu.s3,
        "put",
        &[&f.bucket, &victim, saved.to_str().expect("utf8")],
    )
    .expect("put");
    emu.ok_as(&f.role, &f.create("T2", &f.key(2)));
    assert_eq!(f.count(emu, "T2"), 75);
    // A failed CREATE left nothing behind (T1 exists only if its snapshot lacked the file).
    let shown: Vec<String> = emu
        .ok_as(
            &f.role,
            &format!("SHOW ICEBERG TABLES IN SCHEMA {}.{}", f.db, f.schema),
        )
        .iter()
        .map(|r| r[1].clone().unwrap_or_default())
        .collect();
    let mut want = vec!["T2".to_string()];
    if !first_has_victim {
        want.insert(0, "T1".into());
    }
    assert_eq!(shown, want);
    // A failed refresh keeps the table as it was.
    tables(emu.s3, "delete", &[&f.bucket, &victim]).expect("delete");
    assert_eq!(emu.sql_as(&f.role, &f.refresh("T2", &f.key(2))).status, 422);
    assert_eq!(f.count(emu, "T2"), 75);
}

#[test]
fn metadata_paths_outside_the_volume_are_refused() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["5"]);
    let key = f.key(1);
    for path in [
        format!("../{}", key),
        format!("{}/../../../x/{key}", f.namespace),
        format!("s3://other-{}/{key}", f.bucket),
        format!("s3://{}-x/{key}", f.bucket),
    ] {
        let r = emu.sql_as(&f.role, &f.create("OUTSIDE", &path));
        assert_fails(&r, "091112", "22000", "is not within the storage location");
    }
    // The same file by its full URL inside the volume, or with a leading slash, is fine.
    emu.ok_as(
        &f.role,
        &f.create("INSIDE", &format!("s3://{}/{key}", f.bucket)),
    );
    emu.ok_as(&f.role, &f.create("INSIDE", &format!("/{key}")));
    // A volume rooted at a prefix: paths are relative to it.
    let vol = ident("prefixvol");
    let arn = emu.trusted_role(&unique("sfemu-prefix"), &f.bucket, "EXT_PREFIX");
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME {vol} STORAGE_LOCATIONS = ((NAME = 'p' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = {} STORAGE_AWS_ROLE_ARN = {} STORAGE_AWS_EXTERNAL_ID = 'EXT_PREFIX'))",
        lit(&format!("s3://{}/{}/", f.bucket, f.namespace)),
        lit(&arn)
    ));
    let relative = key
        .trim_start_matches(&format!("{}/", f.namespace))
        .to_string();
    let r = emu.sql(&format!(
        "CREATE ICEBERG TABLE {} EXTERNAL_VOLUME = '{vol}' CATALOG = '{}' METADATA_FILE_PATH = {}",
        f.fq("PREFIXED"),
        f.integration,
        lit(&relative)
    ));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = emu.sql(&format!(
        "CREATE ICEBERG TABLE {} EXTERNAL_VOLUME = '{vol}' CATALOG = '{}' METADATA_FILE_PATH = {}",
        f.fq("PREFIXED2"),
        f.integration,
        lit(&key)
    ));
    assert_fails(&r, "091111", "22000", "does not exist");
}

#[test]
fn a_format_version_change_breaks_refresh_but_not_a_recreate() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["20", "5"]);
    emu.ok_as(&f.role, &f.create("T", &f.key(1)));
    // Upgrade the latest metadata to format version 3 (what an upgrade commit writes).
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dir.path().join("m.json");
    tables(
        emu.s3,
        "get",
        &[&f.bucket, &f.key(2), local.to_str().expect("utf8")],
    )
    .expect("get");
    let mut meta: Value =
        serde_json::from_slice(&std::fs::read(&local).expect("read")).expect("json");
    assert_eq!(meta["format-version"], 2);
    meta["format-version"] = json!(3);
    meta["next-row-id"] = json!(0);
    std::fs::write(&local, meta.to_string()).expect("write");
    let v3 = format!(
        "{}/{}/metadata/00003-upgraded-v3.metadata.json",
        f.namespace, f.table
    );
    tables(
        emu.s3,
        "put",
        &[&f.bucket, &v3, local.to_str().expect("utf8")],
    )
    .expect("put");
    let r = emu.sql_as(&f.role, &f.refresh("T", &v3));
    assert_fails(&r, "091116", "22000", "format version changed from 2 to 3");
    assert_eq!(f.table_state(emu, "T")["format_version"], 2);
    assert_eq!(f.count(emu, "T"), 20);
    emu.ok_as(&f.role, &f.create("T", &v3));
    assert_eq!(f.table_state(emu, "T")["format_version"], 3);
    assert_eq!(f.count(emu, "T"), 25);
    // Another table's metadata, in the same volume, cannot be refreshed into this one.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = tables(
        emu.s3,
        "write",
        &[
            other_dir.path().to_str().expect("utf8"),
            &f.bucket,
            &f.namespace,
            "other",
            "3",
        ],
    )
    .expect("pyiceberg writes another table");
    let foreign = other[1]["key"].as_str().expect("key");
    let r = emu.sql_as(&f.role, &f.refresh("T", foreign));
    assert_fails(&r, "091115", "22000", "the metadata file belongs to table");
}

// ---- access control -------------------------------------------------------------------

#[test]
fn privileges_are_enforced_for_the_least_privilege_role() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["7"]);
    let key = f.key(1);
    // What the role may not do: account-level objects, other roles, grants.
    for st in [
        "CREATE EXTERNAL VOLUME V STORAGE_LOCATIONS = ((NAME = 'n' STORAGE_PROVIDER = 'S3' STORAGE_BASE_URL = 's3://b/' STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::111111111111:role/x'))".to_string(),
        "CREATE CATALOG INTEGRATION C CATALOG_SOURCE = OBJECT_STORE TABLE_FORMAT = ICEBERG ENABLED = TRUE".to_string(),
        "CREATE DATABASE D".to_string(),
        "CREATE ROLE R".to_string(),
    ] {
        assert_fails(&emu.sql_as(&f.role, &st), "003001", "42501", "Insufficient privileges to operate on account");
    }
    assert_fails(
        &emu.sql_as(
            &f.role,
            &format!("GRANT USAGE ON DATABASE {} TO ROLE PUBLIC", f.db),
        ),
        "003001",
        "42501",
        &format!("database '{}'", f.db),
    );
    // Each grant of the least-privilege set is needed: revoke one, CREATE fails, re-grant.
    let cases = [
        (
            format!("CREATE ICEBERG TABLE ON SCHEMA {}.{}", f.db, f.schema),
            "003001",
            format!(
                "Insufficient privileges to operate on schema '{}.{}'",
                f.db, f.schema
            ),
        ),
        (
            format!("USAGE ON EXTERNAL VOLUME {}", f.volume),
            "002003",
            format!(
                "External volume '{}' does not exist or not authorized.",
                f.volume
            ),
        ),
        (
            format!("USAGE ON INTEGRATION {}", f.integration),
            "002003",
            format!(
                "Integration '{}' does not exist or not authorized.",
                f.integration
            ),
        ),
        (
            format!("USAGE ON SCHEMA {}.{}", f.db, f.schema),
            "002003",
            format!(
                "Schema '{}.{}' does not exist or not authorized.",
                f.db, f.schema
            ),
        ),
        (
            format!("USAGE ON DATABASE {}", f.db),
            "002003",
            format!("Database '{}' does not exist or not authorized.", f.db),
        ),
    ];
    for (grant, code, message) in &cases {
        emu.ok(&format!("REVOKE {grant} FROM ROLE {}", f.role));
        let r = emu.sql_as(&f.role, &f.create("T", &key));
        let state = if *code == "003001" { "42501" } else { "02000" };
        assert_fails(&r, code, state, message);
        emu.ok(&format!("GRANT {grant} TO ROLE {}", f.role));
    }
    emu.ok_as(&f.role, &f.create("T", &key));

    // A table made by the admin role: the least-privilege role can neither see, refresh
    // nor replace it.
    emu.ok(&f.create("ADMINS", &key));
    let admins = f.fq("ADMINS");
    assert_fails(
        &emu.sql_as(&f.role, &format!("SELECT COUNT(*) FROM {admins}")),
        "002003",
        "02000",
        "does not exist",
    );
    assert_fails(
        &emu.sql_as(&f.role, &f.refresh("ADMINS", &key)),
        "002003",
        "02000",
        "does not exist",
    );
    emu.ok(&format!(
        "GRANT SELECT ON ICEBERG TABLE {admins} TO ROLE {}",
        f.role
    ));
    assert_eq!(f.count(emu, "ADMINS"), 7);
    assert_fails(
        &emu.sql_as(&f.role, &f.refresh("ADMINS", &key)),
        "003001",
        "42501",
        "table",
    );
    assert_fails(
        &emu.sql_as(&f.role, &f.create("ADMINS", &key)),
        "003001",
        "42501",
        "table",
    );
    // OR REPLACE drops the grants on the old table (as Snowflake does without COPY GRANTS).
    emu.ok(&f.create("ADMINS", &key));
    assert_fails(
        &emu.sql_as(&f.role, &format!("SELECT COUNT(*) FROM {admins}")),
        "002003",
        "02000",
        "does not exist",
    );

    // Roles the user does not hold cannot be used.
    let stranger = ident("stranger");
    emu.ok(&format!("CREATE ROLE {stranger}"));
    assert_fails(
        &emu.sql_as(&stranger, "SELECT 1"),
        "390189",
        "08004",
        "not granted",
    );
    let r = emu.run(
        &emu.auth(),
        &json!({"statement": format!("USE ROLE {stranger}; SELECT 1"), "parameters": {"MULTI_STATEMENT_COUNT": 2}}),
    );
    assert_fails(
        &r,
        "003013",
        "42501",
        "is not assigned to the executing user",
    );
    // SHOW lists only what the role may see.
    assert!(
        emu.ok_as(
            "PUBLIC",
            &format!("SHOW EXTERNAL VOLUMES LIKE '{}'", f.volume)
        )
        .is_empty()
    );
    assert_eq!(
        emu.ok_as(
            &f.role,
            &format!("SHOW EXTERNAL VOLUMES LIKE '{}'", f.volume)
        )
        .len(),
        1
    );
    // A query needs a warehouse the role may use.
    let r = emu.run(
        &emu.auth(),
        &json!({"statement": format!("SELECT COUNT(*) FROM {}", f.fq("T")), "role": f.role}),
    );
    assert_fails(&r, "000606", "57P03", "No active warehouse");
    // Dropping a role hands what it owned to the dropping role.
    emu.ok(&format!("DROP ROLE {}", f.role));
    assert_eq!(f.table_state(emu, "T")["owner"], "ACCOUNTADMIN");
}

#[test]
fn the_volume_role_trust_and_policy_are_checked_on_the_aws_side() {
    let emu = snowflake();
    let f = Fixture::new(emu, &["4"]);
    let vol = ident("iamvol");
    let role_name = unique("sfemu-iam");
    let ext = "EXT_IAM_RIGHT";
    // The seed's phase 1: the role trusts the AWS account itself, not Snowflake's user.
    let placeholder = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": ext}}}]});
    let arn = iam(
        emu.s3,
        &format!(
            "print(iam.create_role(RoleName={}, AssumeRolePolicyDocument={})['Role']['Arn'])",
            py(&role_name),
            py(&placeholder.to_string())
        ),
    );
    emu.ok(&format!(
        "CREATE EXTERNAL VOLUME {vol} STORAGE_LOCATIONS = ((NAME = 'i' STORAGE_PROVIDER = 'S3' \
         STORAGE_BASE_URL = {} STORAGE_AWS_ROLE_ARN = {} STORAGE_AWS_EXTERNAL_ID = {}))",
        lit(&format!("s3://{}/", f.bucket)),
        lit(&arn),
        lit(ext)
    ));
    let verify = || -> Value {
        let rows = emu.ok(&format!("SELECT SYSTEM$VERIFY_EXTERNAL_VOLUME('{vol}')"));
        serde_json::from_str(&cell(&rows, 0, 0)).expect("JSON")
    };
    let create = || {
        emu.sql(&format!(
        "CREATE OR REPLACE ICEBERG TABLE {} EXTERNAL_VOLUME = '{vol}' CATALOG = '{}' METADATA_FILE_PATH = {}",
        f.fq("IAM_T"),
        f.integration,
        lit(&f.key(1))
    ))
    };
    let v = verify();
    assert_eq!(
        (
            v["success"].as_bool(),
            v["awsRoleArnValidationResult"].as_str()
        ),
        (Some(false), Some("FAILED"))
    );
    assert_fails(
        &create(),
        "091131",
        "22000",
        &format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            emu.iam_user_arn
        ),
    );
    // Phase 3 with a wrong external id: still refused.
    let trust = |ext: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": emu.iam_user_arn}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": ext}}}]})
        .to_string()
    };
    let set_trust = |doc: String| {
        iam(
            emu.s3,
            &format!(
                "iam.update_assume_role_policy(RoleName={}, PolicyDocument={})",
                py(&role_name),
                py(&doc)
            ),
        );
    };
    set_trust(trust("EXT_IAM_WRONG"));
    assert_eq!(verify()["success"], false);
    assert_fails(&create(), "091131", "22000", "sts:AssumeRole");
    // The right trust but no policy: the role may not read the bucket.
    set_trust(trust(ext));
    let v = verify();
    assert_eq!(
        (
            v["awsRoleArnValidationResult"].as_str(),
            v["listResult"].as_str()
        ),
        (Some("PASSED"), Some("FAILED"))
    );
    assert_fails(&create(), "091132", "22000", "s3:GetObject");
    // A policy on another bucket is no better; the seed's policy on this one works.
    let policy = |bucket: &str| {
        json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": format!("arn:aws:s3:::{bucket}")}]}).to_string()
    };
    iam(
        emu.s3,
        &format!(
            "iam.put_role_policy(RoleName={}, PolicyName='p', PolicyDocument={})",
            py(&role_name),
            py(&policy("another-bucket"))
        ),
    );
    assert_fails(&create(), "091132", "22000", "s3:GetObject");
    iam(
        emu.s3,
        &format!(
            "iam.put_role_policy(RoleName={}, PolicyName='p', PolicyDocument={})",
            py(&role_name),
            py(&policy(&f.bucket))
        ),
    );
    let v = verify();
    assert_eq!(
        (v["success"].as_bool(), v["listResult"].as_str()),
        (Some(true), Some("PASSED")),
        "{v}"
    );
    assert_eq!(create().status, 200);
    // An explicit Deny wins.
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}).to_string();
    iam(
        emu.s3,
        &format!(
            "iam.put_role_policy(RoleName={}, PolicyName='deny', PolicyDocument={})",
            py(&role_name),
            py(&deny)
        ),
    );
    assert_fails(&create(), "091132", "22000", "access denied");
    // A role that does not exist.
    iam(
        emu.s3,
        &format!(
            "iam.delete_role_policy(RoleName={0}, PolicyName='deny'); iam.delete_role_policy(RoleName={0}, PolicyName='p'); iam.delete_role(RoleName={0})",
            py(&role_name)
        ),
    );
    assert_fails(&create(), "091131", "22000", "sts:AssumeRole");
}

// ---- the foreground script ------------------------------------------------------------

#[test]
fn the_foreground_script_prints_ready_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let emu = snowflake();
    let port = crate::support::process::free_port();
    let mut child = Command::new("python3")
        .arg(format!("{}/emulator.py", crate::support::snowflake::DIR))
        .args([
            "--port",
            &port.to_string(),
            "--account",
            "FG-TEST",
            "--pat",
            "p",
        ])
        .args([
            "--s3-endpoint",
            &emu.s3.endpoint,
            "--s3-access-key",
            &emu.s3.access_key,
        ])
        .args(["--s3-secret-key", &emu.s3.secret_key])
        .env("PYTHONPATH", crate::support::snowflake::deps_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let t0 = Instant::now();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    let ready = t0.elapsed();
    assert_eq!(line.trim_end(), format!("ready http://127.0.0.1:{port}"));
    let r = crate::support::peers::polaris_http::send(
        port,
        "POST",
        "/api/v2/statements",
        &[
            ("Authorization", "Bearer p"),
            (
                "X-Snowflake-Authorization-Token-Type",
                "PROGRAMMATIC_ACCESS_TOKEN",
            ),
            ("User-Agent", "t"),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"statement": "SELECT CURRENT_ACCOUNT()"}"#),
    );
    assert_eq!(data(&r.json()), vec![vec![Some("FG-TEST".into())]]);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let t1 = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            t1.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("stdout");
    assert!(rest.is_empty(), "one line on stdout only, then {rest:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(
        err.contains("snowflake-emulator: stopped; 1 statements run"),
        "{err}"
    );
    eprintln!(
        "foreground emulator: ready in {ready:?}, stopped {:?} after SIGTERM",
        t1.elapsed()
    );
    // Bad arguments: usage and exit 2.
    let bad = Command::new("python3")
        .arg(format!("{}/emulator.py", crate::support::snowflake::DIR))
        .args([
            "--port",
            "1",
            "--account",
            "A",
            "--s3-endpoint",
            "x",
            "--s3-access-key",
            "k",
            "--s3-secret-key",
            "s",
        ])
        .env("PYTHONPATH", crate::support::snowflake::deps_dir())
        .output()
        .expect("python3");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--public-key"));
}
