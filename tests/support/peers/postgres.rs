//! PostgreSQL 15 (the Debian package), started once per test binary by [`postgres`]
//! with the settings of `tests/peers/start-postgres.sh`: initdb in a fresh directory
//! (trust auth, superuser `postgres`), the server on a free 127.0.0.1 port with fsync
//! off, and a database `polaris`.
//!
//! The server runs in the foreground (`postgres`, not `pg_ctl start`, which would
//! detach it from the guard) under [`Guarded`]: SIGTERM when the test binary ends is a
//! "smart" shutdown, immediate once the clients are gone. initdb and postgres refuse
//! to run as root, so as root they run as user `postgres` via `setpriv`, which execs
//! (the guard's signal reaches the postmaster itself).
//!
//! `FORGE_TEST_PG_BIN` overrides the binaries' directory (default
//! `/usr/lib/postgresql/15/bin`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::super::process::{Guarded, free_port};
use super::fresh_dir;

/// A running PostgreSQL.
pub struct PgPeer {
    /// `127.0.0.1`.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The superuser, `postgres` (trust auth: any password is accepted).
    pub user: String,
    /// The database created for Polaris, `polaris`.
    pub db: String,
    /// `postgresql://postgres@127.0.0.1:PORT/polaris`.
    pub url: String,
    /// `jdbc:postgresql://127.0.0.1:PORT/polaris`, as Polaris' datasource wants it.
    pub jdbc_url: String,
    /// The directory of the server binaries (psql is there too).
    pub bin: PathBuf,
    /// Data directory, socket and logs.
    pub dir: PathBuf,
    /// initdb + start + createdb.
    pub startup: Duration,
    _process: Mutex<Guarded>,
}

/// PostgreSQL, started on first use.
pub fn postgres() -> &'static PgPeer {
    static PG: OnceLock<PgPeer> = OnceLock::new();
    PG.get_or_init(start)
}

impl PgPeer {
    /// `psql -h HOST -p PORT -U postgres -d polaris -tAc SQL`: its trimmed stdout, or a
    /// panic with stderr.
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", &self.host, "-p", &self.port.to_string()])
            .args(["-U", &self.user, "-d", &self.db, "-tAc", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql -c {sql:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

fn start() -> PgPeer {
    let t0 = Instant::now();
    let bin = std::env::var_os("FORGE_TEST_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    assert!(
        bin.join("postgres").is_file(),
        "PostgreSQL is not installed at {} (apt-get install postgresql-15, or set FORGE_TEST_PG_BIN)",
        bin.display()
    );
    let dir = fresh_dir("postgres");
    let root = is_root();
    if root {
        let ok = Command::new("chown")
            .args(["postgres:postgres", &dir.display().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown postgres {}", dir.display());
    }
    let data = dir.join("data");
    let out = as_postgres(root, &bin.join("initdb"))
        .args(["-D", &data.display().to_string()])
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .current_dir(&dir)
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let port = free_port();
    let mut args: Vec<String> = Vec::new();
    let program = if root {
        args.extend(setpriv_args());
        args.push(bin.join("postgres").display().to_string());
        PathBuf::from("setpriv")
    } else {
        bin.join("postgres")
    };
    args.extend(
        [
            "-D",
            &data.display().to_string(),
            "-k",
            &dir.display().to_string(),
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        .map(String::from),
    );
    let mut process = Guarded::spawn(
        "postgres",
        &program,
        &args,
        &[],
        &dir,
        dir.join("postgres.log"),
    );
    process.wait_ready(Duration::from_secs(60), || {
        Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    });
    let out = Command::new(bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
        .arg("polaris")
        .output()
        .expect("run createdb");
    assert!(
        out.status.success(),
        "createdb polaris failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PgPeer {
        host: "127.0.0.1".into(),
        port,
        user: "postgres".into(),
        db: "polaris".into(),
        url: format!("postgresql://postgres@127.0.0.1:{port}/polaris"),
        jdbc_url: format!("jdbc:postgresql://127.0.0.1:{port}/polaris"),
        bin,
        dir,
        startup: t0.elapsed(),
        _process: Mutex::new(process),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn setpriv_args() -> [String; 4] {
    [
        "--reuid=postgres".into(),
        "--regid=postgres".into(),
        "--init-groups".into(),
        "--".into(),
    ]
}

/// `program` as user postgres when we are root (initdb refuses root), else as is.
fn as_postgres(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("setpriv");
        c.args(setpriv_args()).arg(program);
        c
    } else {
        Command::new(program)
    }
}
