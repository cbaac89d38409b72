//! The conformance check of every implemented kind against its test server
//! ([`forge::provider::conformance`]): create, no-op plan, create again (adoption),
//! delete, absent. A new kind joins with one test below.

use std::path::{Path, PathBuf};

use forge::provider::conformance::{check, check_read_only};
use forge::provider::{Ctx, Resource};
use forge::providers::aws::{BucketSpec, S3Bucket, StoreSpec};
use forge::providers::k3d::{ClusterSpec, K3dCluster, Ports};
use forge::providers::kube::client::ClusterRef;
use forge::providers::kube::context::{ContextSpec, KubeContext};
use forge::providers::kube::manifest::{KubeManifest, ManifestSpec};
use forge::providers::local_file::{FileSpec, LocalFileResource};
use forge::secret::{SecretSpec, Secrets};
use serde_json::json;

use crate::support::peers::kube::kube;
use crate::support::servers::{S3Server, moto, s3s_fs, unique};

fn ctx(dir: &Path) -> Ctx {
    Ctx::new(dir.to_path_buf(), Secrets::default())
}

/// Runs the check and fails the test with the violation, its causes on one line.
async fn conforms<R: Resource>(r: &R, dir: &Path, name: &str, spec: R::Spec)
where
    R::State: std::fmt::Debug,
{
    if let Err(v) = check(r, &ctx(dir), name, &spec).await {
        panic!(
            "{} `{name}` breaks the contract: {}",
            R::KIND,
            forge::render::error_chain(&v)
        );
    }
}

/// A bucket spec on `server`, its keys given by file (as `{file: ...}` in forge.yaml).
fn bucket(server: &S3Server, dir: &Path) -> (String, BucketSpec) {
    let name = unique("conf");
    let ak = Some(SecretSpec::File(write(dir, "ak", &server.access_key)));
    let sk = Some(SecretSpec::File(write(dir, "sk", &server.secret_key)));
    let spec = BucketSpec {
        bucket: name.clone(),
        store: StoreSpec {
            endpoint: Some(server.endpoint.clone()),
            region: Some("us-east-1".into()),
            profile: None,
            path_style: Some(true),
            access_key: ak,
            secret_key: sk,
        },
        tags: [("owner".to_string(), "conformance".to_string())].into(),
        versioning: None,
        force_destroy: false,
    };
    (name, spec)
}

#[tokio::test]
async fn s3_bucket_on_moto() {
    let dir = tempfile::tempdir().expect("tmp");
    let (name, spec) = bucket(moto(), dir.path());
    conforms(&S3Bucket::new(), dir.path(), &name, spec).await;
}

#[tokio::test]
async fn s3_bucket_on_s3s_fs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (name, spec) = bucket(s3s_fs(), dir.path());
    conforms(&S3Bucket::new(), dir.path(), &name, spec).await;
}

#[tokio::test]
async fn local_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = FileSpec {
        path: dir.path().join("out/creds.txt"),
        content: "client_id=abc\n".into(),
        mode: "0600".into(),
    };
    conforms(&LocalFileResource, dir.path(), "creds", spec).await;
}

#[tokio::test]
async fn kube_manifest_on_the_real_api_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let ns = peer.namespace("conf");
    let spec = ManifestSpec {
        cluster: ClusterRef {
            kubeconfig: Some(peer.kubeconfig.clone()),
            context: None,
        },
        objects: vec![serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "conf", "namespace": ns.name},
            "data": {"greeting": "hello"},
        })],
        wait: vec![],
        timeout_seconds: Some(60),
        unless_present: None,
    };
    conforms(&KubeManifest::default(), dir.path(), &unique("conf"), spec).await;
}

#[tokio::test]
async fn kube_context_is_read_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let context = String::from_utf8_lossy(&peer.kubectl(&["config", "current-context"]).stdout)
        .trim()
        .to_string();
    let spec = ContextSpec {
        context: context.clone(),
        kubeconfig: Some(peer.kubeconfig.clone()),
    };
    if let Err(v) = check_read_only(&KubeContext, &ctx(dir.path()), &context, &spec).await {
        panic!(
            "kube_context breaks the contract: {}",
            forge::render::error_chain(&v)
        );
    }
}

