//! The command line: clap definitions and dispatch. Each command lives in its own file
//! and does three things: parse its flags, call the [`crate::engine`] (or a tool
//! module), render the result. Errors come back here as one [`Error`]; [`exit`] alone
//! turns them into exit codes.

mod apply;
mod doctor;
mod error;
pub mod exit;
mod global;
mod iceberg;
mod inspect;
mod interrupt;
mod misc;
mod plan;
mod polaris;
mod query;
mod report;
mod s3;
mod state;
mod status;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub use error::Error;
pub use interrupt::{Interrupt, OnSignal};
pub use report::report;

/// forge: a local lakehouse (k3d, RustFS, PostgreSQL, Apache Polaris) and its way to the
/// cloud (AWS S3, Snowflake), declared in one forge.yaml.
#[derive(Debug, Parser)]
#[command(name = "forge", version, about, long_about = None, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Path of forge.yaml.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "forge.yaml",
        env = "FORGE_FILE"
    )]
    pub file: PathBuf,
    /// Work directory: relative paths in forge.yaml resolve here, state lives in its
    /// `.forge/` (default: the directory holding forge.yaml).
    #[arg(long, global = true, env = "FORGE_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
    /// Never use colours.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether errors should be reported as JSON lines (`--json` on validate, plan,
    /// apply and destroy).
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Validate(a) => a.json,
            Command::Plan(a) => a.run.json,
            Command::Apply(a) => a.run.json,
            Command::Destroy(a) => a.run.json,
            _ => false,
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check forge.yaml without reading anything remote.
    Validate(JsonFlag),
    /// Show what apply would do.
    Plan(PlanArgs),
    /// Make the world match forge.yaml (or apply a saved plan).
    Apply(ApplyArgs),
    /// Delete everything forge manages, dependents first.
    Destroy(DestroyArgs),
    /// Inspect or edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print outputs saved by the last apply.
    Output(OutputArgs),
    /// Remove the lock of a run that died (the ID is in the "locked" error).
    ForceUnlock(ForceUnlockArgs),
    /// Draw the resource graph (DOT or SVG), coloured by planned action.
    Graph(GraphArgs),
    /// Print a saved plan file.
    Show(ShowArgs),
    /// Write the JSON Schema of forge.yaml (for editor completion).
    Schema(SchemaArgs),
    /// Check this machine: tools, container runtime, ports, ghost clusters, Polaris.
    Doctor(DoctorArgs),
    /// Iceberg tools.
    #[command(subcommand)]
    Iceberg(IcebergCommand),
    /// Polaris catalog tools.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Call the Polaris API forge.yaml names, authenticated: `forge api GET catalogs`.
    Api(ApiArgs),
    /// Where each migrated table stands: source and copy versions, what a sync would
    /// move, prefix drift (read live, like a plan).
    Status(StatusArgs),
    /// Run read-only SQL over the catalog's tables: `forge query "SELECT count(*) FROM
    /// wildlife.penguins"` (needs a forge built with the `query` feature).
    Query(QueryArgs),
    /// S3 tools.
    #[command(subcommand)]
    S3(S3Command),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

/// `forge catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Read the live Polaris and print the `catalog:` section of forge.yaml that
    /// reproduces it (`forge plan` then imports it with no other change).
    Export {
        /// Only this catalog (and the roles and principals that lead to it). Repeatable.
        #[arg(long = "catalog", value_name = "NAME")]
        catalogs: Vec<String>,
    },
}

/// `forge status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this table (`l2c_table.<catalog>/<namespace>/<table>`). Repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// One JSON object per table.
    #[arg(long)]
    pub json: bool,
    /// Wait this long for another run's lock (e.g. `30s`, `2m`); default: fail at once.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// Give up on any single read after this long.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub timeout: Duration,
}

