//! Encrypted state through the real binary: no secret value anywhere in the backend's
//! bytes (every object and version in the bucket, every file of `.forge/`), the
//! header readable, `forge state list` naming the missing passphrase, the wrong
//! passphrase refused with nothing changed, and the commands that rotate the
//! passphrase and turn encryption off and on.

use super::{bucket, flat, objects, s3_env, s3_yaml};
use crate::support::forge::{Project, Run};
use crate::support::servers::moto;

const SECRET: &str = "db-password-7d41e2c9";

fn has(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A local file whose content (so its spec in state) and a sensitive output hold `SECRET`.
const RESOURCES: &str = "files:\n  - name: creds\n    path: creds.txt\n    content: \"password=${env:DB_PASSWORD}\"\noutputs:\n  db:\n    value: \"${env:DB_PASSWORD}\"\n    sensitive: true\n";

fn run(p: &Project, args: &[&str], env: &[(&str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_env(args, &env)
}

#[test]
fn encrypted_s3_state_holds_no_secret_names_its_passphrase_and_refuses_a_wrong_one_changing_nothing()
 {
    let s = moto();
    let b = bucket(s, true);
    let enc = |var: &str| format!("  encryption:\n    passphrase: {{env: {var}}}\n");
    let p =
        Project::new(&(s3_yaml(s, &b, "forge.json", &enc("FORGE_STATE_PASSPHRASE")) + RESOURCES));
    let mut env = s3_env(s);
    env.push(("DB_PASSWORD", SECRET.into()));
    let right = (
        "FORGE_STATE_PASSPHRASE",
        "correct horse battery staple".to_string(),
    );
    let with = |extra: &[(&'static str, String)]| {
        let mut e = env.clone();
        e.extend(extra.iter().cloned());
        e
    };
    run(
        &p,
        &["apply", "--auto-approve"],
        &with(std::slice::from_ref(&right)),
    )
    .expect_code(0);
    assert!(
        std::fs::read_to_string(p.path().join("creds.txt"))
            .expect("file")
            .contains(SECRET)
    );
    let before = objects(s, &b);
    assert!(
        before.len() >= 2,
        "state versions and lock: {:?}",
        before.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (key, bytes) in &before {
        assert!(!has(bytes, SECRET), "{key} holds the secret in clear");
    }
    let state = &before
        .iter()
        .find(|(k, _)| k == "forge.json")
        .expect("state object")
        .1;
    let envelope: serde_json::Value = serde_json::from_slice(state).expect("json");
    assert!(
        envelope["forge_state"]["serial"]
            .as_u64()
            .is_some_and(|s| s > 0),
        "{envelope}"
    );
    assert_eq!(
        envelope["encryption"]["passphrase"],
        "env FORGE_STATE_PASSPHRASE"
    );
    // Without the passphrase: what the state is, and which passphrase it needs.
    let list = run(&p, &["state", "list"], &env).expect_code(1);
    assert!(
        flat(&list.stderr).contains("is encrypted (lineage"),
        "{}",
        list.stderr
    );
    assert!(
        flat(&list.stderr).contains("with the passphrase from env FORGE_STATE_PASSPHRASE"),
        "{}",
        list.stderr
    );
    assert!(
        flat(&list.stderr).contains("`FORGE_STATE_PASSPHRASE` is not set"),
        "{}",
        list.stderr
    );
    // The wrong passphrase: a clear error, and not one byte changed (no lock left either).
    let wrong = run(
        &p,
        &["apply", "--auto-approve"],
        &with(&[("FORGE_STATE_PASSPHRASE", "wrong".into())]),
    )
    .expect_code(1);
    assert!(
        flat(&wrong.stderr).contains("does not decrypt the state"),
        "{}",
        wrong.stderr
    );
    assert!(
        flat(&wrong.stderr).contains("nothing was changed"),
        "{}",
        wrong.stderr
    );
    // (The refused run took and released the lock, which adds versions of the lock
    // object in a versioned bucket; the state's versions are untouched.)
    let state_only = |o: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        o.into_iter()
            .filter(|(k, _)| !k.ends_with(".lock"))
            .collect()
    };
    assert!(
        state_only(objects(s, &b)) == state_only(before.clone()),
        "the state's objects are exactly as they were"
    );
    let listed = run(&p, &["state", "list"], &with(std::slice::from_ref(&right))).expect_code(0);
    assert_eq!(listed.stdout.trim(), "local_file.creds");
    assert!(
        flat(&listed.stderr).contains(", encrypted"),
        "{}",
        listed.stderr
    );
    // Rotate: forge.yaml names the new passphrase, the old one is given once.
    p.write(&(s3_yaml(s, &b, "forge.json", &enc("NEW_PASSPHRASE")) + RESOURCES));
    let new = ("NEW_PASSPHRASE", "a brand new passphrase".to_string());
    run(
        &p,
        &[
            "state",
            "rekey",
            "--old-passphrase-env",
            "FORGE_STATE_PASSPHRASE",
        ],
        &with(&[right.clone(), new.clone()]),
    )
    .expect_code(0);
    run(
        &p,
        &["plan", "--detailed-exitcode"],
        &with(std::slice::from_ref(&new)),
    )
    .expect_code(0);
    let old = run(&p, &["plan"], &with(&[("NEW_PASSPHRASE", right.1.clone())])).expect_code(1);
    assert!(
        flat(&old.stderr).contains("does not decrypt"),
        "{}",
        old.stderr
    );
    // Off: remove `encryption`, decrypt with the passphrase it had.
    p.write(&(s3_yaml(s, &b, "forge.json", "") + RESOURCES));
    let locked = run(&p, &["plan"], &env).expect_code(1);
    assert!(
        flat(&locked.stderr).contains("forge.yaml gives no passphrase"),
        "{}",
        locked.stderr
    );
    run(
        &p,
        &["state", "decrypt", "--old-passphrase-env", "NEW_PASSPHRASE"],
        &with(std::slice::from_ref(&new)),
    )
    .expect_code(0);
    run(&p, &["plan", "--detailed-exitcode"], &env).expect_code(0);
    // On again: forge.yaml asks, the plain state is refused until `forge state encrypt`.
    p.write(&(s3_yaml(s, &b, "forge.json", &enc("FORGE_STATE_PASSPHRASE")) + RESOURCES));
    let plain = run(&p, &["plan"], &with(std::slice::from_ref(&right))).expect_code(1);
    assert!(
        flat(&plain.stderr).contains("run `forge state encrypt`"),
        "{}",
        plain.stderr
    );
    run(
        &p,
        &["state", "encrypt"],
        &with(std::slice::from_ref(&right)),
    )
    .expect_code(0);
    run(
        &p,
        &["plan", "--detailed-exitcode"],
        &with(std::slice::from_ref(&right)),
    )
    .expect_code(0);
    let latest = objects(s, &b);
    let current = &latest
        .iter()
        .find(|(k, _)| k == "forge.json")
        .expect("state")
        .1;
    assert!(
        !has(current, SECRET),
        "the latest version is encrypted again"
    );
    run(&p, &["destroy", "--auto-approve"], &with(&[right])).expect_code(0);
}

#[test]
fn encrypted_local_state_holds_no_secret_in_any_file_of_the_work_dir() {
    let p = Project::new(&format!(
        "backend:\n  encryption:\n    passphrase: {{file: pass.txt}}\n{RESOURCES}"
    ));
    std::fs::write(p.path().join("pass.txt"), "file passphrase\n").expect("passphrase file");
    let env = vec![("DB_PASSWORD", SECRET.to_string())];
    run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    std::fs::write(
        p.path().join("forge.yaml"),
        std::fs::read_to_string(p.path().join("forge.yaml"))
            .expect("yaml")
            .replace("password=", "pw="),
    )
    .expect("edit");
    run(&p, &["apply", "--auto-approve"], &env).expect_code(0);
    let files: Vec<_> = std::fs::read_dir(p.path().join(".forge"))
        .expect(".forge")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("state.json.backup")),
        "{files:?}"
    );
    for f in &files {
        assert!(
            !has(&std::fs::read(f).expect("read"), SECRET),
            "{} holds the secret",
            f.display()
        );
    }
    let out = run(&p, &["output", "db", "--show-sensitive"], &env).expect_code(0);
    assert_eq!(out.stdout.trim(), SECRET);
}
