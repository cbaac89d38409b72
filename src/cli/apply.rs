//! `forge apply` and `forge destroy`: plan (or read a saved plan), confirm, then let
//! the engine carry it out while one task renders its progress.

use std::io::{BufRead, IsTerminal, Write};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::global::Global;
use super::{ApplyArgs, DestroyArgs, Error, Interrupt, RunArgs, exit};
use crate::apply::{ApplyEvent, ApplyReport};
use crate::engine::{Engine, Mode};
use crate::plan::Plan;
use crate::render::{self, progress::Progress};

pub async fn apply(g: &Global, args: ApplyArgs, interrupt: &Interrupt) -> Result<i32, Error> {
    match &args.plan_file {
        Some(path) => apply_saved(g, path, &args.run, interrupt).await,
        None => {
            let how = How {
                replace: &args.replace,
                destroy: false,
                auto_approve: args.auto_approve,
            };
            plan_and_apply(g, &args.run, how, interrupt).await
        }
    }
}

pub async fn destroy(g: &Global, args: DestroyArgs, interrupt: &Interrupt) -> Result<i32, Error> {
    let how = How {
        replace: &[],
        destroy: true,
        auto_approve: args.auto_approve,
    };
    plan_and_apply(g, &args.run, how, interrupt).await
}

/// What kind of run: `--replace`, destroy or not, ask or not.
struct How<'a> {
    replace: &'a [String],
    destroy: bool,
    auto_approve: bool,
}

async fn plan_and_apply(
    g: &Global,
    run: &RunArgs,
    how: How<'_>,
    interrupt: &Interrupt,
) -> Result<i32, Error> {
    if run.json {
        println!("{}", render::json::version());
    }
    let engine = g.engine(run.lock_timeout)?;
    let ctx = engine.context(Mode::Plan, run.timeout, CancellationToken::new());
    let plan = engine
        .plan(&ctx, &run.request(how.replace, how.destroy))
        .await?;
    if run.json {
        for line in render::json::plan(&plan) {
            println!("{line}");
        }
    } else {
        print!("{}", render::plan::render(&plan, g.style));
    }
    if !plan.has_changes() {
        if !plan.forget.is_empty() {
            // Resources already gone everywhere: drop them from state quietly.
            let ctx = engine.context(Mode::Apply, run.timeout, CancellationToken::new());
            engine.apply(&plan, ctx, 1, None).await?.outcome()?;
        }
        return Ok(exit::OK);
    }
    engine.check_not_emptied(&plan)?;
    if !how.auto_approve {
        confirm(how.destroy)?;
    }
    execute(g, engine, plan, run, interrupt).await
}

async fn apply_saved(
    g: &Global,
    path: &std::path::Path,
    run: &RunArgs,
    interrupt: &Interrupt,
) -> Result<i32, Error> {
    let body = std::fs::read(path).map_err(|e| Error::PlanFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let plan: Plan = serde_json::from_slice(&body).map_err(|e| Error::PlanFile {
        path: path.to_path_buf(),
        reason: format!("not a forge plan file ({e})"),
    })?;
    if plan.format != crate::plan::PLAN_FORMAT {
        return Err(Error::PlanFile {
            path: path.to_path_buf(),
            reason: format!("plan format {} is not supported", plan.format),
        });
    }
    if run.json {
        println!("{}", render::json::version());
    }
    let engine = g.engine(run.lock_timeout)?;
    engine
        .check_saved(&plan)
        .map_err(|reason| Error::StalePlan {
            path: path.to_path_buf(),
            reason,
        })?;
    if !plan.has_changes() {
        print!("{}", render::plan::no_changes(&plan));
        return Ok(exit::OK);
    }
    execute(g, engine, plan, run, interrupt).await
}

fn confirm(destroy: bool) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::NeedsApproval);
    }
    let what = if destroy {
        "destroy all the resources shown above"
    } else {
        "perform the actions described above"
    };
    print!(
        "\nDo you want to {what}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|_| Error::Cancelled)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Error::Cancelled)
    }
}

async fn execute(
    g: &Global,
    engine: Engine,
    plan: Plan,
    run: &RunArgs,
    interrupt: &Interrupt,
) -> Result<i32, Error> {
    let ctx = engine.context(Mode::Apply, run.timeout, interrupt.arm());
    let json = run.json;
    let (tx, mut rx) = mpsc::unbounded_channel::<ApplyEvent>();
    let style = g.style;
    let printer = tokio::spawn(async move {
        let mut progress = Progress::new(style, !json && std::io::stderr().is_terminal());
        while let Some(e) = rx.recv().await {
            if json {
                println!("{}", render::json::event(&e));
            } else {
                progress.event(&e);
            }
        }
    });
    if !json {
        println!();
    }
    let applied = engine
        .apply(&plan, ctx, run.parallelism as usize, Some(tx))
        .await?;
    let _ = printer.await;
    summarize(g, &plan, &applied.report, run);
    let store = applied.outcome()?;
    let outputs = &store.state().outputs;
    if !outputs.is_empty() && !plan.destroy {
        if run.json {
            println!("{}", render::json::outputs(outputs, false));
        } else {
            println!("\nOutputs:\n");
            for (k, v) in outputs {
                println!(
                    "{k} = {}",
                    if v.sensitive {
                        "(sensitive)".to_string()
                    } else {
                        format!("{:?}", v.value)
                    }
                );
            }
        }
    }
    Ok(exit::OK)
}

fn summarize(g: &Global, plan: &Plan, report: &ApplyReport, run: &RunArgs) {
    if run.json {
        let (add, change, remove) = report.totals();
        let op = if plan.destroy { "destroy" } else { "apply" };
        println!("{}", render::json::apply_summary(add, change, remove, op));
        return;
    }
    print!(
        "{}",
        render::outcome::summary(plan, report, g.style, run.verbose)
    );
}
