//! Errors a user can act on, produced by real conditions (no hand-built errors) and kept
//! as snapshots: no AWS credentials anywhere (empty environment and HOME, the instance
//! metadata service unreachable), an expired SSO session, a wrong secret against s3s-fs,
//! an endpoint that is down, the real kube-apiserver refusing a verb by RBAC, a kind
//! whose CRD is missing. Each prints one cause line and one remedy line; `Run::from`
//! (support) fails any test whose output holds a debug-formatted structure.

use crate::support::forge::{Project, Run};
use crate::support::peers::kube::kube;
use crate::support::servers::{s3s_fs, unique};

/// Paths, ports and generated names in the output, replaced so snapshots are stable.
fn stable(text: &str, extra: &[(&str, &str)]) -> String {
    let mut t = text.to_string();
    for (from, to) in extra {
        t = t.replace(from, to);
    }
    let mut out = String::new();
    for line in t.lines() {
        // `127.0.0.1:PORT` → `127.0.0.1:[PORT]`.
        let mut l = line.to_string();
        while let Some(i) = l.find("127.0.0.1:") {
            let rest = &l[i + 10..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            l = format!("{}127.0.0.1-[PORT]{}", &l[..i], &rest[digits..]);
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The warnings and the error of a plan, without the resource blocks.
fn warnings(r: &Run) -> String {
    let mut keep = Vec::new();
    let mut in_warning = false;
    for line in r.stdout.lines().chain(r.stderr.lines()) {
        if line.starts_with("Warning:") || line.contains("×") || line.starts_with("Error") {
            in_warning = true;
        } else if !line.starts_with(' ') && !line.starts_with('│') {
            in_warning = false;
        }
        if in_warning {
            keep.push(line);
        }
    }
    keep.join("\n")
}

/// `forge ARGS` with nothing of the caller's environment: no AWS variables, an empty HOME.
fn bare(p: &Project, home: &std::path::Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut c = p.cmd(args);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "tester")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "1000")
        // The instance metadata service, unreachable here at once (not after a timeout).
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("forge").into()
}

const AWS_BUCKET: &str = "stores:\n  - name: aws\n    region: eu-west-1\nbuckets:\n  - name: forge-errors-demo\n    store: aws\n";

#[test]
fn no_aws_credentials_is_one_warning_in_plan_and_a_refusal_in_apply() {
    let home = tempfile::tempdir().expect("home");
    let p = Project::new(AWS_BUCKET);
    let plan = bare(&p, home.path(), &["plan"], &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("no_aws_credentials_plan", stable(&warnings(&plan), &[]));
    let apply = bare(&p, home.path(), &["apply", "--auto-approve"], &[]);
    assert_eq!(apply.code, 3);
    let failed: Vec<&str> = apply
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("failed "))
        .collect();
    assert_eq!(failed.len(), 1, "{}", apply.stdout);
    assert!(
        failed[0].contains("no AWS credentials found"),
        "{}",
        apply.stdout
    );
}

#[test]
fn an_expired_sso_session_names_the_login_command() {
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).expect("dirs");
    std::fs::write(
        aws.join("config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    )
    .expect("config");
    // The token cache file of that session, expired (its name is the SHA-1 of the session name).
    let name = sha1_hex(b"corp");
    std::fs::write(
        aws.join(format!("sso/cache/{name}.json")),
        r#"{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z","region":"eu-west-1","startUrl":"https://corp.awsapps.com/start"}"#,
    )
    .expect("cache");
    let p = Project::new(&AWS_BUCKET.replace(
        "    region: eu-west-1\n",
        "    region: eu-west-1\n    profile: dev\n",
    ));
    let plan = bare(&p, home.path(), &["plan"], &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let w = warnings(&plan);
    assert!(w.contains("aws sso login"), "{w}");
    insta::assert_snapshot!("expired_sso_plan", stable(&w, &[]));
}

#[test]
fn a_wrong_secret_and_a_store_that_is_down() {
    let s = s3s_fs();
    let home = tempfile::tempdir().expect("home");
    let b = unique("errkey");
    let yaml = |endpoint: &str| {
        format!(
            "stores:\n  - name: local\n    endpoint: {endpoint}\n    access_key: {{env: K}}\n    secret_key: {{env: S}}\nbuckets:\n  - name: {b}\n"
        )
    };
    let p = Project::new(&yaml(&s.endpoint));
    let wrong = bare(
        &p,
        home.path(),
        &["plan"],
        &[("K", &s.access_key), ("S", "not-the-secret")],
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stdout);
    insta::assert_snapshot!(
        "wrong_secret_plan",
        stable(&wrong.stderr, &[(&b, "[BUCKET]")])
    );
    let down = Project::new(&yaml("http://127.0.0.1:9"));
    let plan = bare(&down, home.path(), &["plan"], &[("K", "a"), ("S", "b")]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!(
        "store_down_plan",
        stable(&warnings(&plan), &[(&b, "[BUCKET]")])
    );
}

#[test]
fn kubernetes_rbac_and_a_missing_crd() {
    let peer = kube();
    let ns = peer.namespace("errrbac");
    // A service account with no role at all, and a kubeconfig that authenticates as it.
    peer.kubectl_ok(&["-n", &ns.name, "create", "serviceaccount", "nobody"]);
    let token = peer.kubectl_ok(&["-n", &ns.name, "create", "token", "nobody"]);
    let server = peer.server.clone();
    let dir = tempfile::tempdir().expect("dir");
    let kc = dir.path().join("kubeconfig");
    let ca = peer
        .ca
        .as_ref()
        .map(|c| format!("    certificate-authority: {}\n", c.display()))
        .unwrap_or_else(|| "    insecure-skip-tls-verify: true\n".into());
    std::fs::write(
        &kc,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: {server}\n{ca}users:\n- name: nobody\n  user:\n    token: {}\ncontexts:\n- name: nobody\n  context: {{cluster: t, user: nobody}}\ncurrent-context: nobody\n", token.trim()),
    )
    .expect("kubeconfig");
    let p = Project::new(&format!(
        "cluster:\n  existing:\n    context: nobody\n    kubeconfig: {}\nstack:\n  rustfs:\n    namespace: {}\n",
        kc.display(),
        ns.name
    ));
    let plan = p.run(&["plan"]);
    assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stderr.contains("HTTP 403"), "{}", plan.stderr);
    insta::assert_snapshot!(
        "rbac_forbidden_plan",
        stable(
            &plan.stderr,
            &[
                (&ns.name, "[NS]"),
                (&kc.display().to_string(), "[KUBECONFIG]")
            ]
        )
    );
}

#[tokio::test]
async fn a_kind_whose_crd_is_missing_says_so() {
    use forge::provider::Resource;
    let peer = kube();
    let spec = forge::providers::kube::manifest::ManifestSpec {
        cluster: forge::providers::kube::client::ClusterRef {
            kubeconfig: Some(peer.kubeconfig.clone()),
            context: None,
        },
        objects: vec![
            serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}),
        ],
        wait: vec![],
        timeout_seconds: Some(30),
        unless_present: None,
    };
    let dir = tempfile::tempdir().expect("dir");
    let ctx =
        forge::provider::Ctx::new(dir.path().to_path_buf(), forge::secret::Secrets::default());
    let e = forge::providers::kube::manifest::KubeManifest::default()
        .read(&ctx, "widgets", &spec, None)
        .await
        .expect_err("the kind is not served");
    let text = format!(
        "{}\nhint: {}",
        forge::render::error_chain(&e),
        e.hint().unwrap_or_default()
    );
    assert!(text.contains("CustomResourceDefinition"), "{text}");
    insta::assert_snapshot!("missing_crd_read", text);
}

/// The SHA-1 of `data` in hex (the AWS tools name SSO cache files so), by Python.
fn sha1_hex(data: &[u8]) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())",
        ])
        .arg(String::from_utf8_lossy(data).as_ref())
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
