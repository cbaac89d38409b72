//! `forge s3 sync` from s3s-fs (the RustFS stand-in) to moto (AWS), checked with boto3,
//! with faults injected by the proxy.

use crate::support::forge::{Project, Run};
use crate::support::proxy::{Fault, FaultProxy};
use crate::support::servers::{S3Server, boto3, moto, s3s_fs, unique};

fn sync(p: &Project, src_endpoint: &str, dst_endpoint: &str, from: &str, to: &str) -> Run {
    sync_with(p, src_endpoint, moto(), dst_endpoint, from, to, &[])
}

/// [`sync`] with `extra` arguments, into `dst` (reached at `dst_endpoint`) with its keys.
fn sync_with(
    p: &Project,
    src_endpoint: &str,
    dst: &S3Server,
    dst_endpoint: &str,
    from: &str,
    to: &str,
    extra: &[&str],
) -> Run {
    let (s, d) = (s3s_fs(), dst);
    let mut args = vec![
        "s3",
        "sync",
        from,
        to,
        "--source-endpoint",
        src_endpoint,
        "--source-access-key-env",
        "SRC_AK",
        "--source-secret-key-env",
        "SRC_SK",
        "--dest-endpoint",
        dst_endpoint,
        "--dest-access-key-env",
        "DST_AK",
        "--dest-secret-key-env",
        "DST_SK",
        "--json",
        // Multipart for anything from 8 MiB, so the tests' objects take that path too.
        "--multipart-threshold-mib",
        "8",
    ];
    args.extend_from_slice(extra);
    p.run_env(
        &args,
        &[
            ("SRC_AK", &s.access_key),
            ("SRC_SK", &s.secret_key),
            ("DST_AK", &d.access_key),
            ("DST_SK", &d.secret_key),
        ],
    )
}

