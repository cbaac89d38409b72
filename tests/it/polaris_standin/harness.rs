//! The harness around the stand-in: start-up and the config endpoint, the spec checker
//! flagging an off-spec request, the fault proxy in front, and the foreground script.

use serde_json::{Value, json};

use crate::support::peers::polaris::{polaris, urlencode};
use crate::support::peers::polaris_http::{send, try_send};
use crate::support::peers::polaris_py::cli;
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::unique;

use super::names;

#[test]
fn stand_in_starts_serves_the_prefix_and_reports() {
    let p = polaris();
    let cat = unique("cfg");
    p.create_catalog(&cat);
    let r = p.call(
        &p.root_token(),
        "GET",
        &format!("/api/catalog/v1/config?warehouse={cat}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["overrides"]["prefix"], json!(cat), "{}", r.text);
    assert_eq!(
        r.json()["defaults"]["default-base-location"],
        json!(format!("s3://{cat}"))
    );
    let missing = p.call(&p.root_token(), "GET", "/api/catalog/v1/config", None);
    assert_eq!(missing.status, 400, "{}", missing.text);
    if p.stand_in {
        let startup = p.startup.expect("the stand-in records its start-up");
        eprintln!(
            "polaris stand-in: ready {startup:?} after launch, RSS {} KiB, log {:?}",
            p.rss_kib().unwrap_or_default(),
            p.log
        );
    }
    p.assert_spec_clean("stand_in_starts_serves_the_prefix_and_reports");
}

#[test]
fn spec_checker_flags_an_off_spec_request() {
    let p = polaris();
    if !p.stand_in {
        eprintln!("skipped: a real Polaris has no spec checker");
        return;
    }
    let root = p.root_token();
    let auth = format!("Bearer {root}");
    // `storageType` must be one of S3, GCS, AZURE, FILE and `properties` is required.
    let body = br#"{"catalog":{"name":"off-spec","type":"INTERNAL","storageConfigInfo":{"storageType":"FTP"}}}"#;
    let r = send(
        p.port,
        "POST",
        "/api/management/v1/catalogs",
        &[
            ("Authorization", &auth),
            ("Polaris-Realm", &p.realm),
            ("Content-Type", "application/json"),
            ("X-Forge-Expect-Violation", "request"),
        ],
        Some(body),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let report = p.spec_report().expect("the stand-in reports");
    let flagged: Vec<&Value> = report["expected"]
        .as_array()
        .expect("expected findings")
        .iter()
        .filter(|f| f["path"] == json!("/api/management/v1/catalogs") && f["method"] == "POST")
        .collect();
    assert!(!flagged.is_empty(), "not flagged: {report}");
    let messages = flagged
        .iter()
        .flat_map(|f| f["messages"].as_array().cloned().unwrap_or_default())
        .map(|m| m.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        messages.contains("FTP") && messages.contains("properties"),
        "{messages}"
    );
    p.assert_spec_clean("spec_checker_flags_an_off_spec_request");
}

#[test]
fn faults_between_client_and_polaris_reach_the_client() {
    let p = polaris();
    let proxy = FaultProxy::start(p.port);
    let cat = unique("faultcat");
    p.create_catalog(&cat);
    let list = |port: u16| {
        cli(
            port,
            &p.realm,
            &p.root_id,
            &p.root_secret,
            &["catalogs", "list"],
        )
    };
    // A 503 and a 429 from "the network" reach the CLI as errors; the stand-in never saw them.
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::Status(
            503,
            r#"{"error":{"message":"injected","type":"ServiceUnavailable","code":503}}"#.into(),
        ),
    );
    let failed = list(proxy.port);
    assert!(
        !failed.ok && failed.stderr.contains("ServiceUnavailable: injected"),
        "{failed:?}"
    );
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::TooManyRequests,
    );
    let limited = list(proxy.port);
    assert!(
        !limited.ok && limited.stderr.contains("TooManyRequests"),
        "{limited:?}"
    );
    // A connection cut in the middle of the body is an error, not a short list.
    proxy.add(
        Some("GET"),
        "/api/management/v1/catalogs",
        Some(1),
        Fault::ResetMidBody,
    );
    let auth = format!("Bearer {}", p.root_token());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Polaris-Realm", p.realm.as_str()),
    ];
    let cut = try_send(
        proxy.port,
        "GET",
        "/api/management/v1/catalogs",
        &headers,
        None,
    );
    assert!(
        cut.as_ref().is_err() || cut.as_ref().is_ok_and(|r| r.json().is_null()),
        "a cut body must not parse: {cut:?}"
    );
    // Latency only slows it down; then the same calls work through the proxy.
    proxy.add(
        None,
        "/api/management/v1/catalogs",
        Some(1),
        Fault::Latency(std::time::Duration::from_millis(300)),
    );
    let ok = list(proxy.port);
    assert!(ok.ok, "{ok:?}");
    assert!(names(&ok.objects()).contains(&cat));
    assert!(proxy.count("GET", "/api/management/v1/catalogs") >= 4);
    p.assert_spec_clean("faults_between_client_and_polaris_reach_the_client");
}

