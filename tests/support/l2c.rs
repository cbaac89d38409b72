//! The L2C tests' common set-up: a Polaris catalog on the stand-in (its store s3s-fs)
//! whose `wildlife` tables forge.yaml migrates to a bucket on moto, each side reached
//! directly or through a proxy, with the helpers that read what arrived.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::forge::{Project, Run};
use crate::support::peers::polaris::{PolarisPeer, polaris};
use crate::support::peers::polaris_py::script;
use crate::support::servers::{S3Server, boto3, moto, unique};

/// moto accepts any keys; these are the AWS side's, and only the AWS side's.
pub const AWS_KEY: &str = "AKIAL2CTESTKEY000001";
pub const AWS_SECRET: &str = "l2c-test-secret-not-the-local-one";

/// A catalog forge makes on the Polaris stand-in, a target bucket on moto, and the
/// project whose forge.yaml migrates that catalog's `wildlife` tables.
pub struct Setup {
    pub peer: &'static PolarisPeer,
    pub catalog: String,
    pub target: String,
    pub project: Project,
    /// The local store's endpoint as forge.yaml names it (s3s-fs, or a proxy in front).
    pub local: String,
    /// The AWS endpoint as forge.yaml names it (moto, or a proxy in front).
    pub aws: String,
}

impl Setup {
    /// Names made unique from `tag`; both stores reached directly.
    pub fn new(tag: &str) -> Self {
        let peer = polaris();
        Self::with(tag, &peer.s3.endpoint, &moto().endpoint)
    }

    /// With the two stores reached through `local` and `aws` (e.g. recording proxies).
    pub fn with(tag: &str, local: &str, aws: &str) -> Self {
        let peer = polaris();
        let catalog = unique(tag);
        let target = unique(&format!("{tag}-dst"));
        let project = Project::new(&yaml(peer, local, aws, &catalog, &target, &[]));
        Self {
            peer,
            catalog,
            target,
            project,
            local: local.to_string(),
            aws: aws.to_string(),
        }
    }

    /// forge.yaml migrating `tables` of namespace `wildlife` (none: no `l2c:` section).
    pub fn write(&self, tables: &[&str]) {
        self.project.write(&yaml(
            self.peer,
            &self.local,
            &self.aws,
            &self.catalog,
            &self.target,
            tables,
        ));
    }

    /// `forge ARGS` to completion, with each side's credentials in the environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).output().expect("run forge").into()
    }

    /// `forge ARGS`, not started yet (to run in the background), with each side's
    /// credentials in the environment: the local store's and the catalog's under the
    /// names forge.yaml reads, AWS's in the default chain's variables.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.project.cmd(args);
        c.env("TEST_S3_KEY", &self.peer.s3.access_key)
            .env("TEST_S3_SECRET", &self.peer.s3.secret_key)
            .env("TEST_POLARIS_SECRET", &self.peer.root_secret)
            .env("AWS_ACCESS_KEY_ID", AWS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
        c
    }

    /// The source side's connection for the Python clients (root through the catalog).
    pub fn source_args(&self, extra: Value) -> Value {
        let p = self.peer;
        let mut a = json!({
            "uri": p.url, "catalog": self.catalog, "client_id": p.root_id,
            "client_secret": p.root_secret, "realm": p.realm, "s3_endpoint": p.s3.endpoint,
            "s3_key": p.s3.access_key, "s3_secret": p.s3.secret_key, "namespace": "wildlife",
        });
        merge(&mut a, extra);
        a
    }

    /// The migrated copy of `table`, as state records it: its metadata file on moto.
    pub fn synced(&self, table: &str) -> Value {
        let addr = format!("l2c_table.{}/wildlife/{table}", self.catalog);
        self.project.state()["resources"][&addr]["attributes"]["synced"].clone()
    }

    /// `forge status --json`, by table name.
    pub fn status(&self) -> Value {
        let r = self.run(&["status", "--json"]).expect_code(0);
        let mut by = serde_json::Map::new();
        for line in r.stdout.lines().filter(|l| l.starts_with('{')) {
            let row: Value = serde_json::from_str(line).expect("a status line");
            let table = row["table"]
                .as_str()
                .expect("table")
                .rsplit('/')
                .next()
                .expect("name");
            by.insert(table.to_string(), row.clone());
        }
        Value::Object(by)
    }

    /// pyiceberg's `StaticTable` on the destination alone.
    pub fn read_copy(&self, table: &str) -> Value {
        let s = self.synced(table);
        let path = s["metadata_file_path"].as_str().expect("a synced copy");
        let read = script(
            "l2c_tables.py",
            "read",
            &dest_args(&format!("s3://{}/{path}", self.target)),
        );
        assert_eq!(
            read["ok"], true,
            "{table} reads from the destination: {read}"
        );
        read
    }
}

