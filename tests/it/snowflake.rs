//! forge's Snowflake provider through the real binary, against the Snowflake emulator
//! (`tests/support/snowflake.rs`) with moto as the AWS side: `l2c.snowflake` names a
//! connection of a `connections.toml` in a temporary `SNOWFLAKE_HOME` that points at the
//! emulator, by key pair or by programmatic access token.
//!
//! Apply makes the external volume, the IAM role's trust naming Snowflake's IAM user, the
//! catalog integration, the database, the schema and the least-privilege role with its
//! grants, each read back through the emulator with SHOW/DESC; a second plan is a no-op;
//! a grant revoked by hand is drift and repaired; destroy drops everything. Hostile names
//! are quoted end to end or refused at plan time at their line; a missing connection, a
//! bad key and a wrong token are said in one cause and one remedy, the secret never shown.
//! OAuth works too; forge's SQL API client retries a 503 and a lost reply without running
//! the statement twice, signs an expired JWT again and polls a 202; a database holding
//! someone else's schema is not dropped.
//!
//! The L2C tables themselves (`l2c_table`) are left out with `--target`: they need a
//! source catalog (`tests/it/l2c_snowflake.rs` runs the whole migration with one).

use std::path::Path;

use serde_json::Value;

use crate::support::forge::{Project, Run};
use crate::support::servers::{moto, unique};
use crate::support::snowflake::{SnowflakeEmulator, iam, py, snowflake};

/// moto accepts any keys.
const AWS_KEY: &str = "AKIASNOWFLAKETEST001";
const AWS_SECRET: &str = "snowflake-test-aws-secret";

/// What a test's project targets: the Snowflake objects and the trust (their dependencies
/// — bucket, IAM policy and role — come with them).
const TARGETS: &[&str] = &["--target", "snowflake_role", "--target", "iam_role_trust"];

/// How the connection authenticates.
enum By {
    KeyPair,
    Pat,
}

/// A project whose `l2c.snowflake` points at the emulator.
struct Setup {
    emu: &'static SnowflakeEmulator,
    project: Project,
    /// `SNOWFLAKE_HOME`.
    home: tempfile::TempDir,
    /// The catalog (unique per test): names everything.
    catalog: String,
}

/// `<USER>_<PROJECT>_<CATALOG>` as forge names the volume, integration and role.
fn sf_base(catalog: &str) -> String {
    format!("TESTER_SFT_{}", catalog.to_uppercase().replace('-', "_"))
}

impl Setup {
    fn new(tag: &str, by: By) -> Self {
        let emu = snowflake();
        let home = tempfile::tempdir().expect("tempdir");
        let catalog = unique(tag);
        let s = Self {
            emu,
            project: Project::new(""),
            home,
            catalog,
        };
        s.connections("emu", by);
        s
    }

    /// Writes `connections.toml` with one connection `name` to the emulator.
    fn connections(&self, name: &str, by: By) {
        let auth = match by {
            By::KeyPair => format!(
                "authenticator = \"SNOWFLAKE_JWT\"\nprivate_key_file = \"{}\"\n",
                self.emu.private_key.display()
            ),
            By::Pat => format!(
                "authenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\ntoken = \"{}\"\n",
                self.emu.pat
            ),
        };
        self.write_connections(&format!(
            "[{name}]\naccount = \"{}\"\nuser = \"{}\"\nwarehouse = \"COMPUTE_WH\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\n{auth}",
            self.emu.account, self.emu.user, self.emu.port
        ));
    }

