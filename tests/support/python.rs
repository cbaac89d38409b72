//! pyiceberg and duckdb, installed by `scripts/install-test-servers.sh`: independent
//! writers and readers of Iceberg tables (clients we did not write).

use std::path::PathBuf;

fn site() -> PathBuf {
    let cache = std::env::var_os("FORGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/forge")
        });
    let dir = cache.join("servers/pyiceberg-0.12.0");
    assert!(
        dir.join("pyiceberg").is_dir(),
        "pyiceberg is not installed at {}: run `scripts/install-test-servers.sh`",
        dir.display()
    );
    dir
}

/// Runs `tests/support/py/iceberg_tables.py ARGS`; its JSON output, or the error.
pub fn tables(args: &[&str]) -> Result<serde_json::Value, String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/py/iceberg_tables.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .env("PYTHONPATH", site())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}