#[tokio::test]
async fn k3d_cluster_with_the_fake_k3d() {
    let dir = tempfile::tempdir().expect("tmp");
    let peer = kube();
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bin");
    // The fake k3d takes its knobs from the environment: a wrapper sets them.
    let wrapper = dir.path().join("k3d");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexport FAKE_K3D_STATE={state}\nexport FAKE_K3D_SCHEMA={schema}\nexport FAKE_K3D_KUBECONFIG={kc}\nexec python3 {fake} \"$@\"\n",
            state = dir.path().join("k3d-state.json").display(),
            schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/specs/k3d/k3d-v1alpha5-schema.json"),
            kc = peer.kubeconfig.display(),
            fake = support.join("k3d").display(),
        ),
    )
    .expect("wrapper");
    make_executable(&wrapper);
    let name = unique("conf");
    let spec = ClusterSpec {
        name: name.clone(),
        k3s_version: "v1.35.1-k3s1".into(),
        servers: 1,
        agents: 0,
        runtime: "docker".into(),
        podman_machine: "k3d".into(),
        ports: Ports {
            s3: 19000,
            console: 19001,
            polaris: 18181,
        },
        kubeconfig: dir.path().join(".kube/config"),
        update_default_kubeconfig: false,
    };
    let k3d = K3dCluster {
        program: Some(wrapper.display().to_string()),
    };
    conforms(&k3d, dir.path(), &name, spec).await;
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The connection to the test Polaris, root's secret read from a file.
fn polaris_conn(dir: &Path) -> forge::providers::polaris::Connection {
    let peer = crate::support::peers::polaris::polaris();
    forge::providers::polaris::Connection {
        url: peer.url.clone(),
        realm: peer.realm.clone(),
        client_id: peer.root_id.clone(),
        client_secret: SecretSpec::File(write(dir, "root-secret", &peer.root_secret)),
    }
}

/// A catalog made outside forge, for the kinds that live in one.
fn polaris_catalog() -> String {
    let name = unique("confcat");
    crate::support::peers::polaris::polaris().create_catalog(&name);
    name
}

