//! `forge doctor [--fix] [--json]`: runs [`crate::doctor`]'s checks, prints them.

use super::global::Global;
use super::{DoctorArgs, Error, exit};
use crate::doctor::{self, Status};

pub async fn run(g: &Global, args: DoctorArgs) -> Result<i32, Error> {
    // forge.yaml is optional here: without it, the defaults are checked.
    let declared = g.declared().ok();
    let checks = doctor::run(declared.as_ref(), args.fix).await;
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
