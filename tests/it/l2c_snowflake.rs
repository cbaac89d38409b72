//! The whole L2C migration through the real binary: tables written by pyiceberg through
//! the Polaris stand-in onto s3s-fs; `forge apply` makes the bucket, IAM policy and role,
//! the Snowflake volume, the role's trust, the integration, database, schema and role (on
//! moto and the Snowflake emulator), copies each table, rewrites its metadata, checks the
//! copy and registers it in Snowflake; a local append is synced and refreshed; a new
//! table is registered; `destroy --target` clears one table (its Snowflake table and its
//! objects, the infrastructure kept); a full destroy cleans up, Snowflake before AWS.

use serde_json::{Value, json};

use crate::support::forge::{Project, Run};
use crate::support::peers::polaris::{PolarisPeer, polaris};
use crate::support::peers::polaris_py::script;
use crate::support::servers::{boto3, moto, unique};
use crate::support::snowflake::{SnowflakeEmulator, snowflake};

const AWS_KEY: &str = "AKIAL2CSNOWFLAKE0001";
const AWS_SECRET: &str = "l2c-snowflake-aws-secret";

struct Setup {
    peer: &'static PolarisPeer,
    emu: &'static SnowflakeEmulator,
    home: tempfile::TempDir,
    catalog: String,
    target: String,
    project: Project,
}

impl Setup {
    fn new(tag: &str) -> Self {
        let peer = polaris();
        let emu = snowflake();
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join("connections.toml");
        std::fs::write(
            &path,
            format!(
                "[emu]\naccount = \"{}\"\nuser = \"{}\"\nwarehouse = \"COMPUTE_WH\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\nauthenticator = \"SNOWFLAKE_JWT\"\nprivate_key_file = \"{}\"\n",
                emu.account,
                emu.user,
                emu.port,
                emu.private_key.display()
            ),
        )
        .expect("connections.toml");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let s = Self {
            peer,
            emu,
            home,
            catalog: unique(tag),
            target: unique(&format!("{tag}-dst")),
            project: Project::new(""),
        };
        s.write(&[]);
        s
    }

    fn write(&self, tables: &[&str]) {
        let p = self.peer;
        let mut y = format!(
            "version: 1\nproject: l2cs\nstores:\n  - name: local\n    endpoint: {}\n    access_key: {{env: TEST_S3_KEY}}\n    secret_key: {{env: TEST_S3_SECRET}}\ncatalog:\n  url: {}\n  realm: {}\n  client_id: {}\n  client_secret: {{env: TEST_POLARIS_SECRET}}\n  catalogs:\n    - name: {}\n",
            p.s3.endpoint, p.url, p.realm, p.root_id, self.catalog
        );
        if !tables.is_empty() {
            y.push_str(&format!(
                "l2c:\n  aws:\n    endpoint: {}\n    region: us-east-1\n    bucket: {}\n    force_destroy: true\n  snowflake:\n    connection: emu\n    admin_role: ACCOUNTADMIN\n  tables:\n",
                moto().endpoint,
                self.target
            ));
            for t in tables {
                y.push_str(&format!(
                    "    - {{catalog: {}, namespace: wildlife, table: {t}}}\n",
                    self.catalog
                ));
            }
        }
        self.project.write(&y);
    }

