//! `forge apply` and `forge destroy`.

use std::io::{BufRead, IsTerminal, Write};

use tokio::sync::mpsc;

use super::session::{Global, Session};
use super::{ApplyArgs, DestroyArgs, Error, RunArgs};
use crate::apply::{Applier, ApplyEvent, ApplyReport};
use crate::exit;
use crate::plan::Plan;
use crate::provider::Action;
use crate::render::{self, progress::Progress};

pub async fn apply(g: &Global, args: ApplyArgs) -> Result<i32, Error> {
    match &args.plan_file {
        Some(path) => apply_saved(g, path, &args.run).await,
        None => plan_and_apply(g, &args.run, &args.replace, false, args.auto_approve).await,
    }
}

pub async fn destroy(g: &Global, args: DestroyArgs) -> Result<i32, Error> {
    plan_and_apply(g, &args.run, &[], true, args.auto_approve).await
}

async fn plan_and_apply(
    g: &Global,
    run: &RunArgs,
    replace: &[String],
    destroy: bool,
    auto_approve: bool,
) -> Result<i32, Error> {
    if run.json {
        println!("{}", render::json::version());
    }
    let session = Session::open(g, run.lock_timeout)?;
    let ctx = session.ctx(&g.work_dir, run, false);
    let plan = session.plan(&ctx, run, replace, destroy).await?;
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
            let applier = Applier {
                registry: session.registry.clone(),
                ctx: session.ctx(&g.work_dir, run, true),
                parallelism: 1,
                events: None,
            };
            let (_, report) = applier
                .apply(&plan, session.store, &session.config.outputs)
                .await;
            if let Some(e) = report.save_error {
                return Err(e.into());
            }
        }
        return Ok(exit::OK);
    }
    if !auto_approve {
        confirm(destroy)?;
    }
    execute(g, session, plan, run).await
}

async fn apply_saved(g: &Global, path: &std::path::Path, run: &RunArgs) -> Result<i32, Error> {
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
    let session = Session::open(g, run.lock_timeout)?;
    let stale = |reason: String| Error::StalePlan {
        path: path.to_path_buf(),
        reason,
    };
    if session.config.digest != plan.config_digest {
        return Err(stale(
            "forge.yaml (or a variable it reads) changed since the plan was made".into(),
        ));
    }
    let state = session.store.state();
    if state.lineage != plan.state_lineage && plan.state_serial > 0 {
        return Err(stale("the state belongs to another lineage".into()));
    }
    if state.serial != plan.state_serial {
        return Err(stale(format!(
            "the state changed since the plan was made (serial {} then, {} now)",
            plan.state_serial, state.serial
        )));
    }
    if !plan.has_changes() {
        print!("{}", render::plan::no_changes(&plan));
        return Ok(exit::OK);
    }
    execute(g, session, plan, run).await
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

async fn execute(g: &Global, session: Session, plan: Plan, run: &RunArgs) -> Result<i32, Error> {
    let ctx = session.ctx(&g.work_dir, run, true);
    let cancel = ctx.cancel.clone();
    let json = run.json;
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\nInterrupt received: finishing the changes in flight and saving state (press Ctrl-C again to quit at once)..."
            );
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(exit::INTERRUPTED);
            }
        }
    });
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
    let applier = Applier {
        registry: session.registry.clone(),
        ctx,
        parallelism: run.parallelism as usize,
        events: Some(tx),
    };
    let (store, report) = applier
        .apply(&plan, session.store, &session.config.outputs)
        .await;
    drop(applier);
    let _ = printer.await;
    summarize(g, &plan, &report, run.json);
    if let Some(e) = report.save_error {
        return Err(e.into());
    }
    if !report.complete() {
        return Err(Error::Incomplete {
            failed: report.failed.len(),
            skipped: report.skipped.len() + report.not_run.len(),
            interrupted: report.interrupted,
        });
    }
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

fn summarize(g: &Global, plan: &Plan, report: &ApplyReport, json: bool) {
    let (mut add, mut change, mut remove) = (0, 0, 0);
    for (_, action, _) in &report.done {
        match action {
            Action::Create => add += 1,
            Action::Update | Action::Import => change += 1,
            Action::Replace => {
                add += 1;
                remove += 1
            }
            Action::Delete => remove += 1,
            _ => {}
        }
    }
    let op = if plan.destroy { "destroy" } else { "apply" };
    if json {
        println!("{}", render::json::apply_summary(add, change, remove, op));
        return;
    }
    let style = g.style;
    if report.complete() {
        if plan.destroy {
            println!(
                "\n{} Resources: {remove} destroyed.",
                style.green(&style.bold("Destroy complete!"))
            );
        } else {
            println!(
                "\n{} Resources: {add} added, {change} changed, {remove} destroyed.",
                style.green(&style.bold("Apply complete!"))
            );
        }
        return;
    }
    println!(
        "\n{} Resources: {add} added, {change} changed, {remove} destroyed; {} failed.",
        style.red(&style.bold(if plan.destroy {
            "Destroy incomplete."
        } else {
            "Apply incomplete."
        })),
        report.failed.len()
    );
    for (addr, _, e) in &report.failed {
        println!(
            "  {} {addr}: {}",
            style.red("failed "),
            render::error_chain(e)
        );
    }
    for (addr, because) in &report.skipped {
        println!(
            "  {} {addr} (because {because} failed)",
            style.yellow("skipped")
        );
    }
    for addr in &report.not_run {
        println!(
            "  {} {addr} (interrupted before it started)",
            style.yellow("not run")
        );
    }
}
