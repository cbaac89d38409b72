//! The backend conformance check: the contract of [`StateBackend`] and of the
//! [`StateStore`] on top of it, exercised against a real store (Terraform's
//! `statemgr.TestFull`). Every backend runs this one function from the integration
//! tests — local in a temp dir, S3 on moto and on s3s-fs, Kubernetes on the real API
//! server — each with a fresh, empty place:
//!
//! 1. empty: nothing to read, nothing kept, nobody holds the lock;
//! 2. a run locks, and a second run is refused at once, naming the first; with a
//!    timeout it waits, and gets the lock once the first releases it;
//! 3. the first save creates the state, a reader sees it whole (lineage, serial);
//! 4. writes are conditional: a stale version or a create over an existing state is a
//!    [`BackendError::Conflict`] and changes nothing;
//! 5. the next run reads what the last wrote; its save keeps the version it replaces
//!    where [`StateBackend::previous`] finds it (a `.backup`, or the bucket's versions);
//! 6. a 3 MiB state (larger than a Kubernetes object may be) round-trips;
//! 7. encrypted: no secret value in the stored bytes, the header readable, the wrong
//!    passphrase refused with nothing changed, the right one reads it back;
//! 8. force-unlock: a wrong ID is refused and the lock stays; the right ID frees it for
//!    the next run, and the old holder, if it was alive after all, cannot overwrite what
//!    the next run wrote (a local OS lock has nothing to force, and says so).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{BackendError, Expect, StateBackend};
use super::lock::LockError;
use super::{Passphrase, Sealing, StateStore, StoreError, encrypted_header};

/// Where the contract broke.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    /// A call failed that should have worked.
    #[error("step {step}: {source}")]
    Call {
        /// The step.
        step: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A call answered, but not what the contract says.
    #[error("step {step}: expected {expected}, got {got}")]
    Unexpected {
        /// The step.
        step: &'static str,
        /// What the contract says.
        expected: &'static str,
        /// What happened.
        got: String,
    },
}

fn call<T, E: std::error::Error + Send + Sync + 'static>(
    step: &'static str,
    r: Result<T, E>,
) -> Result<T, Violation> {
    r.map_err(|e| Violation::Call {
        step,
        source: Box::new(e),
    })
}

fn expect(
    step: &'static str,
    expected: &'static str,
    ok: bool,
    got: impl std::fmt::Debug,
) -> Result<(), Violation> {
    if ok {
        Ok(())
    } else {
        Err(Violation::Unexpected {
            step,
            expected,
            got: format!("{got:?}"),
        })
    }
}

/// The secret the encrypted steps put in state and look for in the stored bytes.
pub const SECRET: &str = "conformance-secret-5f3a9c";

