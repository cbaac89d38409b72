//! `s3_bucket` against moto (AWS) and s3s-fs (RustFS stand-in), checked with boto3.

use crate::support::forge::Project;
use crate::support::servers::{S3Server, boto3, moto, s3s_fs, unique};

fn store(server: &S3Server, name: &str) -> String {
    format!(
        "stores:\n  - name: {name}\n    endpoint: {}\n    path_style: true\n    access_key: {{env: TEST_S3_KEY}}\n    secret_key: {{env: TEST_S3_SECRET}}\n",
        server.endpoint
    )
}

fn run(p: &Project, server: &S3Server, args: &[&str]) -> crate::support::forge::Run {
    let out = p
        .cmd(args)
        .env("TEST_S3_KEY", &server.access_key)
        .env("TEST_S3_SECRET", &server.secret_key)
        .output()
        .expect("forge");
    out.into()
}

#[test]
fn bucket_lifecycle_on_moto_with_drift_and_force_destroy() {
    let s = moto();
    let b = unique("life");
    let yaml = |tags: &str, force: bool| {
        format!(
            "{}buckets:\n  - name: {b}\n    store: aws\n    tags: {tags}\n    versioning: true\n    force_destroy: {force}\n",
            store(s, "aws")
        )
    };
    let p = Project::new(&yaml("{team: data}", false));
    let r = run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert!(
        r.stdout
            .contains(&format!("# s3_bucket.{b} will be created")),
        "{}",
        r.stdout
    );
    assert_eq!(
        boto3(
            s,
            &format!("print(s3.get_bucket_tagging(Bucket='{b}')['TagSet'])")
        ),
        "[{'Key': 'team', 'Value': 'data'}]"
    );
    assert_eq!(
        boto3(
            s,
            &format!("print(s3.get_bucket_versioning(Bucket='{b}').get('Status'))")
        ),
        "Enabled"
    );
    let again = run(&p, s, &["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    // forge.yaml changes a tag: shown as an in-place update, then applied.
    p.write(&yaml("{team: platform}", false));
    let r = run(&p, s, &["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        r.stdout.contains("~ tags.team = \"data\" -> \"platform\""),
        "{}",
        r.stdout
    );
    run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        boto3(
            s,
            &format!("print(s3.get_bucket_tagging(Bucket='{b}')['TagSet'][0]['Value'])")
        ),
        "platform"
    );
    // Someone edits the tags by hand: reported as drift and put back.
    boto3(
        s,
        &format!(
            "s3.put_bucket_tagging(Bucket='{b}', Tagging={{'TagSet': [{{'Key': 'team', 'Value': 'hacked'}}]}})"
        ),
    );
    let r = run(&p, s, &["plan"]).expect_code(0);
    assert!(
        r.stdout
            .contains(&format!("# s3_bucket.{b} has changed outside forge")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("~ tags.team = \"platform\" -> \"hacked\""),
        "{}",
        r.stdout
    );
    run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        boto3(
            s,
            &format!("print(s3.get_bucket_tagging(Bucket='{b}')['TagSet'][0]['Value'])")
        ),
        "platform"
    );
    // A bucket with objects is not deleted without force_destroy.
    boto3(
        s,
        &format!("s3.put_object(Bucket='{b}', Key='data/1.parquet', Body=b'x')"),
    );
    let r = run(&p, s, &["destroy", "--auto-approve"]).expect_code(3);
    assert!(
        r.stdout.contains("is not empty") || r.stderr.contains("is not empty"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(
        boto3(
            s,
            &format!("print(len(s3.list_objects_v2(Bucket='{b}').get('Contents', [])))")
        ),
        "1"
    );
    p.write(&yaml("{team: platform}", true));
    run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    run(&p, s, &["destroy", "--auto-approve"]).expect_code(0);
    assert_eq!(
        boto3(
            s,
            &format!("print('{b}' in [x['Name'] for x in s3.list_buckets()['Buckets']])")
        ),
        "False"
    );
}

#[test]
fn region_and_import_on_moto() {
    let s = moto();
    let b = unique("euro");
    let p = Project::new(&format!(
        "{}buckets:\n  - name: {b}\n    store: aws\n    region: eu-west-1\n",
        store(s, "aws")
    ));
    run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        boto3(
            s,
            &format!("print(s3.get_bucket_location(Bucket='{b}')['LocationConstraint'])")
        ),
        "eu-west-1"
    );
    // A bucket that exists but forge has no record of is imported, never re-created.
    let other = unique("adopt");
    boto3(s, &format!("s3.create_bucket(Bucket='{other}')"));
    p.write(&format!("{}buckets:\n  - name: {b}\n    store: aws\n    region: eu-west-1\n  - name: {other}\n    store: aws\n", store(s, "aws")));
    let r = run(&p, s, &["plan"]).expect_code(0);
    assert!(
        r.stdout
            .contains(&format!("# s3_bucket.{other} will be imported")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Plan: 1 to import"), "{}", r.stdout);
    run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        p.state()["resources"][format!("s3_bucket.{other}")]["status"],
        "ready"
    );
    run(&p, s, &["destroy", "--auto-approve"]).expect_code(0);
}

#[test]
fn bucket_lifecycle_on_s3s_fs_checks_signatures_and_keeps_keys_out_of_output() {
    let s = s3s_fs();
    let b = unique("local");
    let p = Project::new(&format!(
        "{}buckets:\n  - name: {b}\n    store: local\n    tags: {{Name: demo}}\n    force_destroy: true\n",
        store(s, "local")
    ));
    let r = run(&p, s, &["apply", "--auto-approve"]).expect_code(0);
    assert!(!r.stdout.contains(&s.secret_key) && !r.stderr.contains(&s.secret_key));
    assert!(
        s.data_dir.as_ref().expect("data dir").join(&b).is_dir(),
        "s3s-fs holds the bucket on disk"
    );
    // s3s-fs implements no tagging: recorded as unsupported, and no endless diff.
    run(&p, s, &["plan", "--detailed-exitcode"]).expect_code(0);
    let state = std::fs::read_to_string(p.state_path()).expect("state");
    assert!(
        !state.contains(&s.secret_key),
        "keys are referenced, never stored"
    );
    boto3(
        s,
        &format!("s3.put_object(Bucket='{b}', Key='k', Body=b'x')"),
    );
    run(&p, s, &["destroy", "--auto-approve"]).expect_code(0);
    assert!(!s.data_dir.as_ref().expect("data dir").join(&b).exists());
    // Wrong keys: the server refuses, forge says so, and nothing is recorded as created.
    let b2 = unique("badkey");
    let p2 = Project::new(&format!(
        "{}buckets:\n  - name: {b2}\n    store: local\n",
        store(s, "local")
    ));
    let out = p2
        .cmd(&["apply", "--auto-approve"])
        .env("TEST_S3_KEY", &s.access_key)
        .env("TEST_S3_SECRET", "wrong-secret")
        .output()
        .expect("forge");
    let r: crate::support::forge::Run = out.into();
    assert_ne!(r.code, 0);
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("access denied")
            && r.stderr.contains("HTTP 403"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(!r.stdout.contains("wrong-secret") && !r.stderr.contains("wrong-secret"));
}