    fn write_connections(&self, text: &str) {
        let path = self.home.path().join("connections.toml");
        std::fs::write(&path, text).expect("connections.toml");
        // The Snowflake CLI refuses a connections file others can read; so should a test.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    }

    /// forge.yaml with `snowflake` as the body of `l2c.snowflake` (indented by the caller).
    fn write(&self, snowflake: &str) {
        self.project.write(&format!(
            "version: 1\nproject: sft\nstores:\n  - name: local\n    endpoint: http://127.0.0.1:9\n    access_key: {{env: UNUSED}}\n    secret_key: {{env: UNUSED}}\ncatalog:\n  url: http://127.0.0.1:9\n  client_id: unused\n  client_secret: {{env: UNUSED}}\n  catalogs:\n    - name: {c}\nl2c:\n  aws:\n    endpoint: {m}\n    region: us-east-1\n    bucket: {c}-l2c\n  snowflake:\n{snowflake}  tables:\n    - {{catalog: {c}, namespace: wildlife, table: penguins}}\n",
            c = self.catalog,
            m = moto().endpoint,
        ));
    }

    fn run(&self, args: &[&str]) -> Run {
        self.project.run_env(
            args,
            &[
                ("SNOWFLAKE_HOME", &self.home.path().display().to_string()),
                ("AWS_ACCESS_KEY_ID", AWS_KEY),
                ("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
                ("HOME", &self.home.path().display().to_string()),
                // The source side (store, catalog) is never reached: targets leave it out.
                ("UNUSED", "unused"),
            ],
        )
    }

    /// `forge CMD --target ...` (plan, apply, destroy) with `extra` arguments.
    fn targeted(&self, cmd: &str, extra: &[&str]) -> Run {
        let mut args = vec![cmd];
        args.extend_from_slice(TARGETS);
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Rows of a statement the emulator's admin runs, as column → value maps.
    fn records(&self, statement: &str) -> Vec<serde_json::Map<String, Value>> {
        let r = self.emu.sql(statement);
        assert_eq!(r.status, 200, "{statement}: {}", r.text);
        self.emu.records(&self.emu.auth(), &r)
    }

    /// The `name` column of `SHOW <what>` rows named exactly `name`.
    fn shown(&self, what: &str, name: &str) -> bool {
        self.records(&format!("SHOW {what}"))
            .iter()
            .any(|r| r["name"].as_str() == Some(name))
    }

    /// `privilege on granted_on name` for every grant to role `role`, ownership aside.
    fn grants_to(&self, role: &str) -> Vec<String> {
        let mut g: Vec<String> = self
            .records(&format!("SHOW GRANTS TO ROLE {}", quote(role)))
            .iter()
            .filter(|r| r["privilege"] != "OWNERSHIP")
            .map(|r| {
                format!(
                    "{} on {} {}",
                    text(&r["privilege"]),
                    text(&r["granted_on"]),
                    text(&r["name"])
                )
            })
            .collect();
        g.sort();
        g
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// A stored name as a quoted identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The plan's summary line.
fn plan_line(run: &Run) -> String {
    run.stdout
        .lines()
        .find(|l| l.starts_with("Plan:") || l.contains("No changes"))
        .unwrap_or_default()
        .to_string()
}

/// The connection section: connection `emu`, database and schema as given.
fn section(database: &str, schema: &str) -> String {
    format!(
        "    connection: emu\n    admin_role: ACCOUNTADMIN\n    database: {database}\n    schema: {schema}\n"
    )
}

#[test]
fn key_pair_apply_reads_back_is_a_no_op_repairs_drift_and_destroys() {
    let s = Setup::new("sfkp", By::KeyPair);
    let base = sf_base(&s.catalog);
    let db = format!("{base}_DB");
    s.write(&section(&db, "L2C"));

    let plan = s.targeted("plan", &[]).expect_code(0);
    for kind in [
        "snowflake_external_volume",
        "snowflake_catalog_integration",
        "snowflake_database",
        "snowflake_schema",
        "snowflake_role",
        "iam_role_trust",
    ] {
        assert!(
            plan.stdout.contains(kind),
            "{kind} planned:\n{}",
            plan.stdout
        );
    }
    s.targeted("apply", &["--auto-approve"]).expect_code(0);

    // Read back through the emulator.
    assert!(s.shown("EXTERNAL VOLUMES", &base), "the volume");
    assert!(s.shown("CATALOG INTEGRATIONS", &base), "the integration");
    assert!(s.shown("DATABASES", &db), "the database");
    assert!(
        s.shown(&format!("SCHEMAS IN DATABASE {}", quote(&db)), "L2C"),
        "the schema"
    );
    assert!(s.shown("ROLES", &base), "the role");
    let desc = s.records(&format!("DESC EXTERNAL VOLUME {}", quote(&base)));
    let location = desc
        .iter()
        .find(|r| r["property"] == "STORAGE_LOCATION_1")
        .map(|r| text(&r["property_value"]).to_string())
        .expect("a storage location");
    let location: Value = serde_json::from_str(&location).expect("location JSON");
    assert_eq!(
        location["STORAGE_BASE_URL"],
        format!("s3://{}-l2c/", s.catalog)
    );
    let trust_ext = &location["STORAGE_AWS_EXTERNAL_ID"];
    assert!(
        trust_ext.as_str().is_some_and(|e| !e.is_empty()),
        "forge's external id: {location}"
    );
    let allow_writes = desc
        .iter()
        .find(|r| r["property"] == "ALLOW_WRITES")
        .map(|r| text(&r["property_value"]).to_string());
    assert_eq!(allow_writes.as_deref(), Some("false"));
    let expected_grants = {
        let mut g = vec![
            format!("USAGE on DATABASE {}", quote(&db)),
            format!("USAGE on SCHEMA {}.L2C", quote(&db)),
            format!("CREATE ICEBERG TABLE on SCHEMA {}.L2C", quote(&db)),
            format!("USAGE on EXTERNAL_VOLUME {base}"),
            format!("USAGE on INTEGRATION {base}"),
        ];
        g.sort();
        g
    };
    assert_eq!(
        s.grants_to(&base),
        normalise(&expected_grants),
        "the role's five privileges"
    );
    let holders = s.records(&format!("SHOW GRANTS OF ROLE {}", quote(&base)));
    assert!(
        holders
            .iter()
            .any(|r| r["granted_to"] == "USER" && r["grantee_name"] == s.emu.user.as_str()),
        "the role is granted to the connection's user: {holders:?}"
    );
    // The IAM role on moto trusts the volume's IAM user with the volume's external id.
    let role = format!("tester-sft-{}", s.catalog);
    let trust: Value = serde_json::from_str(&iam(
        moto(),
        &format!(
            "print(json.dumps(iam.get_role(RoleName={})['Role']['AssumeRolePolicyDocument']))",
            py(&role)
        ),
    ))
    .expect("trust JSON");
    let trusted = trust.to_string();
    assert!(
        trusted.contains(&s.emu.iam_user_arn) && trusted.contains(text(trust_ext)),
        "the trust names Snowflake's IAM user and the volume's external id: {trust}"
    );

    // Account-level objects made by the admin role, never OR REPLACE (it drops grants).
    let ours: Vec<Value> = s
        .emu
        .statement_log()
        .into_iter()
        .filter(|l| text(&l["statement"]).contains(&base))
        .collect();
    let created: Vec<&Value> = ours
        .iter()
        .filter(|l| text(&l["statement"]).starts_with("CREATE"))
        .collect();
    assert!(created.len() >= 4, "creates in the log: {ours:?}");
    assert!(
        created.iter().all(|l| l["role"] == "ACCOUNTADMIN"),
        "every create as the admin role: {created:?}"
    );
    assert!(
        ours.iter()
            .all(|l| !text(&l["statement"]).contains("OR REPLACE")),
        "nothing replaced: {ours:?}"
    );

    // Nothing to do a second time.
    let again = s.targeted("plan", &[]).expect_code(0);
    assert!(
        plan_line(&again).contains("No changes"),
        "no-op: {}",
        again.stdout
    );

    // A grant revoked by hand is drift, planned as an update and granted again.
    s.records(&format!(
        "REVOKE USAGE ON DATABASE {} FROM ROLE {}",
        quote(&db),
        quote(&base)
    ));
    let drift = s.targeted("plan", &[]).expect_code(0);
    assert!(
        drift.stdout.contains("~ snowflake_role"),
        "drift planned as an update:\n{}",
        drift.stdout
    );
    s.targeted("apply", &["--auto-approve"]).expect_code(0);
    assert_eq!(s.grants_to(&base), normalise(&expected_grants), "repaired");
    let quiet = s.targeted("plan", &[]).expect_code(0);
    assert!(plan_line(&quiet).contains("No changes"), "{}", quiet.stdout);

    // The role taken from its user and the schema dropped by hand: both come back.
    s.records(&format!(
        "REVOKE ROLE {} FROM USER {}",
        quote(&base),
        s.emu.user
    ));
    s.records(&format!("DROP SCHEMA {}.L2C", quote(&db)));
    let drift = s.targeted("plan", &[]).expect_code(0);
    assert!(
        drift.stdout.contains("+ snowflake_schema") && drift.stdout.contains("~ snowflake_role"),
        "the schema re-created, the role updated:\n{}",
        drift.stdout
    );
    s.targeted("apply", &["--auto-approve"]).expect_code(0);
    assert!(s.shown(&format!("SCHEMAS IN DATABASE {}", quote(&db)), "L2C"));
    assert_eq!(s.grants_to(&base), normalise(&expected_grants), "regranted");
    let holders = s.records(&format!("SHOW GRANTS OF ROLE {}", quote(&base)));
    assert!(
        holders
            .iter()
            .any(|r| r["grantee_name"] == s.emu.user.as_str()),
        "the user holds the role again: {holders:?}"
    );

    // Destroy drops them all (the account-level ones as ACCOUNTADMIN). Everything in
    // state: a destroy's target would take only what depends on it.
    s.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.shown("EXTERNAL VOLUMES", &base), "volume dropped");
    assert!(
        !s.shown("CATALOG INTEGRATIONS", &base),
        "integration dropped"
    );
    assert!(!s.shown("DATABASES", &db), "database dropped");
    assert!(!s.shown("ROLES", &base), "role dropped");
    let dropped_by: Vec<Value> = s
        .emu
        .statement_log()
        .into_iter()
        .filter(|l| {
            let t = text(&l["statement"]);
            t.starts_with("DROP") && t.contains(&base)
        })
        .collect();
    assert!(!dropped_by.is_empty(), "drops in the log");
    assert!(
        dropped_by.iter().all(|l| l["role"] == "ACCOUNTADMIN"),
        "every drop as the admin role: {dropped_by:?}"
    );
}

/// SHOW GRANTS quotes a name part only where it needs quotes.
fn normalise(grants: &[String]) -> Vec<String> {
    let mut g: Vec<String> = grants
        .iter()
        .map(|g| {
            g.split(' ')
                .map(|w| {
                    w.split('.')
                        .map(|p| {
                            let inner = p.trim_matches('"');
                            if p.starts_with('"')
                                && inner.chars().all(|c| {
                                    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
                                })
                            {
                                inner.to_string()
                            } else {
                                p.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    g.sort();
    g
}

#[test]
fn a_programmatic_access_token_applies_and_destroys_and_is_never_shown() {
    let s = Setup::new("sfpat", By::Pat);
    let db = format!("{}_PAT", sf_base(&s.catalog));
    s.write(&section(&db, "L2C"));
    let apply = s.targeted("apply", &["--auto-approve"]).expect_code(0);
    assert!(s.shown("DATABASES", &db));
    let log = s.emu.statement_log();
    assert!(
        log.iter()
            .any(|l| text(&l["statement"]).contains(&db) && l["role"] == "ACCOUNTADMIN"),
        "the database made as the admin role"
    );
    // A schema forge does not manage keeps the database from being dropped with it.
    s.records(&format!("CREATE SCHEMA {}.SOMEONE_ELSES", quote(&db)));
    let refused = s.run(&["destroy", "--auto-approve"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused
            .flat()
            .contains("holds what forge did not make (schema SOMEONE_ELSES)"),
        "{}",
        refused.flat()
    );
    assert!(s.shown("DATABASES", &db), "kept");
    s.records(&format!("DROP SCHEMA {}.SOMEONE_ELSES", quote(&db)));
    let destroy = s.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.shown("DATABASES", &db));
    for run in [&apply, &refused, &destroy] {
        assert!(
            !run.flat().contains(&s.emu.pat),
            "the token is never printed"
        );
    }
}

#[test]
fn hostile_names_are_quoted_end_to_end() {
    let s = Setup::new("sfhost", By::KeyPair);
    // A quote, spaces, `;`, a comment and non-ASCII: taken as written (not a valid
    // unquoted identifier), so stored exactly so.
    let db = format!("wé ird\"; DROP DATABASE x; -- {}", s.catalog);
    let schema = "Mixed Case'; --";
    s.write(&section(&yaml_str(&db), &yaml_str(schema)));
    s.run(&["apply", "--auto-approve", "--target", "snowflake_schema"])
        .expect_code(0);
    assert!(s.shown("DATABASES", &db), "the database, exactly: {db}");
    assert!(
        s.shown(&format!("SCHEMAS IN DATABASE {}", quote(&db)), schema),
        "the schema, exactly"
    );
    let again = s
        .run(&["plan", "--target", "snowflake_schema"])
        .expect_code(0);
    assert!(plan_line(&again).contains("No changes"), "{}", again.stdout);
    s.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.shown("DATABASES", &db));
}

/// `text` as a single-quoted YAML scalar.
fn yaml_str(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[test]
fn names_snowflake_cannot_hold_are_refused_at_plan_time_at_their_line() {
    let s = Setup::new("sfbad", By::KeyPair);
    let long = "D".repeat(256);
    s.write(&section(&long, "'\"a\"b\"'"));
    let plan = s.run(&["plan"]);
    assert_ne!(plan.code, 0, "refused:\n{}\n{}", plan.stdout, plan.stderr);
    let out = plan.flat();
    assert!(
        out.contains("is not a valid Snowflake database name")
            && out.contains("256 characters long"),
        "{out}"
    );
    assert!(
        out.contains("is not a valid Snowflake schema name")
            && out.contains("a quote must be doubled"),
        "{out}"
    );
    // Located: the error points at forge.yaml's line of the value.
    let yaml = std::fs::read_to_string(s.project.path().join("forge.yaml")).expect("yaml");
    let line = yaml
        .lines()
        .position(|l| l.contains(&long))
        .expect("the line")
        + 1;
    assert!(
        out.contains(&format!("forge.yaml:{line}")),
        "located at line {line}: {out}"
    );
    assert!(
        s.emu
            .statement_log()
            .iter()
            .all(|l| !text(&l["statement"]).contains(&long))
    );
}

/// A run that failed on the connection: one cause, one remedy, nothing secret.
fn assert_said_once(run: &Run, cause: &str, remedy: &str, secret: Option<&str>) {
    let out = run.flat();
    assert!(out.contains(cause), "cause `{cause}`: {out}");
    assert!(out.contains(remedy), "remedy `{remedy}`: {out}");
    assert_eq!(out.matches(cause).count(), 1, "said once: {out}");
    if let Some(secret) = secret {
        assert!(!out.contains(secret), "the secret leaked: {out}");
    }
}

#[test]
fn a_missing_connection_is_one_cause_and_one_remedy() {
    let s = Setup::new("sfmiss", By::KeyPair);
    s.write(&section(&format!("{}_DB", sf_base(&s.catalog)), "L2C").replace("emu", "nowhere"));
    let plan = s.targeted("plan", &[]);
    assert_said_once(
        &plan,
        "Snowflake connection `nowhere`",
        "snow connection add",
        None,
    );
    let apply = s.targeted("apply", &["--auto-approve"]);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
}

#[test]
fn a_bad_private_key_fails_without_showing_it() {
    let s = Setup::new("sfkey", By::KeyPair);
    let key = s.home.path().join("broken.p8");
    let secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCsecretbits";
    std::fs::write(
        &key,
        format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"),
    )
    .expect("key");
    write_key_connection(&s, &key, None);
    s.write(&section(&format!("{}_DB", sf_base(&s.catalog)), "L2C"));
    let apply = s.targeted("apply", &["--auto-approve"]);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
    let out = apply.flat();
    assert!(out.contains("private key"), "names the key: {out}");
    assert!(!out.contains(secret), "the key never appears: {out}");
    assert!(!s.shown("DATABASES", &format!("{}_DB", sf_base(&s.catalog))));
}

fn write_key_connection(s: &Setup, key: &Path, passphrase: Option<&str>) {
    let pwd = passphrase
        .map(|p| format!("private_key_file_pwd = \"{p}\"\n"))
        .unwrap_or_default();
    s.write_connections(&format!(
        "[emu]\naccount = \"{}\"\nuser = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\nauthenticator = \"SNOWFLAKE_JWT\"\nprivate_key_file = \"{}\"\n{pwd}",
        s.emu.account,
        s.emu.user,
        s.emu.port,
        key.display()
    ));
}

#[test]
fn a_wrong_token_is_refused_without_showing_it() {
    let s = Setup::new("sftok", By::Pat);
    let wrong = format!("wrong-pat-{}", s.catalog);
    s.write_connections(&format!(
        "[emu]\naccount = \"{}\"\nuser = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\nauthenticator = \"PROGRAMMATIC_ACCESS_TOKEN\"\ntoken = \"{wrong}\"\n",
        s.emu.account, s.emu.user, s.emu.port
    ));
    s.write(&section(&format!("{}_DB", sf_base(&s.catalog)), "L2C"));
    let apply = s.targeted("apply", &["--auto-approve"]);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
    let out = apply.flat();
    assert!(!out.contains(&wrong), "the token never appears: {out}");
    assert!(out.contains("token"), "says what to check: {out}");
}

#[test]
fn an_oauth_token_works_too() {
    let s = Setup::new("sfoauth", By::KeyPair);
    s.write_connections(&format!(
        "[emu]\naccount = \"{}\"\nuser = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\nauthenticator = \"OAUTH\"\ntoken = \"{}\"\n",
        s.emu.account, s.emu.user, s.emu.port, s.emu.oauth_token
    ));
    let db = format!("{}_OAUTH", sf_base(&s.catalog));
    s.write(&section(&db, "L2C"));
    let apply = s
        .run(&["apply", "--auto-approve", "--target", "snowflake_database"])
        .expect_code(0);
    assert!(s.shown("DATABASES", &db));
    let destroy = s.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.shown("DATABASES", &db));
    for run in [&apply, &destroy] {
        assert!(!run.flat().contains(&s.emu.oauth_token), "never printed");
    }
}

/// forge's SQL API client through the binary: a 503 and a reply lost after the statement
/// ran are retried (with the same `requestId`, so the statement runs once), an expired
/// JWT is signed again, and a statement slower than the sync wait (202) is polled.
#[test]
fn the_client_retries_polls_and_never_runs_a_statement_twice() {
    let s = Setup::new("sfflaky", By::KeyPair);
    let db = format!("{}_FLAKY", sf_base(&s.catalog));
    s.write(&section(&db, "L2C"));
    let create_db = format!("CREATE DATABASE IF NOT EXISTS \"{db}\"");
    let create_schema = format!("CREATE SCHEMA IF NOT EXISTS \"{db}\"");
    s.emu.add_faults(serde_json::json!([
        {"kind": "expired_token", "match": format!("'{db}'")},
        {"kind": "http", "status": 503, "match": create_db, "retryAfter": 1},
        {"kind": "drop", "when": "after", "match": create_db},
        // Longer than the harness's 5 s sync wait: answered 202, then polled.
        {"kind": "slow", "seconds": 6, "match": create_schema},
    ]));
    s.run(&["apply", "--auto-approve", "--target", "snowflake_schema"])
        .expect_code(0);
    assert!(s.shown("DATABASES", &db));
    assert!(s.shown(&format!("SCHEMAS IN DATABASE {}", quote(&db)), "L2C"));
    let log = s.emu.statement_log();
    let runs = |prefix: &str| -> Vec<Value> {
        log.iter()
            .filter(|l| text(&l["statement"]).starts_with(prefix))
            .cloned()
            .collect()
    };
    assert_eq!(runs(&create_db).len(), 1, "the database created once");
    let schema = runs(&create_schema);
    assert_eq!(schema.len(), 1, "the schema created once");
    let handle = text(&schema[0]["handle"]).to_string();
    let requests =
        crate::support::peers::polaris_http::send(s.emu.port, "GET", "/_emulator/log", &[], None)
            .json()["requests"]
            .clone();
    let polled = requests
        .as_array()
        .expect("requests")
        .iter()
        .any(|r| r["method"] == "GET" && text(&r["path"]).contains(&handle));
    assert!(polled, "the 202 was polled (GET .../{handle})");
    let left = crate::support::peers::polaris_http::send(
        s.emu.port,
        "GET",
        "/_emulator/faults",
        &[],
        None,
    )
    .text;
    assert!(!left.contains(&db), "every fault was met: {left}");
    s.run(&["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.shown("DATABASES", &db));
}

/// The emulator's key, encrypted as `openssl pkcs8 -topk8 -v2 CIPHER` writes it, in `dir`.
fn encrypted_key(dir: &Path, cipher: &str, passphrase: &str) -> std::path::PathBuf {
    let out = dir.join(format!("key-{cipher}.p8"));
    let status = std::process::Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", cipher, "-in"])
        .arg(&snowflake().private_key)
        .arg("-out")
        .arg(&out)
        .args(["-passout", &format!("pass:{passphrase}")])
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl pkcs8 -v2 {cipher}");
    let pem = std::fs::read_to_string(&out).expect("encrypted key");
    assert!(pem.contains("ENCRYPTED PRIVATE KEY"), "{pem}");
    out
}

/// Keys encrypted as Snowflake's key-pair guide shows (`des3`) and with AES: read with
/// `private_key_file_pwd`; a wrong passphrase is refused, and no passphrase is printed.
#[test]
fn encrypted_private_keys_are_read_with_their_passphrase() {
    let s = Setup::new("sfenc", By::KeyPair);
    let passphrase = format!("pass-{}", s.catalog);
    let db = format!("{}_ENC", sf_base(&s.catalog));
    s.write(&section(&db, "L2C"));
    let mut runs = Vec::new();
    for cipher in ["des3", "aes-256-cbc"] {
        let key = encrypted_key(s.home.path(), cipher, &passphrase);
        write_key_connection(&s, &key, Some(&passphrase));
        runs.push(
            s.run(&["apply", "--auto-approve", "--target", "snowflake_database"])
                .expect_code(0),
        );
        assert!(s.shown("DATABASES", &db), "{cipher}");
        runs.push(s.run(&["destroy", "--auto-approve"]).expect_code(0));
        assert!(!s.shown("DATABASES", &db), "{cipher}");
    }
    let key = encrypted_key(s.home.path(), "aes-256-cbc", &passphrase);
    let wrong = format!("wrong-{passphrase}");
    write_key_connection(&s, &key, Some(&wrong));
    let refused = s.run(&["apply", "--auto-approve", "--target", "snowflake_database"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.flat().contains("private_key_file_pwd"),
        "{}",
        refused.flat()
    );
    runs.push(refused);
    for run in &runs {
        let out = run.flat();
        assert!(!out.contains(&passphrase), "no passphrase in: {out}");
    }
}

/// An `admin_role` the connection's user does not hold: the plan's read fails with
/// Snowflake's refusal and what to grant, and nothing is made.
#[test]
fn an_admin_role_the_user_lacks_is_said_with_its_remedy() {
    let s = Setup::new("sfrole", By::KeyPair);
    let db = format!("{}_ROLE", sf_base(&s.catalog));
    s.write(&section(&db, "L2C").replace("ACCOUNTADMIN", "NOT_GRANTED_ROLE"));
    let plan = s.run(&["plan", "--target", "snowflake_database"]);
    let out = plan.flat();
    assert!(out.contains("NOT_GRANTED_ROLE"), "names the role: {out}");
    assert!(out.contains("GRANT ROLE"), "says what to grant: {out}");
    let apply = s.run(&["apply", "--auto-approve", "--target", "snowflake_database"]);
    assert_ne!(apply.code, 0, "{}", apply.stdout);
    assert!(!s.shown("DATABASES", &db), "nothing made");
}