fn report(r: &Run) -> serde_json::Value {
    serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

fn put(server: &S3Server, bucket: &str, objects: &[(&str, usize)]) {
    let list: Vec<String> = objects
        .iter()
        .map(|(k, n)| format!("('{k}', {n})"))
        .collect();
    boto3(
        server,
        &format!(
            "import hashlib\nfor k, n in [{}]:\n    s3.put_object(Bucket='{bucket}', Key=k, Body=(hashlib.sha256(k.encode()).digest() * (n // 32 + 1))[:n])",
            list.join(", ")
        ),
    );
}

fn sizes(server: &S3Server, bucket: &str, prefix: &str) -> String {
    boto3(
        server,
        &format!(
            "p = s3.get_paginator('list_objects_v2')\nprint(sorted((o['Key'], o['Size']) for page in p.paginate(Bucket='{bucket}', Prefix='{prefix}') for o in page.get('Contents', [])))"
        ),
    )
}

#[test]
fn copies_what_is_new_or_resized_with_multipart_for_large_objects() {
    let (s, d) = (s3s_fs(), moto());
    let (sb, db) = (unique("src"), unique("dst"));
    boto3(s, &format!("s3.create_bucket(Bucket='{sb}')"));
    boto3(d, &format!("s3.create_bucket(Bucket='{db}')"));
    let mut objects: Vec<(String, usize)> = (0..40)
        .map(|i| (format!("wildlife/penguins/data/f{i}.parquet"), 1000 + i))
        .collect();
    objects.push((
        "wildlife/penguins/data/big.parquet".into(),
        21 * 1024 * 1024 + 7,
    ));
    let refs: Vec<(&str, usize)> = objects.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    put(s, &sb, &refs);
    let p = Project::new("");
    let r = sync(
        &p,
        &s.endpoint,
        &d.endpoint,
        &format!("s3://{sb}/wildlife/"),
        &format!("s3://{db}/migrated/wildlife/"),
    )
    .expect_code(0);
    let rep = report(&r);
    assert_eq!(rep["report"]["copied"], 41);
    assert_eq!(
        rep["report"]["bytes"].as_u64(),
        Some(objects.iter().map(|o| o.1 as u64).sum())
    );
    // The same objects, sizes and bytes at the destination (the large one through multipart).
    let want = sizes(s, &sb, "wildlife/").replace("'wildlife/", "'migrated/wildlife/");
    assert_eq!(sizes(d, &db, "migrated/"), want);
    let digest = |server: &S3Server, bucket: &str, key: &str| {
        boto3(
            server,
            &format!(
                "import hashlib\nprint(hashlib.sha256(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read()).hexdigest())"
            ),
        )
    };
    assert_eq!(
        digest(s, &sb, "wildlife/penguins/data/big.parquet"),
        digest(d, &db, "migrated/wildlife/penguins/data/big.parquet")
    );
    // Nothing new: nothing copied.
    let rep = report(
        &sync(
            &p,
            &s.endpoint,
            &d.endpoint,
            &format!("s3://{sb}/wildlife/"),
            &format!("s3://{db}/migrated/wildlife/"),
        )
        .expect_code(0),
    );
    assert_eq!(rep["report"]["copied"], 0);
    assert_eq!(rep["plan"]["unchanged"], 41);
    // Two new objects and one resized: exactly those three.
    put(
        s,
        &sb,
        &[
            ("wildlife/penguins/data/new1.parquet", 10),
            ("wildlife/penguins/data/new2.parquet", 20),
            ("wildlife/penguins/data/f3.parquet", 5),
        ],
    );
    let rep = report(
        &sync(
            &p,
            &s.endpoint,
            &d.endpoint,
            &format!("s3://{sb}/wildlife/"),
            &format!("s3://{db}/migrated/wildlife/"),
        )
        .expect_code(0),
    );
    assert_eq!(rep["report"]["copied"], 3);
    assert_eq!(rep["plan"]["unchanged"], 40);
}

#[test]
fn between_two_stores_that_check_signatures_the_direct_path_copies_byte_for_byte() {
    // s3s-fs checks every SigV4 signature (moto checks none): both the direct path's
    // GETs and its PUTs go to it here, with keys, key names and sizes that need care.
    let s = s3s_fs();
    let (sb, db) = (unique("dsrc"), unique("ddst"));
    boto3(
        s,
        &format!("s3.create_bucket(Bucket='{sb}')\ns3.create_bucket(Bucket='{db}')"),
    );
    let objects = [
        ("t/a b+c=ü.parquet", 1000),
        // (With an empty object here the test's boto3 upload took a minute: one byte.)
        ("t/one", 1),
        ("t/mid.parquet", 2 * 1024 * 1024 + 9),
    ];
    put(s, &sb, &objects);
    let rep = report(
        &sync_with(
            &Project::new(""),
            &s.endpoint,
            s,
            &s.endpoint,
            &format!("s3://{sb}/t/"),
            &format!("s3://{db}/t/"),
            &[],
        )
        .expect_code(0),
    );
    assert_eq!(rep["report"]["copied"], 3, "{rep}");
    let digests = |bucket: &str| {
        boto3(
            s,
            &format!(
                "import hashlib\nfor k in ['t/a b+c=ü.parquet', 't/one', 't/mid.parquet']:\n    print(k, hashlib.sha256(s3.get_object(Bucket='{bucket}', Key=k)['Body'].read()).hexdigest())"
            ),
        )
    };
    assert_eq!(digests(&sb), digests(&db));
}

#[test]
fn faults_are_retried_and_a_failing_object_does_not_stop_the_others() {
    faults_case(Path::Direct);
}

#[test]
fn faults_are_retried_and_a_failing_object_does_not_stop_the_others_through_the_sdk() {
    faults_case(Path::Sdk);
}

/// Which data path copies the objects below the multipart threshold.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// forge's own GET and PUT (the default between two plain-HTTP stores).
    Direct,
    /// The AWS SDK (`--no-direct`).
    Sdk,
}