#[tokio::test]
async fn polaris_kinds_on_the_stand_in() {
    use forge::providers::polaris::*;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let conn = polaris_conn(d);
    let peer = crate::support::peers::polaris::polaris();
    let clients = client::Clients::default();
    let u = unique("conf").replace('-', "_");

    let bucket = unique("confcatb");
    crate::support::servers::boto3(peer.s3, &format!("s3.create_bucket(Bucket='{bucket}')"));
    let catalog = CatalogSpec {
        polaris: conn.clone(),
        name: bucket.clone(),
        properties: [(
            "default-base-location".to_string(),
            format!("s3://{bucket}"),
        )]
        .into(),
        storage: StorageSpec {
            storage_type: "S3".into(),
            allowed_locations: vec![format!("s3://{bucket}")],
            endpoint: Some(peer.s3.endpoint.clone()),
            endpoint_internal: None,
            region: "us-east-1".into(),
            path_style_access: true,
            sts_unavailable: true,
        },
    };
    conforms(&PolarisCatalog::new(clients.clone()), d, &bucket, catalog).await;

    let role = PrincipalRoleSpec {
        polaris: conn.clone(),
        name: format!("{u}_pr"),
    };
    conforms(
        &PolarisPrincipalRole::new(clients.clone()),
        d,
        &role.name.clone(),
        role,
    )
    .await;

    let principal = PrincipalSpec {
        polaris: conn.clone(),
        name: format!("{u}_p"),
        realm: peer.realm.clone(),
        credentials_file: None,
        rotate: None,
    };
    conforms(
        &PolarisPrincipal::new(clients.clone()),
        d,
        &principal.name.clone(),
        principal,
    )
    .await;

    let cat = polaris_catalog();
    let cr = CatalogRoleSpec {
        polaris: conn.clone(),
        catalog: cat.clone(),
        name: format!("{u}_cr"),
    };
    conforms(&PolarisCatalogRole::new(clients.clone()), d, "cr", cr).await;

    let ns = NamespaceSpec {
        polaris: conn.clone(),
        catalog: cat.clone(),
        namespace: vec!["wild".into(), "life".into()],
        properties: [("owner".to_string(), "forge".to_string())].into(),
    };
    // The parent level first: a nested namespace needs it.
    let parent = NamespaceSpec {
        namespace: vec!["wild".into()],
        properties: Default::default(),
        ..ns.clone()
    };
    let parent_kind = PolarisNamespace::new(clients.clone());
    let made = forge::provider::Resource::apply(
        &parent_kind,
        &ctx(d),
        "p",
        &parent,
        None,
        forge::provider::Action::Create,
    )
    .await
    .expect("parent namespace");
    conforms(&PolarisNamespace::new(clients.clone()), d, "ns", ns).await;

    // A table, in a namespace of its own, filled with the built-in penguins.
    let tabs = NamespaceSpec {
        namespace: vec!["tabs".into()],
        properties: Default::default(),
        ..parent.clone()
    };
    let tabs_made = forge::provider::Resource::apply(
        &parent_kind,
        &ctx(d),
        "tabs",
        &tabs,
        None,
        forge::provider::Action::Create,
    )
    .await
    .expect("table namespace");
    let table = TableSpec {
        polaris: conn.clone(),
        catalog: cat.clone(),
        namespace: vec!["tabs".into()],
        name: "penguins".into(),
        dataset: Dataset::resolve("penguins", d).expect("built in"),
        storage: TableStorage {
            endpoint: Some(peer.s3.endpoint.clone()),
            region: "us-east-1".into(),
            path_style: true,
            access_key: SecretSpec::File(write(d, "s3-key", &peer.s3.access_key)),
            secret_key: SecretSpec::File(write(d, "s3-secret", &peer.s3.secret_key)),
        },
    };
    conforms(&PolarisTable::new(clients.clone()), d, "t", table).await;
    forge::provider::Resource::delete(&parent_kind, &ctx(d), "tabs", &tabs, &tabs_made)
        .await
        .expect("drop the table namespace");

    // Assignments and grants need their role and grantee to exist.
    let pr = format!("{u}_pr2");
    let p = format!("{u}_p2");
    let crn = format!("{u}_cr2");
    let token = peer.root_token();
    for (path, body) in [
        (
            "/api/management/v1/principal-roles".to_string(),
            json!({"principalRole": {"name": pr}}),
        ),
        (
            "/api/management/v1/principals".to_string(),
            json!({"principal": {"name": p}}),
        ),
        (
            format!("/api/management/v1/catalogs/{cat}/catalog-roles"),
            json!({"catalogRole": {"name": crn}}),
        ),
    ] {
        let r = peer.call(&token, "POST", &path, Some(&body));
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }
    let a = PrincipalRoleAssignmentSpec {
        polaris: conn.clone(),
        principal: p.clone(),
        principal_role: pr.clone(),
    };
    conforms(
        &PolarisPrincipalRoleAssignment::new(clients.clone()),
        d,
        "pa",
        a,
    )
    .await;
    let a = CatalogRoleAssignmentSpec {
        polaris: conn.clone(),
        principal_role: pr.clone(),
        catalog: cat.clone(),
        catalog_role: crn.clone(),
    };
    conforms(
        &PolarisCatalogRoleAssignment::new(clients.clone()),
        d,
        "ca",
        a,
    )
    .await;
    let mut g = GrantsSpec {
        polaris: conn.clone(),
        catalog: cat.clone(),
        catalog_role: crn.clone(),
        grants: vec![
            Grant::Catalog {
                privilege: forge::config::model::CatalogPrivilege::CATALOG_MANAGE_CONTENT,
            },
            Grant::Namespace {
                namespace: vec!["wild".into()],
                privilege: forge::config::model::CatalogPrivilege::TABLE_READ_DATA,
            },
        ],
    };
    g.normalize();
    conforms(&PolarisGrants::new(clients.clone()), d, "g", g).await;
    forge::provider::Resource::delete(&parent_kind, &ctx(d), "p", &parent, &made)
        .await
        .expect("drop parent");
    peer.assert_spec_clean("conformance of the Polaris kinds");
}

/// The AWS account on moto, its keys given by file, IAM and STS on moto's endpoint.
fn moto_account(dir: &Path) -> StoreSpec {
    let (_, spec) = bucket(moto(), dir);
    spec.store
}

#[tokio::test]
async fn iam_kinds_on_moto() {
    use forge::providers::aws::{
        IamPolicy, IamPolicySpec, IamRole, IamRoleSpec, IamRoleTrust, IamRoleTrustSpec,
    };
    let dir = tempfile::tempdir().expect("tmp");
    let aws = moto_account(dir.path());
    let tags: std::collections::BTreeMap<String, String> =
        [("managed-by".to_string(), "forge".to_string())].into();
    let name = unique("conf-iam");
    let policy = IamPolicySpec {
        name: name.clone(),
        aws: aws.clone(),
        bucket: name.clone(),
        tags: tags.clone(),
    };
    conforms(&IamPolicy::default(), dir.path(), &name, policy.clone()).await;

    // The role needs its policy; the trust needs its role.
    let made = IamPolicy::default()
        .apply(
            &ctx(dir.path()),
            &name,
            &policy,
            None,
            forge::provider::Action::Create,
        )
        .await
        .expect("policy for the role");
    let role = IamRoleSpec {
        name: name.clone(),
        aws: aws.clone(),
        policy_arn: made.arn.clone(),
        tags,
    };
    conforms(&IamRole::default(), dir.path(), &name, role.clone()).await;
    let made_role = IamRole::default()
        .apply(
            &ctx(dir.path()),
            &name,
            &role,
            None,
            forge::provider::Action::Create,
        )
        .await
        .expect("role for the trust");
    let trust = IamRoleTrustSpec {
        aws,
        role: name.clone(),
        iam_user_arn: "arn:aws:iam::123456789012:user/snowflake-test".into(),
        external_id: made_role
            .external_id
            .clone()
            .expect("a new role has an external id"),
    };
    conforms(&IamRoleTrust::default(), dir.path(), &name, trust).await;
}

