//! `forge state ...` and `forge force-unlock`: the state where forge.yaml's `backend:`
//! says — listed, shown, edited, pulled, pushed, migrated to another backend,
//! encrypted, decrypted, re-keyed — and the lock of a run that died removed.
//!
//! These commands read only forge.yaml's `backend:` section (the rest may be
//! incomplete, its variables unset); without a forge.yaml the state is the work dir's.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::exit;
use super::global::Global;
use super::{Error, ForceUnlockArgs, MigrateArgs, OldPassphraseArgs, PushArgs, StateCommand};
use crate::addr::ResourceAddr;
use crate::config::{self, ProcessEnv};
use crate::state::backend::{BackendSpec, EncryptionSpec, StateBackend};
use crate::state::crypt::Key;
use crate::state::{Passphrase, Sealing, State, StateStore, StoreError, encrypted_header};

/// Where the state is, as forge.yaml at `file` says.
pub fn backend_of(
    file: &Path,
    work_dir: &Path,
) -> Result<(BackendSpec, Option<EncryptionSpec>), Error> {
    let config = match config::load(file, work_dir, &ProcessEnv) {
        Ok(c) => c,
        Err(config::Error::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            let work_dir = std::path::absolute(work_dir).unwrap_or_else(|_| work_dir.to_path_buf());
            return Ok((BackendSpec::default_local(&work_dir), None));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(node) = config.tree.get("backend") {
        let problems = match &config.file.backend {
            Some(b) => b.problems(Some(node.span)),
            None => vec![
                config::Problem::new(
                    config::ProblemKind::InvalidValue,
                    "the `backend` section cannot be read",
                    Some(node.span),
                    "here",
                )
                .with_help("run `forge validate` to see why"),
            ],
        };
        if !problems.is_empty() {
            return Err(Box::new(config.problems(problems)).into());
        }
    }
    Ok(BackendSpec::from_config(&config))
}

fn open(g: &Global) -> Result<(Arc<dyn StateBackend>, Option<EncryptionSpec>), Error> {
    let (spec, encryption) = backend_of(&g.file, &g.work_dir)?;
    Ok((spec.open().map_err(StoreError::from)?, encryption))
}

fn lock(g: &Global, sealing: &Sealing, timeout: Duration) -> Result<StateStore, Error> {
    let (backend, _) = open(g)?;
    Ok(StateStore::open_backend(
        backend,
        sealing,
        &Global::command_line(),
        timeout,
    )?)
}

fn sealing(encryption: Option<&EncryptionSpec>) -> Result<Sealing, Error> {
    Ok(Sealing::from_spec(encryption)?)
}

/// The state without locking (it may be mid-run), decrypted as forge.yaml says.
pub fn peek(g: &Global) -> Result<State, Error> {
    let (backend, encryption) = open(g)?;
    let sealing = match encryption.as_ref().map(Passphrase::read) {
        // No passphrase to read: try without, so an encrypted state says which one it wants.
        Some(Err(StoreError::Passphrase { label, source })) => {
            let stored = backend.read().map_err(StoreError::from)?;
            if let Some((header, wanted)) = stored.as_ref().and_then(|s| encrypted_header(&s.bytes))
            {
                return Err(StoreError::Encrypted {
                    location: backend.location(),
                    header: Box::new(header),
                    wanted,
                    why: format!("{label} cannot be read ({source})"),
                }
                .into());
            }
            Sealing::default()
        }
        Some(p) => Sealing {
            passphrase: Some(p?),
            accept_plain: false,
        },
        None => Sealing::default(),
    };
    Ok(StateStore::peek_backend(backend.as_ref(), &sealing)?.unwrap_or_default())
}

pub fn run(g: &Global, cmd: StateCommand) -> Result<i32, Error> {
    match cmd {
        StateCommand::List => list(g),
        StateCommand::Show { addr } => show(g, &addr),
        StateCommand::Rm { addrs } => rm(g, &addrs),
        StateCommand::Pull => {
            let state = peek(g)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&state).unwrap_or_default()
            );
            Ok(exit::OK)
        }
        StateCommand::Push(a) => push(g, a),
        StateCommand::Migrate(a) => migrate(g, a),
        StateCommand::Encrypt(a) => encrypt(g, a.lock_timeout),
        StateCommand::Decrypt(a) => decrypt(g, a),
        StateCommand::Rekey(a) => rekey(g, a),
    }
}

fn list(g: &Global) -> Result<i32, Error> {
    let (backend, _) = open(g)?;
    let state = peek(g)?;
    for addr in state.resources.keys() {
        println!("{addr}");
    }
    let encrypted = backend
        .read()
        .map_err(StoreError::from)?
        .is_some_and(|s| encrypted_header(&s.bytes).is_some());
    eprintln!(
        "# state: {}, serial {}{}",
        backend.location(),
        state.serial,
        if encrypted { ", encrypted" } else { "" }
    );
    Ok(exit::OK)
}

