//! `forge s3 sync`: list both sides, copy what is new or resized, report.

use std::io::IsTerminal;

use super::exit;
use super::{Error, Interrupt, S3SyncArgs};
use crate::provider::Ctx;
use crate::providers::aws::client::ClientError;
use crate::providers::aws::sync::{self, Options};
use crate::providers::aws::{Clients, StoreSpec};
use crate::secret::{SecretSpec, Secrets};

fn parse(url: &str) -> Result<(String, String), Error> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| Error::Usage(format!("`{url}` is not an s3://bucket/prefix URL")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((bucket.to_string(), prefix.to_string()))
}

fn store(
    endpoint: &Option<String>,
    region: &Option<String>,
    profile: &Option<String>,
    ak: &Option<String>,
    sk: &Option<String>,
) -> StoreSpec {
    StoreSpec {
        endpoint: endpoint.clone(),
        region: region.clone(),
        path_style: Some(endpoint.is_some()),
        profile: profile.clone(),
        access_key: ak.clone().map(SecretSpec::Env),
        secret_key: sk.clone().map(SecretSpec::Env),
    }
}

pub async fn sync(a: S3SyncArgs, interrupt: &Interrupt) -> Result<i32, Error> {
    let ctx = Ctx::new(
        std::env::current_dir().unwrap_or_default(),
        Secrets::read_only(Default::default()),
    );
    let clients = Clients::default();
    let location = |spec: StoreSpec, url: &str| {
        let (clients, ctx, url) = (clients.clone(), ctx.clone(), url.to_string());
        async move {
            let (bucket, prefix) = parse(&url)?;
            clients
                .location(&ctx, &spec, &bucket, &prefix)
                .await
                .map_err(|e| match e {
                    ClientError::NotYet(why) => Error::Usage(why),
                    ClientError::Provider(e) => Error::Sync(e.into()),
                })
        }
    };
    let src_store = store(
        &a.src.src_endpoint,
        &a.src.src_region,
        &a.src.src_profile,
        &a.src.src_access_key_env,
        &a.src.src_secret_key_env,
    );
    let dst_store = store(
        &a.dst.dst_endpoint,
        &a.dst.dst_region,
        &a.dst.dst_profile,
        &a.dst.dst_access_key_env,
        &a.dst.dst_secret_key_env,
    );
    let src = location(src_store, &a.source).await?;
    let dst = location(dst_store, &a.destination).await?;
    let start = std::time::Instant::now();
    let (sl, dl) = tokio::join!(sync::list(&src), sync::list(&dst));
    let plan = sync::diff(&sl?, &dl?, |_| true);
    if a.dry_run {
        if a.json {
            println!("{}", serde_json::json!({"plan": plan}));
        } else {
            for (k, size) in &plan.copy {
                println!("copy {k} ({size} bytes)");
            }
            println!(
                "{} to copy ({} bytes), {} unchanged.",
                plan.copy.len(),
                plan.bytes,
                plan.unchanged
            );
        }
        return Ok(exit::OK);
    }
    let opts = Options {
        concurrency: a.concurrency,
        multipart_threshold: a.multipart_threshold_mib * 1024 * 1024,
        part_size: a.part_size_mib * 1024 * 1024,
        direct: !a.no_direct,
        ..Options::default()
    };
    let cancel = interrupt.arm();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let total = plan.copy.len() as u64;
    let printer = tokio::spawn(async move {
        let bar = std::io::stderr().is_terminal().then(|| {
            let pb = indicatif::ProgressBar::new(total);
            pb.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} objects {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
        while let Some(e) = rx.recv().await {
            match (&bar, e) {
                (Some(pb), sync::SyncEvent::Copied { .. }) => pb.inc(1),
                (_, sync::SyncEvent::Failed { key, error }) => eprintln!("failed {key}: {error}"),
                _ => {}
            }
        }
        if let Some(pb) = bar {
            pb.finish_and_clear();
        }
    });
    let report = sync::copy(&src, &dst, &plan, &opts, &cancel, Some(tx)).await;
    let _ = printer.await;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"plan": {"objects": plan.copy.len(), "bytes": plan.bytes, "unchanged": plan.unchanged}, "report": report, "seconds": start.elapsed().as_secs_f64()})
        );
    } else {
        println!(
            "Copied {} object(s), {} bytes, in {:.2}s; {} unchanged, {} failed.",
            report.copied,
            report.bytes,
            start.elapsed().as_secs_f64(),
            plan.unchanged,
            report.failed.len()
        );
    }
    Ok(if report.failed.is_empty() && report.not_run == 0 {
        exit::OK
    } else {
        exit::INCOMPLETE
    })
}