/// The Snowflake kinds on the emulator, through a `connections.toml` of the test's own
/// (key-pair auth). The role's grants need its database, schema, volume and integration,
/// so those are made first and dropped last.
#[tokio::test]
async fn snowflake_kinds_on_the_emulator() {
    use forge::provider::Action;
    use forge::providers::snowflake::client::Clients;
    use forge::providers::snowflake::connections::Lookup;
    use forge::providers::snowflake::{
        CatalogIntegrationSpec, Connection, DatabaseSpec, ExternalVolumeSpec, RoleSpec, SchemaSpec,
        SnowflakeCatalogIntegration, SnowflakeDatabase, SnowflakeExternalVolume, SnowflakeRole,
        SnowflakeSchema,
    };
    let emu = crate::support::snowflake::snowflake();
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "connections.toml",
        &format!(
            "[emu]\naccount = \"{}\"\nuser = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nprotocol = \"http\"\nauthenticator = \"SNOWFLAKE_JWT\"\nprivate_key_file = \"{}\"\n",
            emu.account,
            emu.user,
            emu.port,
            emu.private_key.display()
        ),
    );
    let clients = Clients::with_lookup(Lookup::in_dir(dir.path()));
    let conn = Connection {
        connection: Some("emu".into()),
        admin_role: "ACCOUNTADMIN".into(),
    };
    let base = unique("CONF_SF").replace('-', "_");
    let cx = ctx(dir.path());

    let volume = SnowflakeExternalVolume::new(clients.clone());
    let volume_spec = ExternalVolumeSpec {
        snowflake: conn.clone(),
        name: base.clone(),
        bucket: base.to_lowercase().replace('_', "-"),
        role_arn: "arn:aws:iam::123456789012:role/conformance".into(),
        external_id: "forge-conformance".into(),
    };
    conforms(&volume, dir.path(), &base, volume_spec.clone()).await;
    let integration = SnowflakeCatalogIntegration::new(clients.clone());
    let integration_spec = CatalogIntegrationSpec {
        snowflake: conn.clone(),
        name: base.clone(),
    };
    conforms(&integration, dir.path(), &base, integration_spec.clone()).await;
    let database = SnowflakeDatabase::new(clients.clone());
    let database_spec = DatabaseSpec {
        snowflake: conn.clone(),
        name: format!("{base}_DB"),
    };
    conforms(&database, dir.path(), &base, database_spec.clone()).await;

    // What the schema and the role need, made for them.
    let made_db = database
        .apply(&cx, &base, &database_spec, None, Action::Create)
        .await
        .expect("database for the schema");
    let schema = SnowflakeSchema::new(clients.clone());
    let schema_spec = SchemaSpec {
        snowflake: conn.clone(),
        database: database_spec.name.clone(),
        name: "L2C".into(),
    };
    conforms(&schema, dir.path(), &base, schema_spec.clone()).await;
    let made_schema = schema
        .apply(&cx, &base, &schema_spec, None, Action::Create)
        .await
        .expect("schema for the role");
    let made_volume = volume
        .apply(&cx, &base, &volume_spec, None, Action::Create)
        .await
        .expect("volume for the role");
    let made_integration = integration
        .apply(&cx, &base, &integration_spec, None, Action::Create)
        .await
        .expect("integration for the role");
    let role_spec = RoleSpec {
        snowflake: conn.clone(),
        name: base.clone(),
        user: None,
        database: database_spec.name.clone(),
        schema: "L2C".into(),
        external_volume: base.clone(),
        catalog_integration: base.clone(),
    };
    conforms(
        &SnowflakeRole::new(clients.clone()),
        dir.path(),
        &base,
        role_spec,
    )
    .await;

    integration
        .delete(&cx, &base, &integration_spec, &made_integration)
        .await
        .expect("drop the integration");
    volume
        .delete(&cx, &base, &volume_spec, &made_volume)
        .await
        .expect("drop the volume");
    schema
        .delete(&cx, &base, &schema_spec, &made_schema)
        .await
        .expect("drop the schema");
    database
        .delete(&cx, &base, &database_spec, &made_db)
        .await
        .expect("drop the database");
}
