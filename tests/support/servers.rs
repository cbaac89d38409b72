//! moto (AWS S3/IAM/STS) and s3s-fs (a RustFS stand-in), installed by
//! `scripts/install-test-servers.sh` and started here, once per test binary.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::http::get_status;
use super::process::{Guarded, free_port, scratch};

/// A running S3 endpoint and the keys it accepts.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Its port.
    pub port: u16,
    /// Access key.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Where s3s-fs keeps objects (None for moto).
    pub data_dir: Option<PathBuf>,
    _process: Mutex<Guarded>,
}

fn cache() -> PathBuf {
    std::env::var_os("FORGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/forge")
        })
}

fn missing(what: &str, path: &std::path::Path) -> ! {
    panic!(
        "{what} is not installed at {}: run `scripts/install-test-servers.sh` (the README's test command does)",
        path.display()
    )
}

/// moto 5.2.5, started on first use.
pub fn moto() -> &'static S3Server {
    static MOTO: OnceLock<S3Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        let dir = std::env::var_os("FORGE_MOTO_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache().join("servers/moto-5.2.5"));
        if !dir.join("moto").is_dir() {
            missing("moto 5.2.5", &dir);
        }
        let port = free_port();
        let work = scratch("moto");
        let pythonpath = format!("{}:{}", dir.display(), dir.join("deps").display());
        let mut p = Guarded::spawn(
            "moto",
            &PathBuf::from("python3"),
            &[
                "-m".into(),
                "moto.server".into(),
                "-H".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ],
            &[
                ("PYTHONPATH", pythonpath),
                ("MOTO_ACCOUNT_ID", "111111111111".into()),
            ],
            &work,
            work.join("moto.log"),
        );
        p.wait_ready(Duration::from_secs(60), || {
            get_status(port, "/moto-api/") == Some(200)
        });
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            access_key: "testing".into(),
            secret_key: "testing".into(),
            data_dir: None,
            _process: Mutex::new(p),
        }
    })
}

/// s3s-fs 0.14.1, started on first use, with its own keys (it checks SigV4).
pub fn s3s_fs() -> &'static S3Server {
    static S3S: OnceLock<S3Server> = OnceLock::new();
    S3S.get_or_init(|| {
        let bin = std::env::var_os("FORGE_S3S_FS")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache().join("servers/s3s-fs-0.14.1/bin/s3s-fs"));
        if !bin.is_file() {
            missing("s3s-fs 0.14.1", &bin);
        }
        let port = free_port();
        let work = scratch("s3s");
        let data = work.join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let (ak, sk) = ("forgetestkey".to_string(), "forgetestsecret123".to_string());
        let args = vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--access-key".into(),
            ak.clone(),
            "--secret-key".into(),
            sk.clone(),
            data.display().to_string(),
        ];
        let mut p = Guarded::spawn("s3s-fs", &bin, &args, &[], &work, work.join("s3s.log"));
        p.wait_ready(Duration::from_secs(30), || get_status(port, "/").is_some());
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            access_key: ak,
            secret_key: sk,
            data_dir: Some(data),
            _process: Mutex::new(p),
        }
    })
}

/// A name no other test uses, valid as a bucket name.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs a boto3 snippet against `server` (an S3 client we did not write) and returns
/// its stdout. The snippet gets `s3`, a boto3 S3 client, and `json`.
pub fn boto3(server: &S3Server, code: &str) -> String {
    let script = format!(
        "import boto3, json\nfrom botocore.config import Config\ns3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='{}', aws_secret_access_key='{}', region_name='us-east-1', config=Config(s3={{'addressing_style': 'path'}}))\n{code}\n",
        server.endpoint, server.access_key, server.secret_key
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "boto3 failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
