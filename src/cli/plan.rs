//! `forge plan`.

use tokio_util::sync::CancellationToken;

use super::global::Global;
use super::{Error, PlanArgs, exit};
use crate::engine::Mode;
use crate::render;

pub async fn run(g: &Global, args: PlanArgs) -> Result<i32, Error> {
    if args.run.json {
        println!("{}", render::json::version());
    }
    let engine = g.engine(args.run.lock_timeout)?;
    let ctx = engine.context(Mode::Plan, args.run.timeout, CancellationToken::new());
    let plan = engine
        .plan(&ctx, &args.run.request(&args.replace, args.destroy))
        .await?;
    if args.run.json {
        for line in render::json::plan(&plan) {
            println!("{line}");
        }
    } else {
        print!("{}", render::plan::render(&plan, g.style));
    }
    if let Some(out) = &args.out {
        let body = serde_json::to_vec_pretty(&plan).map_err(|e| Error::PlanFile {
            path: out.clone(),
            reason: e.to_string(),
        })?;
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        crate::state::write_atomic(&dir, out, &body).map_err(|e| Error::Write {
            path: out.clone(),
            source: std::io::Error::other(render::error_chain(&e)),
        })?;
        if !args.run.json {
            println!(
                "\nSaved the plan to {}. Apply exactly it with: forge apply {}",
                out.display(),
                out.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