fn faults_case(path: Path) {
    let extra: &[&str] = match path {
        Path::Direct => &[],
        Path::Sdk => &["--no-direct"],
    };
    let (s, d) = (s3s_fs(), moto());
    let (sb, db) = (unique("fsrc"), unique("fdst"));
    boto3(s, &format!("s3.create_bucket(Bucket='{sb}')"));
    boto3(d, &format!("s3.create_bucket(Bucket='{db}')"));
    let mut objects: Vec<(String, usize)> = (0..12)
        .map(|i| (format!("t/data/f{i}"), 2000 + i))
        .collect();
    objects.push(("t/data/large".into(), 9 * 1024 * 1024 + 3));
    // Below the multipart threshold but large enough for the direct path's kernel relay.
    objects.push(("t/data/mid".into(), 3 * 1024 * 1024 + 5));
    let refs: Vec<(&str, usize)> = objects.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    put(s, &sb, &refs);
    let src_proxy = FaultProxy::start(s.port);
    let dst_proxy = FaultProxy::start(d.port);
    // Passing faults: a body cut mid-way, S3 throttling, a 500.
    src_proxy.add(
        Some("GET"),
        &format!("/{sb}/t/data/f1"),
        Some(1),
        Fault::ResetMidBody,
    );
    dst_proxy.add(
        Some("PUT"),
        &format!("/{db}/t/data/f2"),
        Some(2),
        Fault::SlowDown,
    );
    dst_proxy.add(
        Some("PUT"),
        &format!("/{db}/t/data/f3"),
        Some(1),
        Fault::Status(
            500,
            "<Error><Code>InternalError</Code><Message>injected</Message></Error>".into(),
        ),
    );
    // The large object's stream is cut: the copy resumes from where it broke.
    src_proxy.add(
        Some("GET"),
        &format!("/{sb}/t/data/large"),
        Some(1),
        Fault::ResetMidBody,
    );
    // Its first part is refused once: sent again from its own ranged GET while the
    // stream goes on with the next part.
    dst_proxy.add(
        Some("PUT"),
        &format!("/{db}/t/data/large"),
        Some(1),
        Fault::Status(
            500,
            "<Error><Code>InternalError</Code><Message>injected</Message></Error>".into(),
        ),
    );
    // The mid-size object's stream is cut: resumed from where it broke into the same PUT.
    src_proxy.add(
        Some("GET"),
        &format!("/{sb}/t/data/mid"),
        Some(1),
        Fault::ResetMidBody,
    );
    // A fault that does not pass: the source keeps failing for f5.
    src_proxy.add(
        Some("GET"),
        &format!("/{sb}/t/data/f5"),
        None,
        Fault::Status(
            500,
            "<Error><Code>InternalError</Code><Message>injected</Message></Error>".into(),
        ),
    );
    let p = Project::new("");
    let r = sync_with(
        &p,
        &src_proxy.endpoint(),
        d,
        &dst_proxy.endpoint(),
        &format!("s3://{sb}/t/"),
        &format!("s3://{db}/t/"),
        extra,
    )
    .expect_code(3);
    let rep = report(&r);
    assert_eq!(rep["report"]["copied"], 13, "{rep}");
    assert_eq!(rep["report"]["failed"][0][0], "data/f5");
    assert!(
        src_proxy.count("GET", &format!("/{sb}/t/data/f1")) >= 2,
        "the cut body was fetched again"
    );
    assert!(
        src_proxy.count("GET", &format!("/{sb}/t/data/large")) >= 2,
        "the cut stream was resumed"
    );
    assert!(
        dst_proxy.count("PUT", &format!("/{db}/t/data/large")) >= 3,
        "the refused part was sent again"
    );
    // The cut GET and its resumption, feeding one PUT.
    assert_eq!(src_proxy.count("GET", &format!("/{sb}/t/data/mid")), 2);
    assert_eq!(dst_proxy.count("PUT", &format!("/{db}/t/data/mid")), 1);
    // Which path made the whole-object calls: forge's own requests, or the SDK's.
    let agents = src_proxy.agents("GET", &format!("/{sb}/t/data/f"));
    let agents = [
        agents,
        dst_proxy.agents("PUT", &format!("/{db}/t/data/mid")),
    ]
    .concat();
    let want = match path {
        Path::Direct => "forge/",
        Path::Sdk => "aws-sdk-rust/",
    };
    assert!(
        !agents.is_empty() && agents.iter().all(|a| a.starts_with(want)),
        "{agents:?}"
    );
    let digest = |server: &S3Server, bucket: &str, key: &str| {
        boto3(
            server,
            &format!(
                "import hashlib\nprint(hashlib.sha256(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read()).hexdigest())"
            ),
        )
    };
    for key in ["t/data/large", "t/data/mid"] {
        assert_eq!(
            digest(s, &sb, key),
            digest(d, &db, key),
            "the resumed copy of {key} is byte for byte the source"
        );
    }
    // The store recovers: the next run copies only what is missing.
    src_proxy.clear();
    let rep = report(
        &sync_with(
            &p,
            &src_proxy.endpoint(),
            d,
            &dst_proxy.endpoint(),
            &format!("s3://{sb}/t/"),
            &format!("s3://{db}/t/"),
            extra,
        )
        .expect_code(0),
    );
    assert_eq!(rep["report"]["copied"], 1);
    assert_eq!(sizes(d, &db, "t/"), sizes(s, &sb, "t/"));
}