/// Runs the whole check. `make` opens the same (initially empty) place as a new
/// backend each time, as another process would.
pub fn check(make: &dyn Fn() -> Arc<dyn StateBackend>) -> Result<(), Violation> {
    let sealing = Sealing::default();
    // 1. Empty.
    let b = make();
    expect(
        "1 empty",
        "no state",
        call("1 read", b.read())?.is_none(),
        "a state",
    )?;
    expect(
        "1 empty",
        "nothing kept",
        call("1 previous", b.previous())?.is_none(),
        "a previous version",
    )?;
    // 2. Locking.
    let mut first = call(
        "2 lock",
        StateStore::open_backend(make(), &sealing, "forge conformance-first", Duration::ZERO),
    )?;
    let t = Instant::now();
    match StateStore::open_backend(make(), &sealing, "forge conformance-second", Duration::ZERO) {
        Err(StoreError::Lock(LockError::Held {
            holder: Some(h),
            id,
            ..
        })) => {
            expect(
                "2 held",
                "the first run named",
                h.command == "forge conformance-first" && h.pid == std::process::id(),
                &h,
            )?;
            expect(
                "2 held",
                "the lock ID of the first run",
                id == first.lock_id(),
                &id,
            )?;
            expect(
                "2 held",
                "a refusal at once",
                t.elapsed() < Duration::from_secs(5),
                t.elapsed(),
            )?;
        }
        other => expect(
            "2 held",
            "LockError::Held naming the holder",
            false,
            other.map(|_| "a second lock"),
        )?,
    }
    if first.lock_id().is_some() {
        let record = call("2 lock record", b.lock_record())?;
        expect(
            "2 record",
            "the holder in the lock",
            record.as_ref().map(|r| r.holder.command.as_str()) == Some("forge conformance-first"),
            &record,
        )?;
    }
    // 3. The first save creates it.
    first.state_mut().secrets.insert("k".into(), "v1".into());
    call("3 save", first.save())?;
    let lineage = first.state().lineage.clone();
    let stored = call("3 read", b.read())?;
    let peeked = call("3 peek", StateStore::peek_backend(b.as_ref(), &sealing))?;
    expect(
        "3 read back",
        "serial 1, same lineage",
        peeked
            .as_ref()
            .is_some_and(|s| s.serial == 1 && s.lineage == lineage && s.secrets["k"] == "v1"),
        &peeked,
    )?;
    // 4. Conditional writes.
    let Some(stored) = stored else {
        return expect("4", "a stored state", false, "none");
    };
    match b.write(b"{\"not\": \"state\"}", Expect::Absent) {
        Err(BackendError::Conflict { .. }) => {}
        other => expect("4 create over", "BackendError::Conflict", false, other)?,
    }
    // Another writer replaces the version this run read (same state, one more byte)...
    let mut other = stored.bytes.clone();
    other.push(b'\n');
    call(
        "4 other writer",
        b.write(&other, Expect::Version(&stored.version)),
    )?;
    // ...so a write conditional on the version read is refused.
    match b.write(b"{}", Expect::Version(&stored.version)) {
        Err(BackendError::Conflict { .. }) => {}
        other => expect("4 stale version", "BackendError::Conflict", false, other)?,
    }
    first.state_mut().secrets.insert("k".into(), "lost".into());
    let refused = first.save();
    expect(
        "4 run's save",
        "StoreError::Backend(Conflict)",
        matches!(
            refused,
            Err(StoreError::Backend(BackendError::Conflict { .. }))
        ),
        &refused,
    )?;
    expect(
        "4 unchanged",
        "the other writer's bytes",
        call("4 read", b.read())?.map(|s| s.bytes) == Some(other),
        "changed",
    )?;
    // A waiting run gets the lock when the first releases it.
    let waiter = std::thread::spawn({
        let backend = make();
        move || {
            StateStore::open_backend(
                backend,
                &Sealing::default(),
                "forge conformance-waiter",
                Duration::from_secs(60),
            )
            .map(|s| s.state().serial)
        }
    });
    std::thread::sleep(Duration::from_millis(600));
    call("2 release", first.close())?;
    let waited = waiter.join().map_err(|_| Violation::Unexpected {
        step: "2 wait",
        expected: "no panic",
        got: "a panic".into(),
    })?;
    expect(
        "2 wait",
        "the lock after release, and serial 1",
        matches!(waited, Ok(1)),
        &waited,
    )?;
    // 5. The next run, and the version kept.
    let mut second = call(
        "5 lock",
        StateStore::open_backend(make(), &sealing, "forge conformance-second", Duration::ZERO),
    )?;
    expect(
        "5 read",
        "what the last run wrote",
        second.state().lineage == lineage && second.state().serial == 1,
        second.state().serial,
    )?;
    second.state_mut().secrets.insert("k".into(), "v2".into());
    call("5 save", second.save())?;
    let previous = call("5 previous", b.previous())?;
    let kept = previous
        .as_deref()
        .map(|p| super::decode("previous", p, &sealing).map(|s| s.0.serial));
    expect(
        "5 kept",
        "the version the run replaced (serial 1)",
        matches!(kept, Some(Ok(1))),
        &kept,
    )?;
    call("5 release", second.close())?;
    // 6. A large state.
    let mut big = call(
        "6 lock",
        StateStore::open_backend(make(), &sealing, "forge conformance-big", Duration::ZERO),
    )?;
    let blob: String = (0..3 * 1024 * 1024 / 64)
        .map(|i| format!("{i:063}\n"))
        .collect();
    big.state_mut().secrets.insert("big".into(), blob.clone());
    call("6 save", big.save())?;
    call("6 release", big.close())?;
    let back = call("6 peek", StateStore::peek_backend(b.as_ref(), &sealing))?;
    expect(
        "6 round trip",
        "3 MiB back whole",
        back.as_ref()
            .is_some_and(|s| s.secrets.get("big") == Some(&blob)),
        back.map(|s| s.serial),
    )?;
    // 7. Encryption.
    let right = Sealing {
        passphrase: Some(Passphrase::new(
            "correct horse battery",
            "env CONFORMANCE_PASSPHRASE",
        )),
        accept_plain: true,
    };
    let mut enc = call(
        "7 lock",
        StateStore::open_backend(make(), &right, "forge conformance-encrypt", Duration::ZERO),
    )?;
    enc.state_mut().secrets.insert("big".into(), SECRET.into());
    call("7 save", enc.save())?;
    call("7 release", enc.close())?;
    let raw = call("7 read", b.read())?
        .map(|s| s.bytes)
        .unwrap_or_default();
    expect(
        "7 sealed",
        "no secret in the stored bytes",
        !contains(&raw, SECRET.as_bytes()),
        "the secret in clear",
    )?;
    let header = encrypted_header(&raw);
    expect(
        "7 header",
        "the lineage readable",
        header.as_ref().is_some_and(|(h, label)| {
            h.lineage == lineage && label == "env CONFORMANCE_PASSPHRASE"
        }),
        &header,
    )?;
    let wrong = Sealing {
        passphrase: Some(Passphrase::new("wrong", "env OTHER")),
        accept_plain: false,
    };
    match StateStore::open_backend(make(), &wrong, "forge conformance-wrong", Duration::ZERO) {
        Err(StoreError::Crypt(e)) => expect(
            "7 wrong",
            "a message naming both passphrases",
            e.to_string().contains("env OTHER")
                && e.to_string().contains("env CONFORMANCE_PASSPHRASE"),
            e.to_string(),
        )?,
        other => expect(
            "7 wrong",
            "a wrong-passphrase error",
            false,
            other.map(|_| "opened"),
        )?,
    }
    expect(
        "7 unchanged",
        "the stored bytes as they were",
        call("7 read", b.read())?.map(|s| s.bytes) == Some(raw.clone()),
        "changed",
    )?;
    expect(
        "7 lock freed",
        "no lock left by the refused run",
        call("7 record", b.lock_record())?.is_none_or(|r| r.id.is_empty()),
        "a lock",
    )?;
    let plainly = StateStore::peek_backend(b.as_ref(), &sealing);
    expect(
        "7 no passphrase",
        "StoreError::Encrypted",
        matches!(plainly, Err(StoreError::Encrypted { .. })),
        plainly.map(|_| "read"),
    )?;
    let right = Sealing {
        accept_plain: false,
        ..right
    };
    let opened = call("7 open", StateStore::peek_backend(b.as_ref(), &right))?;
    expect(
        "7 right",
        "the secret back",
        opened.is_some_and(|s| s.secrets.get("big").map(String::as_str) == Some(SECRET)),
        "not it",
    )?;
    // 8. Force-unlock.
    let holder = call(
        "8 lock",
        StateStore::open_backend(make(), &right, "forge conformance-dead", Duration::ZERO),
    )?;
    match holder.lock_id() {
        None => {
            drop(holder);
            let r = b.force_unlock("anything");
            expect(
                "8 local",
                "a refusal saying the OS releases it",
                matches!(&r, Err(BackendError::Refused { message, .. }) if message.contains("kernel")),
                &r,
            )?;
        }
        Some(id) => {
            let r = b.force_unlock("not-the-id");
            expect(
                "8 wrong id",
                "a refusal",
                matches!(r, Err(BackendError::Refused { .. })),
                &r,
            )?;
            let still =
                StateStore::open_backend(make(), &right, "forge conformance-after", Duration::ZERO);
            expect(
                "8 still held",
                "the lock kept",
                matches!(still, Err(StoreError::Lock(LockError::Held { .. }))),
                still.map(|_| "taken"),
            )?;
            let r = call("8 force", b.force_unlock(&id))?;
            expect(
                "8 force",
                "the record of the holder removed",
                r.id == id && r.holder.command == "forge conformance-dead",
                &r,
            )?;
            let mut next = call(
                "8 next",
                StateStore::open_backend(make(), &right, "forge conformance-after", Duration::ZERO),
            )?;
            call("8 next save", next.save())?;
            // The holder was not dead after all: its next save must not overwrite.
            let mut zombie = holder;
            zombie
                .state_mut()
                .secrets
                .insert("k".into(), "zombie".into());
            let z = zombie.save();
            expect(
                "8 zombie",
                "its save refused (lock lost, or a conflict)",
                matches!(
                    z,
                    Err(StoreError::Backend(
                        BackendError::Conflict { .. } | BackendError::LockLost { .. }
                    ))
                ),
                &z,
            )?;
            let after = call("8 read", StateStore::peek_backend(b.as_ref(), &right))?;
            expect(
                "8 zombie",
                "the next run's state kept",
                after.is_some_and(|s| s.secrets.get("k").map(String::as_str) != Some("zombie")),
                "overwritten",
            )?;
            call("8 release", next.close())?;
            drop(zombie);
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