/// `a` with the keys of `extra` added (or replaced).
pub fn merge(a: &mut Value, extra: Value) {
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
}

/// The arguments of `l2c_tables.py read`/`duck` for the copy whose metadata file is
/// `metadata`, read from moto with the AWS side's keys.
pub fn dest_args(metadata: &str) -> Value {
    let m = moto();
    json!({"metadata": metadata, "s3_endpoint": m.endpoint, "s3_key": AWS_KEY,
           "s3_secret": AWS_SECRET})
}

/// forge.yaml: the local store, the catalog `catalog` on the stand-in, and (when
/// `tables` names any) an `l2c:` section migrating those `wildlife` tables to `target`.
pub fn yaml(
    p: &PolarisPeer,
    local: &str,
    aws: &str,
    catalog: &str,
    target: &str,
    tables: &[&str],
) -> String {
    let mut y = format!(
        "version: 1\nproject: l2ct\nstores:\n  - name: local\n    endpoint: {}\n    access_key: {{env: TEST_S3_KEY}}\n    secret_key: {{env: TEST_S3_SECRET}}\ncatalog:\n  url: {}\n  realm: {}\n  client_id: {}\n  client_secret: {{env: TEST_POLARIS_SECRET}}\n  catalogs:\n    - name: {catalog}\n",
        local, p.url, p.realm, p.root_id
    );
    if !tables.is_empty() {
        y.push_str(&format!(
            "l2c:\n  aws:\n    endpoint: {aws}\n    region: us-east-1\n    bucket: {target}\n  tables:\n"
        ));
        for t in tables {
            y.push_str(&format!(
                "    - {{catalog: {catalog}, namespace: wildlife, table: {t}}}\n"
            ));
        }
    }
    y
}

/// Keys under `prefix` in `bucket` of `server`.
pub fn keys(server: &S3Server, bucket: &str, prefix: &str) -> Vec<String> {
    let out = boto3(
        server,
        &format!(
            "p = s3.get_paginator('list_objects_v2')\nks = [o['Key'] for page in p.paginate(Bucket='{bucket}', Prefix='{prefix}') for o in page.get('Contents', [])]\nprint(json.dumps(ks))"
        ),
    );
    serde_json::from_str(out.trim()).expect("keys")
}

/// Asserts that every path a read reported (data files, manifest lists, manifests, the
/// table's location) is on bucket `target`.
pub fn assert_all_on(target: &str, read: &Value) {
    let on = format!("s3://{target}/");
    for field in ["files", "manifest_lists", "manifests"] {
        let paths = read[field].as_array().expect(field);
        assert!(!paths.is_empty(), "{field}: {read}");
        for p in paths {
            let p = p.as_str().expect("path");
            assert!(p.starts_with(&on), "{field}: {p} is not on {on}");
        }
    }
    assert!(
        read["location"]
            .as_str()
            .is_some_and(|l| l.starts_with(&on)),
        "{read}"
    );
}
