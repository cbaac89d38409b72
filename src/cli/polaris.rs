//! `forge api` and `forge catalog export`: authenticated calls to the Polaris forge.yaml
//! names, with the credentials it names (generated ones read from state).

use reqwest::Method;

use super::global::Global;
use super::{ApiArgs, Error, exit};
use crate::provider::Ctx;
use crate::providers::polaris::client::{Client, Clients, NoClient};
use crate::secret::Secrets;
use crate::state::StateStore;

/// A client for forge.yaml's Polaris.
fn client(g: &Global) -> Result<Client, Error> {
    let declared = g.declared()?;
    let conn = crate::expand::polaris_connection(&declared).ok_or_else(|| {
        Error::Usage(
            "forge.yaml declares no Polaris (no `catalog:` section and no `stack.polaris`)".into(),
        )
    })?;
    let saved = StateStore::peek(&g.work_dir)?.unwrap_or_default().secrets;
    let ctx = Ctx::new(g.work_dir.clone(), Secrets::read_only(saved));
    Clients::default().get(&ctx, &conn).map_err(|e| match e {
        NoClient::NotYet(why) => Error::Usage(format!(
            "Polaris cannot be reached yet: {why} (run `forge apply` first)"
        )),
        NoClient::Error(e) => Error::Provider(Box::new(e)),
    })
}

/// `forge api METHOD PATH [--data JSON] [--raw]`.
pub async fn api(g: &Global, a: ApiArgs) -> Result<i32, Error> {
    let method = Method::from_bytes(a.method.to_uppercase().as_bytes())
        .map_err(|_| Error::Usage(format!("`{}` is not an HTTP method", a.method)))?;
    let path = if a.path.starts_with("/api/") {
        a.path.clone()
    } else {
        format!("/api/management/v1/{}", a.path.trim_start_matches('/'))
    };
    let body = match &a.data {
        Some(d) => Some(
            serde_json::from_str(d)
                .map_err(|e| Error::Usage(format!("--data is not JSON: {e}")))?,
        ),
        None => None,
    };
    let c = client(g)?;
    let reply = c
        .call(
            method,
            &path,
            body.as_ref(),
            &format!("{} {path}", a.method.to_uppercase()),
        )
        .await
        .map_err(|e| Error::Provider(Box::new(e)))?;
    if a.raw {
        match &reply.body {
            serde_json::Value::String(s) => println!("{s}"),
            serde_json::Value::Null => {}
            v => println!("{v}"),
        }
    } else if !reply.body.is_null() {
        println!(
            "{}",
            serde_json::to_string_pretty(&reply.body).expect("a JSON value always prints")
        );
    }
    if !(200..300).contains(&reply.status) {
        eprintln!("HTTP {}", reply.status);
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}

/// `forge catalog export`.
pub async fn export(g: &Global, only: &[String]) -> Result<i32, Error> {
    let c = client(g)?;
    let e = crate::providers::polaris::export::read(&c, only)
        .await
        .map_err(|e| Error::Provider(Box::new(e)))?;
    print!("{}", crate::render::export::yaml(&e, c.url()));
    Ok(exit::OK)
}
