//! [`Global`]: what every command takes from the global flags — forge.yaml's path, the
//! work directory, the output style — and how a command opens the [`Engine`] with them.

use std::path::PathBuf;
use std::time::Duration;

use super::{Cli, Error};
use crate::config::ProcessEnv;
use crate::engine::{Engine, Options};
use crate::expand::{self, Declared};
use crate::render::Style;

/// The global flags, resolved.
pub struct Global {
    /// forge.yaml.
    pub file: PathBuf,
    /// The work dir: `--work-dir`, else the directory holding forge.yaml.
    pub work_dir: PathBuf,
    /// Colours or not.
    pub style: Style,
}

impl Global {
    /// Resolves the global flags of `cli`.
    pub fn new(cli: &Cli) -> Self {
        let work_dir = cli
            .work_dir
            .clone()
            .unwrap_or_else(|| match cli.file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            });
        let mut style = Style::detect();
        if cli.no_color {
            style.color = false;
        }
        Self {
            file: cli.file.clone(),
            work_dir,
            style,
        }
    }

    /// What forge.yaml declares, loaded and checked, without taking the state lock.
    pub fn declared(&self) -> Result<Declared, Error> {
        Ok(expand::load(&self.file, &self.work_dir, &ProcessEnv)?)
    }

    /// Opens a run: loads forge.yaml, takes the state lock (waiting up to
    /// `lock_timeout`), builds the graph, with every kind forge ships.
    pub fn engine(&self, lock_timeout: Duration) -> Result<Engine, Error> {
        let opts = Options {
            work_dir: self.work_dir.clone(),
            holder: Self::command_line(),
            lock_timeout,
        };
        let mut registry = crate::providers::registry();
        if std::env::var_os("FORGE_ENABLE_FAKE").is_some() {
            // The engine's test kind, for the process-level tests of locking and recovery.
            registry.register(crate::provider::fake::FakeResource::new());
        }
        let engine = Engine::open(&self.file, &opts, &ProcessEnv, registry)?;
        for w in engine.state_warnings() {
            eprintln!("warning: {w}");
        }
        Ok(engine)
    }

    /// The command line as the lock file records it.
    pub fn command_line() -> String {
        let args: Vec<String> = std::env::args().collect();
        let mut out = vec!["forge".to_string()];
        out.extend(args.into_iter().skip(1));
        out.join(" ")
    }
}
