//! `forge doctor [--fix] [--json]`: runs [`crate::doctor`]'s checks, prints them.

use super::global::Global;
use super::{DoctorArgs, Error, exit};
use crate::doctor::{self, Status};

pub async fn run(g: &Global, args: DoctorArgs) -> Result<i32, Error> {
    // forge.yaml is optional here: without it, the defaults are checked.
    let declared = g.declared().ok();
    let mut checks = doctor::run(declared.as_ref(), args.fix).await;
    // What a plan would find stops whole providers (credentials, servers), as checks.
    if let Some(d) = &declared {
        let state = crate::state::StateStore::peek(&g.work_dir)?.unwrap_or_default();
        let ctx = crate::provider::Ctx::new(
            g.work_dir.clone(),
            crate::secret::Secrets::read_only(state.secrets.clone()),
        );
        let registry = crate::providers::registry();
        match crate::engine::preflight(d, &state, &registry, &ctx).await {
            Ok(blocked) => checks.extend(blocked.into_iter().map(doctor::blocker_check)),
            Err(e) => checks.push(doctor::Check {
                name: "forge.yaml's resources".into(),
                status: Status::Fail,
                message: crate::render::error_chain(&e),
                hint: None,
            }),
        }
    }
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    if args.json {
        println!("{}", serde_json::json!({"checks": checks, "ok": ok}));
    } else {
        for c in &checks {
            let mark = match c.status {
                Status::Ok => g.style.green("ok  "),
                Status::Warn => g.style.yellow("warn"),
                Status::Fail => g.style.red("FAIL"),
            };
            println!("{mark} {}: {}", c.name, c.message);
            if let Some(h) = &c.hint {
                println!("     hint: {h}");
            }
        }
    }
    Ok(if ok { exit::OK } else { exit::ERROR })
}