#[test]
fn foreground_script_prints_one_ready_line_and_stops_on_sigterm() {
    let p = polaris();
    if !p.stand_in {
        eprintln!("skipped: the foreground script is the stand-in's");
        return;
    }
    // A second stand-in, run as a person would: the script in the foreground, stdout and
    // stderr apart. The guard's stop is the SIGTERM (bash execs the script, which execs Java).
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/polaris-stand-in.sh"
    );
    let dir = crate::support::process::scratch("polaris-foreground");
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let port = crate::support::process::free_port();
    let root = format!("{}:{}", p.root_id, p.root_secret);
    let mut args: Vec<String> = vec![
        "-c".into(),
        format!(
            "exec \"$0\" \"$@\" > '{}' 2> '{}'",
            out.display(),
            err.display()
        ),
        script.into(),
    ];
    args.extend(
        [
            "--port",
            &port.to_string(),
            "--realm",
            "SOLO",
            "--root",
            &root,
            "--s3-endpoint",
            &p.s3.endpoint,
            "--s3-access-key",
            &p.s3.access_key,
            "--s3-secret-key",
            &p.s3.secret_key,
            "--token-lifetime",
            "2",
        ]
        .map(String::from),
    );
    let mut process = crate::support::process::Guarded::spawn(
        "polaris-stand-in (foreground)",
        std::path::Path::new("bash"),
        &args,
        &[],
        &dir,
        dir.join("guard.log"),
    );
    let ready = format!("ready http://127.0.0.1:{port}");
    process.wait_ready(std::time::Duration::from_secs(300), || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains(&ready))
    });
    let health = send(port, "GET", "/_standin/health", &[], None);
    assert_eq!(health.json()["status"], json!("UP"), "{}", health.text);
    // It serves its own realm with the root credentials it was given.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=PRINCIPAL_ROLE%3AALL",
        urlencode(&p.root_id),
        urlencode(&p.root_secret)
    );
    let token = send(
        port,
        "POST",
        "/api/catalog/v1/oauth/tokens",
        &[
            ("Polaris-Realm", "SOLO"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    );
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.json()["expires_in"], json!(2), "{}", token.text);
    let bearer = format!(
        "Bearer {}",
        token.json()["access_token"].as_str().expect("access_token")
    );
    let catalogs = || {
        send(
            port,
            "GET",
            "/api/management/v1/catalogs",
            &[("Authorization", &bearer), ("Polaris-Realm", "SOLO")],
            None,
        )
    };
    assert_eq!(catalogs().status, 200);
    // Tokens expire (--token-lifetime 2): the same call is 401 afterwards.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let expired = catalogs();
    assert_eq!(expired.status, 401, "{}", expired.text);
    assert_eq!(expired.error_type(), "NotAuthorizedException");
    let report = send(port, "GET", "/_standin/spec-report", &[], None).json();
    assert_eq!(report["violations"], json!([]), "{report}");
    assert_eq!(
        report["checks"],
        json!(6),
        "three calls, each checked both ways: {report}"
    );
    let t0 = std::time::Instant::now();
    process.stop();
    let stopped = t0.elapsed();
    let stdout = std::fs::read_to_string(&out).expect("stdout file");
    assert_eq!(stdout, format!("{ready}\n"), "exactly one line on stdout");
    let stderr = std::fs::read_to_string(&err).expect("stderr file");
    assert!(
        stderr.contains("polaris-stand-in: stopped;"),
        "the JVM's shutdown hook ran on SIGTERM:\n{stderr}"
    );
    assert!(
        crate::support::http::get_status(port, "/_standin/health").is_none(),
        "nothing serves on {port} any more"
    );
    eprintln!("foreground stand-in stopped {stopped:?} after SIGTERM");
}