/// `forge api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// GET, POST, PUT, DELETE, ...
    pub method: String,
    /// `/api/...`, or a management API path (`catalogs`, `principals/x`).
    pub path: String,
    /// A JSON body.
    #[arg(long)]
    pub data: Option<String>,
    /// Print the body as it came, not pretty.
    #[arg(long)]
    pub raw: bool,
}

/// `forge query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL: SELECT, EXPLAIN, SHOW, DESCRIBE (nothing that writes). Tables are
    /// `namespace.table` in the default catalog, or `catalog.namespace.table`.
    pub sql: String,
    /// The catalog unqualified names resolve in (default: the first in forge.yaml).
    #[arg(long, value_name = "NAME")]
    pub catalog: Option<String>,
    /// Print the rows as a JSON array of objects.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the rows as CSV with a header line.
    #[arg(long)]
    pub csv: bool,
}

/// `forge iceberg ...`.
#[derive(Debug, Subcommand)]
pub enum IcebergCommand {
    /// Rewrite a table's metadata for a new location (`IN/metadata/*` → `OUT/metadata/*`):
    /// metadata.json files, manifest lists (with `manifest_length`) and manifests. Data
    /// files are not touched; copy them yourself.
    RewritePaths(RewritePathsArgs),
}

/// `forge iceberg rewrite-paths`.
#[derive(Debug, Args)]
pub struct RewritePathsArgs {
    /// The table's current location, e.g. `s3://lakehouse/wildlife/penguins`.
    #[arg(long)]
    pub from: String,
    /// Its new location, e.g. `s3://cloud-bucket/wildlife/penguins`.
    #[arg(long)]
    pub to: String,
    /// A local copy of the table (holding `metadata/`).
    #[arg(long = "in", value_name = "DIR")]
    pub input: std::path::PathBuf,
    /// Where to write the rewritten `metadata/`.
    #[arg(long = "out", value_name = "DIR")]
    pub output: std::path::PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `forge s3 ...`.
#[derive(Debug, Subcommand)]
pub enum S3Command {
    /// Copy what is new or resized from one S3 location to another (smart sync):
    /// `forge s3 sync s3://lakehouse/wildlife/ s3://cloud-bucket/wildlife/`.
    Sync(S3SyncArgs),
}

/// `forge s3 sync`.
#[derive(Debug, Args)]
pub struct S3SyncArgs {
    /// Source, `s3://bucket/prefix`.
    pub source: String,
    /// Destination, `s3://bucket/prefix`.
    pub destination: String,
    /// The source store.
    #[command(flatten, next_help_heading = "Source")]
    pub src: SrcArgs,
    /// The destination store.
    #[command(flatten, next_help_heading = "Destination")]
    pub dst: DstArgs,
    /// Objects copied at once.
    #[arg(long, default_value_t = 12)]
    pub concurrency: usize,
    /// Objects at least this big (MiB) go as multipart uploads; smaller ones as one
    /// streamed PUT (no parts for the store to stitch together afterwards).
    #[arg(long, default_value_t = 200)]
    pub multipart_threshold_mib: u64,
    /// Part size in MiB of multipart uploads (at least 5).
    #[arg(long, default_value_t = 8)]
    pub part_size_mib: u64,
    /// Copy through the AWS SDK even between two plain-HTTP stores. By default forge
    /// writes the GET and PUT of such a copy itself and moves the body in the kernel
    /// (faster; the same checks and retries).
    #[arg(long)]
    pub no_direct: bool,
    /// Only show what would be copied.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The source store of `forge s3 sync`.
#[derive(Debug, Args, Clone)]
pub struct SrcArgs {
    /// Endpoint URL of the source store (leave out for AWS).
    #[arg(long = "source-endpoint")]
    pub src_endpoint: Option<String>,
    /// Source region.
    #[arg(long = "source-region")]
    pub src_region: Option<String>,
    /// Source AWS profile.
    #[arg(long = "source-profile")]
    pub src_profile: Option<String>,
    /// Environment variable holding the source access key id.
    #[arg(long = "source-access-key-env", value_name = "VAR")]
    pub src_access_key_env: Option<String>,
    /// Environment variable holding the source secret access key.
    #[arg(long = "source-secret-key-env", value_name = "VAR")]
    pub src_secret_key_env: Option<String>,
}

/// The destination store of `forge s3 sync`.
#[derive(Debug, Args, Clone)]
pub struct DstArgs {
    /// Endpoint URL of the destination store (leave out for AWS).
    #[arg(long = "dest-endpoint")]
    pub dst_endpoint: Option<String>,
    /// Destination region.
    #[arg(long = "dest-region")]
    pub dst_region: Option<String>,
    /// Destination AWS profile.
    #[arg(long = "dest-profile")]
    pub dst_profile: Option<String>,
    /// Environment variable holding the destination access key id.
    #[arg(long = "dest-access-key-env", value_name = "VAR")]
    pub dst_access_key_env: Option<String>,
    /// Environment variable holding the destination secret access key.
    #[arg(long = "dest-secret-key-env", value_name = "VAR")]
    pub dst_secret_key_env: Option<String>,
}

/// `forge doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Fix what can be fixed (start the Podman machine, free ports held by gvproxy).
    #[arg(long)]
    pub fix: bool,
    /// As JSON: `{"checks": [...], "ok": bool}`.
    #[arg(long)]
    pub json: bool,
}

/// `--json`.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output, one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// Options shared by plan, apply and destroy.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Only this resource and what it depends on (address, `kind`, or `*` pattern). Repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave out this resource and what depends on it. Repeatable.
    #[arg(long = "exclude", value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Read the real world before planning (`--refresh=false` trusts state).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub refresh: bool,
    /// At most this many operations at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Wait this long for another run's lock (e.g. `30s`, `2m`); default: fail at once.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// Give up on any single operation after this long.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub timeout: Duration,
    /// Machine-readable output, one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// After a failed apply, list every failed and skipped resource on its own line.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

impl RunArgs {
    /// What the engine should plan, with the command's `--replace` and `--destroy`.
    pub fn request(&self, replace: &[String], destroy: bool) -> crate::engine::PlanRequest {
        crate::engine::PlanRequest {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
            replace: replace.to_vec(),
            destroy,
            refresh: self.refresh,
            parallelism: self.parallelism as usize,
        }
    }
}

/// `forge plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Save the plan to this file for `forge apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Replace this resource even if unchanged. Repeatable.
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Plan a destroy.
    #[arg(long)]
    pub destroy: bool,
    /// Shared options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `forge apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `forge plan --out`: apply exactly it.
    pub plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Replace this resource even if unchanged. Repeatable.
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Shared options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `forge destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Shared options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `forge state ...`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the addresses in state (and say where it is, and if it is encrypted).
    List,
    /// Show one resource's state (secrets hidden).
    Show {
        /// The address.
        addr: String,
    },
    /// Forget resources without deleting them.
    Rm {
        /// Addresses.
        #[arg(required = true)]
        addrs: Vec<String>,
    },
    /// Print the whole state as JSON (decrypted; it holds secrets).
    Pull,
    /// Replace the state with a JSON file (`forge state pull` output); refuses another
    /// lineage or a lower serial unless --force.
    Push(PushArgs),
    /// Copy the state from the backend another forge.yaml names to this one's
    /// (e.g. `git show HEAD~1:forge.yaml > old.yaml`); refuses when the target holds
    /// another lineage.
    Migrate(MigrateArgs),
    /// Encrypt the state with the passphrase `backend.encryption` names.
    Encrypt(StateLockArgs),
    /// Decrypt the state after `backend.encryption` was removed from forge.yaml.
    Decrypt(OldPassphraseArgs),
    /// Re-encrypt the state with the passphrase forge.yaml names now (rotation).
    Rekey(OldPassphraseArgs),
}

/// `--lock-timeout` for state commands.
#[derive(Debug, Args, Clone)]
pub struct StateLockArgs {
    /// Wait this long for another run's lock (e.g. `30s`); default: fail at once.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
}

/// `forge state push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The state file (JSON, as `forge state pull` prints it).
    #[arg(value_name = "FILE")]
    pub state_file: PathBuf,
    /// Push even another lineage or a lower serial.
    #[arg(long)]
    pub force: bool,
    /// Lock options.
    #[command(flatten)]
    pub lock: StateLockArgs,
}