    fn run(&self, args: &[&str]) -> Run {
        let home = self.home.path().display().to_string();
        self.project.run_env(
            args,
            &[
                ("TEST_S3_KEY", &self.peer.s3.access_key),
                ("TEST_S3_SECRET", &self.peer.s3.secret_key),
                ("TEST_POLARIS_SECRET", &self.peer.root_secret),
                ("SNOWFLAKE_HOME", &home),
                ("AWS_ACCESS_KEY_ID", AWS_KEY),
                ("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
        )
    }

    fn source_args(&self, extra: Value) -> Value {
        let p = self.peer;
        let mut a = json!({
            "uri": p.url, "catalog": self.catalog, "client_id": p.root_id,
            "client_secret": p.root_secret, "realm": p.realm, "s3_endpoint": p.s3.endpoint,
            "s3_key": p.s3.access_key, "s3_secret": p.s3.secret_key, "namespace": "wildlife",
        });
        if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
            a.extend(extra.clone());
        }
        a
    }

    /// `<USER>_<PROJECT>_<CATALOG>`: the database (and volume, integration, role).
    fn database(&self) -> String {
        format!(
            "TESTER_L2CS_{}",
            self.catalog.to_uppercase().replace('-', "_")
        )
    }

    fn synced_path(&self, table: &str) -> String {
        let addr = format!("l2c_table.{}/wildlife/{table}", self.catalog);
        self.project.state()["resources"][&addr]["attributes"]["synced"]["metadata_file_path"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The metadata file Snowflake's table `WILDLIFE_<TABLE>` was registered from, as
    /// Snowflake itself says (`SYSTEM$GET_ICEBERG_TABLE_INFORMATION`); `None` if the
    /// table is not there.
    fn registered(&self, table: &str) -> Option<String> {
        let fq = format!("{}.L2C.WILDLIFE_{}", self.database(), table.to_uppercase());
        // As the table's owner (the least-privilege role, named like the database).
        let r = self.emu.sql_as(
            &self.database(),
            &format!("SELECT SYSTEM$GET_ICEBERG_TABLE_INFORMATION('{fq}')"),
        );
        if r.status != 200 {
            return None;
        }
        let body: Value = serde_json::from_str(&r.text).ok()?;
        let v: Value = serde_json::from_str(body["data"][0][0].as_str()?).ok()?;
        v["metadataLocation"].as_str().map(str::to_string)
    }
}

fn objects(bucket: &str, prefix: &str) -> usize {
    boto3(
        moto(),
        &format!(
            "r = s3.list_objects_v2(Bucket='{bucket}', Prefix='{prefix}')\nprint(r.get('KeyCount', 0))"
        ),
    )
    .trim()
    .parse()
    .expect("a count")
}

#[test]
fn the_whole_migration_registers_refreshes_clears_and_cleans_up() {
    let s = Setup::new("l2csf");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    script("l2c_tables.py", "write", &s.source_args(json!({})));

    // Setup, sync, rewrite, register: one apply.
    s.write(&["penguins"]);
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let text = plan.flat();
    assert!(text.contains("migrate v"), "{text}");
    assert!(text.contains("register in Snowflake as"), "{text}");
    assert!(text.contains("snowflake_external_volume"), "{text}");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let at = s.registered("penguins").expect("registered");
    assert_eq!(
        at,
        format!("s3://{}/{}", s.target, s.synced_path("penguins"))
    );
    s.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    // A local append: synced, then refreshed (not registered again).
    script(
        "l2c_tables.py",
        "append",
        &s.source_args(json!({"table": "penguins", "rows": 5})),
    );
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    let text = plan.flat();
    assert!(text.contains("sync v5 → v6"), "{text}");
    assert!(text.contains(" v5 → v6"), "refresh planned: {text}");
    assert!(text.contains("refresh "), "{text}");
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    let now = s.registered("penguins").expect("still registered");
    assert_ne!(now, at, "refreshed to the new metadata file");
    assert_eq!(
        now,
        format!("s3://{}/{}", s.target, s.synced_path("penguins"))
    );
    let log: Vec<String> = s
        .emu
        .statement_log()
        .iter()
        .filter_map(|l| l["statement"].as_str().map(str::to_string))
        .filter(|t| t.contains("WILDLIFE_PENGUINS"))
        .collect();
    assert_eq!(
        log.iter()
            .filter(|t| t.starts_with("CREATE ICEBERG TABLE"))
            .count(),
        1,
        "registered once: {log:?}"
    );
    assert!(
        log.iter()
            .any(|t| t.starts_with("ALTER ICEBERG TABLE") && t.contains("REFRESH")),
        "{log:?}"
    );
    let st = s.run(&["status", "--json"]).expect_code(0);
    assert!(
        st.stdout.contains(&now),
        "status shows the registration: {}",
        st.stdout
    );

    // A new table joins: registered; the first one is left alone.
    s.write(&["penguins", "v1"]);
    let plan = s.run(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        !plan
            .flat()
            .contains(&format!("l2c_table.{}/wildlife/penguins", s.catalog)),
        "{}",
        plan.flat()
    );
    s.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(s.registered("v1").is_some());

    // Clear one table: its Snowflake table and its objects go, the rest stays.
    let v1 = format!("l2c_table.{}/wildlife/v1", s.catalog);
    s.run(&["destroy", "--target", &v1, "--auto-approve"])
        .expect_code(0);
    assert!(s.registered("v1").is_none(), "dropped in Snowflake");
    assert_eq!(objects(&s.target, "wildlife/v1/"), 0);
    assert!(s.registered("penguins").is_some());
    assert!(objects(&s.target, "wildlife/penguins/") > 0);

    // Cleanup: everything forge made, Snowflake before AWS.
    // (The source catalog holds the tables pyiceberg wrote, which forge does not manage:
    // it is left out, as forge would refuse to empty it.)
    let catalog = format!("polaris_catalog.{}", s.catalog);
    let r = s
        .run(&["destroy", "--auto-approve", "--exclude", &catalog])
        .expect_code(0);
    let text = r.flat();
    assert!(s.registered("penguins").is_none(), "{text}");
    let order: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("Destruction complete"))
        .collect();
    let pos = |kind: &str| order.iter().position(|l| l.starts_with(kind));
    let (vol, role) = (pos("snowflake_external_volume"), pos("iam_role."));
    assert!(
        vol.is_some() && role.is_some() && vol < role,
        "Snowflake before AWS: {order:?}\n{text}"
    );
}
