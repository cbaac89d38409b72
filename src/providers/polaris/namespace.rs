//! `polaris_namespace`: a namespace (nested by levels) and its properties, through the
//! catalog's Iceberg REST API (its prefix from `GET /api/catalog/v1/config`).
//!
//! forge manages every property of the namespace except `location`, which catalogs may
//! set themselves. Dropping refuses a namespace that still holds tables or namespaces
//! forge does not manage (managed ones are dropped first, in graph order).

use std::collections::BTreeMap;

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, api_error, namespace_segment, segment};
use super::common::{Reach, client, reach, string_map, unavailable_or};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// Properties the catalog may set on its own.
const SERVER_SET: &[&str] = &["location"];

/// The `polaris_namespace` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisNamespace {
    clients: Clients,
}

impl PolarisNamespace {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// Its levels, outermost first (`a.b` is `["a", "b"]`).
    pub namespace: Vec<String>,
    /// Namespace properties.
    pub properties: BTreeMap<String, String>,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceState {
    /// Its levels.
    pub namespace: Vec<String>,
    /// Its properties (those forge manages).
    pub properties: BTreeMap<String, String>,
}

impl Kind for PolarisNamespace {
    const KIND: &'static str = "polaris_namespace";
    type Spec = NamespaceSpec;
}

/// The catalog API path of a namespace below its catalog's prefix.
pub(super) fn ns_path(prefix: &str, levels: &[String]) -> String {
    format!(
        "/api/catalog/v1/{}/namespaces/{}",
        segment(prefix),
        namespace_segment(levels)
    )
}

impl PolarisNamespace {
    async fn get(
        c: &Client,
        spec: &NamespaceSpec,
    ) -> Result<Option<NamespaceState>, ProviderError> {
        let Some(prefix) = c.prefix(&spec.catalog).await? else {
            return Ok(None);
        };
        let reply = c
            .expect(
                Method::GET,
                &ns_path(&prefix, &spec.namespace),
                None,
                &format!("read namespace {}", spec.namespace.join(".")),
                &[200, 404],
            )
            .await?;
        Ok((reply.status == 200).then(|| NamespaceState {
            namespace: spec.namespace.clone(),
            properties: managed(string_map(&reply.body["properties"])),
        }))
    }

    /// What the namespace holds that forge would have to drop with it.
    async fn contents(
        c: &Client,
        prefix: &str,
        spec: &NamespaceSpec,
    ) -> Result<Vec<String>, ProviderError> {
        let base = ns_path(prefix, &spec.namespace);
        let mut left = Vec::new();
        let tables = c
            .expect(
                Method::GET,
                &format!("{base}/tables"),
                None,
                "list tables",
                &[200, 404],
            )
            .await?;
        for t in tables.body["identifiers"].as_array().into_iter().flatten() {
            left.push(format!("table {}", t["name"].as_str().unwrap_or("?")));
        }
        let views = c
            .expect(
                Method::GET,
                &format!("{base}/views"),
                None,
                "list views",
                &[200, 404, 400],
            )
            .await?;
        for v in views.body["identifiers"].as_array().into_iter().flatten() {
            left.push(format!("view {}", v["name"].as_str().unwrap_or("?")));
        }
        let children = c
            .expect(
                Method::GET,
                &format!(
                    "/api/catalog/v1/{}/namespaces?parent={}",
                    segment(prefix),
                    namespace_segment(&spec.namespace)
                ),
                None,
                "list child namespaces",
                &[200, 404],
            )
            .await?;
        for n in children.body["namespaces"].as_array().into_iter().flatten() {
            let levels: Vec<&str> = n
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            left.push(format!("namespace {}", levels.join(".")));
        }
        Ok(left)
    }
}

fn managed(mut props: BTreeMap<String, String>) -> BTreeMap<String, String> {
    props.retain(|k, _| !SERVER_SET.contains(&k.as_str()));
    props
}

#[async_trait]
impl Resource for PolarisNamespace {
    type State = NamespaceState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &NamespaceSpec,
        _: Option<&NamespaceState>,
    ) -> Result<Observed<NamespaceState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        Ok(match unavailable_or(Self::get(&c, spec).await)? {
            Ok(Some(s)) => Observed::Present(s),
            Ok(None) => Observed::Absent,
            Err(why) => Observed::Unavailable(why),
        })
    }

    fn plan(&self, spec: &NamespaceSpec, current: Option<&NamespaceState>) -> Planned {
        let wanted = managed(spec.properties.clone());
        let action = match current {
            None => Action::Create,
            Some(cur) if cur.properties == wanted => Action::NoOp,
            Some(_) => Action::Update,
        };
        Planned {
            action,
            after: json!(NamespaceState {
                namespace: spec.namespace.clone(),
                properties: wanted,
            }),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &NamespaceSpec,
        current: Option<&NamespaceState>,
        _: Action,
    ) -> Result<NamespaceState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let name = spec.namespace.join(".");
        let prefix = c
            .prefix(&spec.catalog)
            .await?
            .ok_or_else(|| ProviderError::NotReady {
                what: format!("catalog {}", spec.catalog),
                reason: "it does not exist".into(),
            })?;
        let current = match current {
            Some(cur) => cur.clone(),
            None => {
                let operation = format!("create namespace {name}");
                let body = json!({"namespace": spec.namespace, "properties": spec.properties});
                let path = format!("/api/catalog/v1/{}/namespaces", segment(&prefix));
                let reply = c.call(Method::POST, &path, Some(&body), &operation).await?;
                match reply.status {
                    200 | 201 => {
                        return Ok(NamespaceState {
                            namespace: spec.namespace.clone(),
                            properties: managed(spec.properties.clone()),
                        });
                    }
                    // Made by an interrupted earlier run (or by hand): adopt, then converge.
                    409 => Self::get(&c, spec)
                        .await?
                        .ok_or_else(|| api_error(&operation, &reply, None))?,
                    _ => return Err(api_error(&operation, &reply, None)),
                }
            }
        };
        let wanted = managed(spec.properties.clone());
        if current.properties == wanted {
            return Ok(current);
        }
        let removals: Vec<&String> = current
            .properties
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .collect();
        let updates: BTreeMap<&String, &String> = wanted
            .iter()
            .filter(|(k, v)| current.properties.get(*k) != Some(*v))
            .collect();
        let body = json!({"removals": removals, "updates": updates});
        c.expect(
            Method::POST,
            &format!("{}/properties", ns_path(&prefix, &spec.namespace)),
            Some(&body),
            &format!("update the properties of namespace {name}"),
            &[200],
        )
        .await?;
        Ok(NamespaceState {
            namespace: spec.namespace.clone(),
            properties: wanted,
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &NamespaceSpec,
        _: &NamespaceState,
    ) -> Result<(), ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let Some(prefix) = c.prefix(&spec.catalog).await? else {
            return Ok(());
        };
        let name = spec.namespace.join(".");
        if Self::get(&c, spec).await?.is_none() {
            return Ok(());
        }
        let left = Self::contents(&c, &prefix, spec).await?;
        if !left.is_empty() {
            return Err(ProviderError::Conflict {
                message: format!(
                    "namespace `{name}` still holds what forge does not manage: {}",
                    left.join(", ")
                ),
                hint: Some(
                    "declare them in forge.yaml (so forge drops them first) or drop them yourself"
                        .into(),
                ),
            });
        }
        c.expect(
            Method::DELETE,
            &ns_path(&prefix, &spec.namespace),
            None,
            &format!("drop namespace {name}"),
            &[200, 204, 404],
        )
        .await?;
        Ok(())
    }
}