/// `forge state migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// A forge.yaml whose `backend:` says where the state is now (only that section is read).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Lock options.
    #[command(flatten)]
    pub lock: StateLockArgs,
}

/// The passphrase the state is encrypted with now (`decrypt`, `rekey`).
#[derive(Debug, Args)]
pub struct OldPassphraseArgs {
    /// Environment variable holding the current passphrase.
    #[arg(
        long,
        value_name = "VAR",
        required_unless_present = "old_passphrase_file",
        conflicts_with = "old_passphrase_file"
    )]
    pub old_passphrase_env: Option<String>,
    /// File holding the current passphrase.
    #[arg(long, value_name = "PATH")]
    pub old_passphrase_file: Option<PathBuf>,
    /// Lock options.
    #[command(flatten)]
    pub lock: StateLockArgs,
}

/// `forge force-unlock`.
#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock ID, as the "locked" error printed it.
    pub id: String,
}

/// `forge output`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Only this output, printed raw.
    pub name: Option<String>,
    /// As JSON.
    #[arg(long)]
    pub json: bool,
    /// Show sensitive values.
    #[arg(long)]
    pub show_sensitive: bool,
}

/// `forge graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// `dot` or `svg`.
    #[arg(long, default_value = "dot", value_parser = ["dot", "svg"])]
    pub format: String,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Read the real world to colour nodes (default: from state only, no network).
    #[arg(long)]
    pub refresh: bool,
}