fn show(g: &Global, addr: &str) -> Result<i32, Error> {
    let state = peek(g)?;
    let r = state
        .resources
        .get(addr)
        .ok_or_else(|| Error::NotFound(format!("`{addr}` is not in state")))?;
    let sensitive: Vec<String> = addr
        .parse::<ResourceAddr>()
        .ok()
        .and_then(|a| crate::providers::registry().get(a.kind()))
        .map(|p| p.sensitive().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let mut shown = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(Value::Object(attrs)) = shown.get_mut("attributes") {
        for s in &sensitive {
            if let Some(v) = attrs.get_mut(s) {
                *v = Value::String("(sensitive)".into());
            }
        }
    }
    println!(
        "# {addr}\n{}",
        serde_json::to_string_pretty(&shown).unwrap_or_default()
    );
    Ok(exit::OK)
}

fn rm(g: &Global, addrs: &[String]) -> Result<i32, Error> {
    let (_, encryption) = backend_of(&g.file, &g.work_dir)?;
    let mut store = lock(g, &sealing(encryption.as_ref())?, Duration::ZERO)?;
    for a in addrs {
        if !store.state().resources.contains_key(a) {
            return Err(Error::NotFound(format!("`{a}` is not in state")));
        }
    }
    for a in addrs {
        store.state_mut().resources.remove(a);
        println!("Removed {a} from state (the real resource is untouched)");
    }
    store.save()?;
    store.close()?;
    Ok(exit::OK)
}

fn push(g: &Global, a: PushArgs) -> Result<i32, Error> {
    let body = std::fs::read(&a.state_file).map_err(|source| Error::Write {
        path: a.state_file.clone(),
        source,
    })?;
    let (pushed, _) = crate::state::decode(
        &a.state_file.display().to_string(),
        &body,
        &Sealing::default(),
    )?;
    let (_, encryption) = backend_of(&g.file, &g.work_dir)?;
    let mut store = lock(g, &sealing(encryption.as_ref())?, a.lock.lock_timeout)?;
    let current = store.state().clone();
    if store.exists() && !a.force {
        if pushed.lineage != current.lineage {
            return Err(StoreError::Refused(format!(
                "`{}` is another state (lineage {}) than the one in {} (lineage {}); nothing was pushed (--force replaces it)",
                a.state_file.display(),
                pushed.lineage,
                store.location(),
                current.lineage
            ))
            .into());
        }
        if pushed.serial < current.serial || (pushed.serial == current.serial && pushed != current)
        {
            return Err(StoreError::Refused(format!(
                "`{}` has serial {}, and the state in {} is at serial {}: it is older, or differs at the same serial; nothing was pushed (pull, edit and push again, or --force)",
                a.state_file.display(),
                pushed.serial,
                store.location(),
                current.serial
            ))
            .into());
        }
    }
    let mut next = pushed;
    // Every push moves the serial on, so plans saved against what was there are stale.
    next.serial = next.serial.max(current.serial + 1);
    let key = store.key();
    store.replace(next, key)?;
    println!(
        "Pushed `{}` to {} (serial {}).",
        a.state_file.display(),
        store.location(),
        store.state().serial
    );
    store.close()?;
    Ok(exit::OK)
}

fn migrate(g: &Global, a: MigrateArgs) -> Result<i32, Error> {
    let (from, from_enc) = backend_of(&a.from, &g.work_dir)?;
    let (to, to_enc) = backend_of(&g.file, &g.work_dir)?;
    if from == to {
        return Err(Error::Usage(format!(
            "`{}` and `{}` name the same backend: nothing to migrate",
            a.from.display(),
            g.file.display()
        )));
    }
    let who = Global::command_line();
    let source = StateStore::open_backend(
        from.open().map_err(StoreError::from)?,
        &sealing(from_enc.as_ref())?,
        &who,
        a.lock.lock_timeout,
    )?;
    let mut target = StateStore::open_backend(
        to.open().map_err(StoreError::from)?,
        &sealing(to_enc.as_ref())?,
        &who,
        a.lock.lock_timeout,
    )?;
    if !source.exists() {
        return Err(StoreError::Refused(format!(
            "there is no state in {} to migrate",
            source.location()
        ))
        .into());
    }
    let (s, t) = (source.state(), target.state());
    if target.exists() {
        if t.lineage != s.lineage {
            return Err(StoreError::Refused(format!(
                "{} already holds another state (lineage {}, serial {}) than {} (lineage {}); nothing was migrated: remove it first if it is not needed",
                target.location(), t.lineage, t.serial, source.location(), s.lineage
            ))
            .into());
        }
        if t.serial > s.serial || (t.serial == s.serial && t != s) {
            return Err(StoreError::Refused(format!(
                "{} holds a newer or different version of this state (serial {}, source serial {}); nothing was migrated",
                target.location(), t.serial, s.serial
            ))
            .into());
        }
        if t == s {
            println!(
                "{} already holds this state (serial {}): nothing to do.",
                target.location(),
                t.serial
            );
            return Ok(exit::OK);
        }
    }
    let key = target.key();
    target.replace(s.clone(), key)?;
    println!(
        "Migrated the state (lineage {}, serial {}) from {} to {}{}. The old copy is left in place: delete it once you are sure.",
        s.lineage,
        s.serial,
        source.location(),
        target.location(),
        if target.encrypted() {
            ", encrypted"
        } else {
            ""
        }
    );
    target.close()?;
    source.close()?;
    Ok(exit::OK)
}

fn encrypt(g: &Global, timeout: Duration) -> Result<i32, Error> {
    let (_, encryption) = backend_of(&g.file, &g.work_dir)?;
    let Some(spec) = encryption else {
        return Err(Error::Usage("forge.yaml names no passphrase: add `backend: {encryption: {passphrase: {env: NAME}}}` first".into()));
    };
    let sealing = Sealing {
        passphrase: Some(Passphrase::read(&spec)?),
        accept_plain: true,
    };
    let mut store = lock(g, &sealing, timeout)?;
    if !store.exists() {
        println!("There is no state yet: the first apply writes it encrypted.");
    } else if store.stored_encrypted() {
        println!("The state in {} is encrypted already.", store.location());
    } else {
        let (state, key) = (store.state().clone(), store.key());
        store.replace(state, key)?;
        println!(
            "Encrypted the state in {} with the passphrase from {}.",
            store.location(),
            spec.label
        );
    }
    store.close()?;
    Ok(exit::OK)
}

fn old_passphrase(a: &OldPassphraseArgs, g: &Global) -> Result<Passphrase, Error> {
    let spec = match (&a.old_passphrase_env, &a.old_passphrase_file) {
        (Some(v), _) => EncryptionSpec {
            passphrase: crate::secret::SecretSpec::Env(v.clone()),
            label: format!("env {v}"),
        },
        (None, Some(p)) => EncryptionSpec {
            passphrase: crate::secret::SecretSpec::File(g.work_dir.join(p)),
            label: format!("file {}", p.display()),
        },
        (None, None) => {
            return Err(Error::Usage(
                "give --old-passphrase-env or --old-passphrase-file".into(),
            ));
        }
    };
    Ok(Passphrase::read(&spec)?)
}

fn decrypt(g: &Global, a: OldPassphraseArgs) -> Result<i32, Error> {
    let (_, encryption) = backend_of(&g.file, &g.work_dir)?;
    if encryption.is_some() {
        return Err(Error::Usage(
            "forge.yaml still asks for encryption: remove `backend.encryption` first, then decrypt"
                .into(),
        ));
    }
    let sealing = Sealing {
        passphrase: Some(old_passphrase(&a, g)?),
        accept_plain: true,
    };
    let mut store = lock(g, &sealing, a.lock.lock_timeout)?;
    if !store.stored_encrypted() {
        println!("The state in {} is not encrypted.", store.location());
    } else {
        let state = store.state().clone();
        store.replace(state, None)?;
        println!("Decrypted the state in {}.", store.location());
    }
    store.close()?;
    Ok(exit::OK)
}

fn rekey(g: &Global, a: OldPassphraseArgs) -> Result<i32, Error> {
    let (_, encryption) = backend_of(&g.file, &g.work_dir)?;
    let Some(spec) = encryption else {
        return Err(Error::Usage(
            "forge.yaml names no passphrase: to stop encrypting, use `forge state decrypt`".into(),
        ));
    };
    let new = Passphrase::read(&spec)?;
    let sealing = Sealing {
        passphrase: Some(old_passphrase(&a, g)?),
        accept_plain: false,
    };
    let mut store = lock(g, &sealing, a.lock.lock_timeout)?;
    if !store.exists() {
        println!(
            "There is no state yet: the first apply writes it with the passphrase from {}.",
            spec.label
        );
    } else {
        let key = Key::new(new.value(), &new.label).map_err(StoreError::from)?;
        let state = store.state().clone();
        store.replace(state, Some(key))?;
        println!(
            "Re-encrypted the state in {} with the passphrase from {}.",
            store.location(),
            spec.label
        );
    }
    store.close()?;
    Ok(exit::OK)
}

pub fn force_unlock(g: &Global, a: ForceUnlockArgs) -> Result<i32, Error> {
    let (backend, _) = open(g)?;
    let record = backend.force_unlock(&a.id).map_err(StoreError::from)?;
    println!(
        "Removed the lock {} of {} on {}. If that run is in fact alive, it stops at its next save.",
        record.id,
        record.holder,
        backend.location()
    );
    Ok(exit::OK)
}
