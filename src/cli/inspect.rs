//! `forge output`, `forge graph`, `forge show` (`forge state` is in `state.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use tokio_util::sync::CancellationToken;

use super::exit;
use super::global::Global;
use super::{Error, GraphArgs, OutputArgs, ShowArgs};
use crate::addr::ResourceAddr;
use crate::engine::{Mode, PlanRequest};
use crate::plan::Plan;
use crate::provider::Action;
use crate::render;
use crate::state::State;

fn peek(g: &Global) -> Result<State, Error> {
    super::state::peek(g)
}

pub fn output(g: &Global, args: OutputArgs) -> Result<i32, Error> {
    let state = peek(g)?;
    match &args.name {
        Some(name) => {
            let o = state.outputs.get(name).ok_or_else(|| {
                Error::NotFound(format!(
                    "output `{name}` is not defined or not known yet (run `forge apply`)"
                ))
            })?;
            if args.json {
                let v = if o.sensitive && !args.show_sensitive {
                    Value::Null
                } else {
                    Value::String(o.value.clone())
                };
                println!("{v}");
            } else if o.sensitive && !args.show_sensitive {
                println!("(sensitive: use --show-sensitive)");
            } else {
                println!("{}", o.value);
            }
        }
        None if args.json => {
            let map: serde_json::Map<String, Value> = state
                .outputs
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::json!({"sensitive": v.sensitive, "type": "string", "value": if v.sensitive && !args.show_sensitive { Value::Null } else { Value::String(v.value.clone()) }})))
                .collect();
            println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        }
        None => {
            for (k, v) in &state.outputs {
                let shown = if v.sensitive && !args.show_sensitive {
                    "(sensitive)".to_string()
                } else {
                    format!("{:?}", v.value)
                };
                println!("{k} = {shown}");
            }
        }
    }
    Ok(exit::OK)
}

pub async fn graph(g: &Global, args: GraphArgs) -> Result<i32, Error> {
    let engine = g.engine(Duration::ZERO)?;
    let ctx = engine.context(
        Mode::Plan,
        Duration::from_secs(60),
        CancellationToken::new(),
    );
    let request = PlanRequest {
        refresh: args.refresh,
        ..PlanRequest::default()
    };
    let plan = engine.plan(&ctx, &request).await?;
    let actions: BTreeMap<ResourceAddr, Action> = plan
        .changes
        .iter()
        .map(|c| (c.addr.clone(), c.action))
        .collect();
    let text = match args.format.as_str() {
        "svg" => render::graph::svg(engine.graph(), &actions),
        _ => render::graph::dot(engine.graph(), &actions),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?,
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

pub fn show(g: &Global, args: ShowArgs) -> Result<i32, Error> {
    let body = std::fs::read(&args.plan_file).map_err(|e| Error::PlanFile {
        path: args.plan_file.clone(),
        reason: e.to_string(),
    })?;
    let plan: Plan = serde_json::from_slice(&body).map_err(|e| Error::PlanFile {
        path: args.plan_file.clone(),
        reason: format!("not a forge plan file ({e})"),
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&plan).unwrap_or_default());
    } else {
        print!("{}", render::plan::render(&plan, g.style));
    }
    Ok(exit::OK)
}