/// `forge show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The saved plan.
    pub plan_file: PathBuf,
    /// As JSON.
    #[arg(long)]
    pub json: bool,
}

/// `forge schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Where to write it (`-` for stdout).
    #[arg(long, short = 'o', default_value = "schemas/forge.schema.json")]
    pub out: PathBuf,
    /// Fail if the file differs instead of writing it.
    #[arg(long)]
    pub check: bool,
}

/// `forge completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Parses `500ms`, `30s`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}` has an unknown unit (use ms, s, m or h)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Runs the command; on error, [`exit::code`] gives the exit code. `interrupt` is armed
/// by apply and destroy once their changes start (see [`Interrupt`]).
pub async fn run(cli: Cli, interrupt: Interrupt) -> Result<i32, Error> {
    let ctx = global::Global::new(&cli);
    match cli.command {
        Command::Validate(a) => misc::validate(&ctx, a.json),
        Command::Plan(a) => plan::run(&ctx, a).await,
        Command::Apply(a) => apply::apply(&ctx, a, &interrupt).await,
        Command::Destroy(a) => apply::destroy(&ctx, a, &interrupt).await,
        Command::State(c) => state::run(&ctx, c),
        Command::ForceUnlock(a) => state::force_unlock(&ctx, a),
        Command::Output(a) => inspect::output(&ctx, a),
        Command::Graph(a) => inspect::graph(&ctx, a).await,
        Command::Show(a) => inspect::show(&ctx, a),
        Command::Schema(a) => misc::schema(a),
        Command::Doctor(a) => doctor::run(&ctx, a).await,
        Command::Iceberg(IcebergCommand::RewritePaths(a)) => iceberg::rewrite_paths(a),
        Command::Catalog(CatalogCommand::Export { catalogs }) => {
            polaris::export(&ctx, &catalogs).await
        }
        Command::Api(a) => polaris::api(&ctx, a).await,
        Command::Query(a) => query::run(&ctx, a).await,
        Command::Status(a) => status::run(&ctx, a).await,
        Command::S3(S3Command::Sync(a)) => s3::sync(a, &interrupt).await,
        Command::Completions(a) => misc::completions(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
