//! `polaris_catalog`: an INTERNAL catalog on S3-compatible storage.
//!
//! Updated in place with `currentEntityVersion`, sending the whole desired property map
//! and storage config (Polaris replaces both); a version conflict (someone changed it
//! since it was read) is read again and retried once. A storage-type change is a
//! replace. Deleting refuses a catalog that still holds namespaces or catalog roles
//! forge does not manage (those it manages are deleted first, in graph order): forge
//! never empties a catalog it was not told to.

use std::collections::BTreeMap;

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, api_error};
use super::common::{
    CATALOG_ADMIN, Reach, client, get_entity, mgmt, reach, string_map, unavailable_or, version,
};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_catalog` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisCatalog {
    clients: Clients,
}

impl PolarisCatalog {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks of a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogSpec {
    /// The server.
    pub polaris: Connection,
    /// Catalog name (also the Iceberg REST prefix).
    pub name: String,
    /// Catalog properties; `default-base-location` is always set.
    pub properties: BTreeMap<String, String>,
    /// Where its tables live.
    pub storage: StorageSpec,
}

/// The catalog's `storageConfigInfo` (S3 only in this version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageSpec {
    /// `S3`.
    #[serde(rename = "type")]
    pub storage_type: String,
    /// Locations tables may use (`s3://bucket` first).
    pub allowed_locations: Vec<String>,
    /// The S3 endpoint clients use; `None` for AWS.
    pub endpoint: Option<String>,
    /// The S3 endpoint Polaris itself uses, when it differs (inside the cluster).
    pub endpoint_internal: Option<String>,
    /// Region.
    pub region: String,
    /// Path-style S3 addressing.
    pub path_style_access: bool,
    /// No STS: Polaris vends no credentials; clients bring their own keys.
    pub sts_unavailable: bool,
}

impl StorageSpec {
    /// As Polaris's `AwsStorageConfigInfo`.
    fn to_api(&self) -> Value {
        let mut v = json!({
            "storageType": self.storage_type,
            "allowedLocations": self.allowed_locations,
            "region": self.region,
            "pathStyleAccess": self.path_style_access,
            "stsUnavailable": self.sts_unavailable,
        });
        if let Some(e) = &self.endpoint {
            v["endpoint"] = json!(e);
        }
        if let Some(e) = &self.endpoint_internal {
            v["endpointInternal"] = json!(e);
        }
        v
    }

    /// From Polaris's `storageConfigInfo`; locations sorted so order never diffs.
    fn from_api(v: &Value) -> Self {
        let mut allowed: Vec<String> = v["allowedLocations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        allowed.sort();
        allowed.dedup();
        Self {
            storage_type: v["storageType"].as_str().unwrap_or("").to_string(),
            allowed_locations: allowed,
            endpoint: v["endpoint"].as_str().map(str::to_string),
            endpoint_internal: v["endpointInternal"].as_str().map(str::to_string),
            region: v["region"].as_str().unwrap_or("").to_string(),
            path_style_access: v["pathStyleAccess"].as_bool().unwrap_or(false),
            sts_unavailable: v["stsUnavailable"].as_bool().unwrap_or(false),
        }
    }

    fn normalized(&self) -> Self {
        let mut s = self.clone();
        s.allowed_locations.sort();
        s.allowed_locations.dedup();
        s
    }
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogState {
    /// Catalog name.
    pub name: String,
    /// Its properties, as the server holds them.
    pub properties: BTreeMap<String, String>,
    /// Its storage config.
    pub storage: StorageSpec,
    /// Polaris's entity version (each update raises it).
    pub entity_version: i64,
}

impl CatalogState {
    fn from_api(v: &Value) -> Self {
        Self {
            name: v["name"].as_str().unwrap_or("").to_string(),
            properties: string_map(&v["properties"]),
            storage: StorageSpec::from_api(&v["storageConfigInfo"]),
            entity_version: version(v),
        }
    }
}

impl Kind for PolarisCatalog {
    const KIND: &'static str = "polaris_catalog";
    type Spec = CatalogSpec;
}

impl PolarisCatalog {
    async fn get(c: &Client, name: &str) -> Result<Option<CatalogState>, ProviderError> {
        Ok(get_entity(
            c,
            &mgmt(&["catalogs", name]),
            &format!("read catalog {name}"),
        )
        .await?
        .map(|v| CatalogState::from_api(&v)))
    }

    async fn update(
        c: &Client,
        spec: &CatalogSpec,
        current: &CatalogState,
    ) -> Result<CatalogState, ProviderError> {
        let operation = format!("update catalog {}", spec.name);
        let mut version = current.entity_version;
        for attempt in 0..2 {
            let body = json!({
                "currentEntityVersion": version,
                "properties": spec.properties,
                "storageConfigInfo": spec.storage.to_api(),
            });
            let reply = c
                .call(
                    Method::PUT,
                    &mgmt(&["catalogs", &spec.name]),
                    Some(&body),
                    &operation,
                )
                .await?;
            match reply.status {
                200 => return Ok(CatalogState::from_api(&reply.body)),
                // Changed by someone else since forge read it: read again, try once more.
                409 if attempt == 0 => {
                    version = Self::get(c, &spec.name)
                        .await?
                        .map(|s| s.entity_version)
                        .ok_or_else(|| api_error(&operation, &reply, None))?;
                }
                _ => return Err(api_error(&operation, &reply, None)),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// What the catalog holds that forge would have to delete to drop it.
    async fn contents(c: &Client, name: &str) -> Result<Vec<String>, ProviderError> {
        let mut found = Vec::new();
        if let Some(prefix) = c.prefix(name).await? {
            let path = format!(
                "/api/catalog/v1/{}/namespaces",
                super::client::segment(&prefix)
            );
            let reply = c
                .expect(
                    Method::GET,
                    &path,
                    None,
                    &format!("list the namespaces of {name}"),
                    &[200, 404],
                )
                .await?;
            for ns in reply.body["namespaces"].as_array().into_iter().flatten() {
                let levels: Vec<&str> = ns
                    .as_array()
                    .map(|l| l.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                found.push(format!("namespace {}", levels.join(".")));
            }
        }
        let roles = c
            .expect(
                Method::GET,
                &mgmt(&["catalogs", name, "catalog-roles"]),
                None,
                &format!("list the catalog roles of {name}"),
                &[200, 404],
            )
            .await?;
        for r in roles.body["roles"].as_array().into_iter().flatten() {
            if let Some(n) = r["name"].as_str().filter(|n| *n != CATALOG_ADMIN) {
                found.push(format!("catalog role {n}"));
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl Resource for PolarisCatalog {
    type State = CatalogState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogSpec,
        _: Option<&CatalogState>,
    ) -> Result<Observed<CatalogState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        Ok(match unavailable_or(Self::get(&c, &spec.name).await)? {
            Ok(Some(s)) => Observed::Present(s),
            Ok(None) => Observed::Absent,
            Err(why) => Observed::Unavailable(why),
        })
    }

    fn plan(&self, spec: &CatalogSpec, current: Option<&CatalogState>) -> Planned {
        let after = |version: i64| {
            json!(CatalogState {
                name: spec.name.clone(),
                properties: spec.properties.clone(),
                storage: spec.storage.normalized(),
                entity_version: version,
            })
        };
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after: after(0),
                reasons: vec![],
            };
        };
        if cur.storage.storage_type != spec.storage.storage_type {
            return Planned {
                action: Action::Replace,
                after: after(0),
                reasons: vec![format!(
                    "a catalog's storage type cannot change ({} to {})",
                    cur.storage.storage_type, spec.storage.storage_type
                )],
            };
        }
        let same = cur.properties == spec.properties && cur.storage == spec.storage.normalized();
        Planned {
            action: if same { Action::NoOp } else { Action::Update },
            after: after(cur.entity_version),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogSpec,
        current: Option<&CatalogState>,
        _: Action,
    ) -> Result<CatalogState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let current = match current {
            Some(cur) => cur.clone(),
            None => {
                let body = json!({"catalog": {
                    "type": "INTERNAL",
                    "name": spec.name,
                    "properties": spec.properties,
                    "storageConfigInfo": spec.storage.to_api(),
                }});
                let operation = format!("create catalog {}", spec.name);
                let reply = c
                    .call(Method::POST, &mgmt(&["catalogs"]), Some(&body), &operation)
                    .await?;
                match reply.status {
                    200 | 201 => return Ok(CatalogState::from_api(&reply.body)),
                    // An interrupted earlier run created it: adopt it, then converge.
                    409 => Self::get(&c, &spec.name)
                        .await?
                        .ok_or_else(|| api_error(&operation, &reply, None))?,
                    _ => return Err(api_error(&operation, &reply, None)),
                }
            }
        };
        if self.plan(spec, Some(&current)).action == Action::NoOp {
            return Ok(current);
        }
        Self::update(&c, spec, &current).await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogSpec,
        _: &CatalogState,
    ) -> Result<(), ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let left = Self::contents(&c, &spec.name).await?;
        if !left.is_empty() {
            return Err(ProviderError::Conflict {
                message: format!(
                    "catalog `{}` still holds what forge does not manage: {}",
                    spec.name,
                    left.join(", ")
                ),
                hint: Some(
                    "forge never empties a catalog it was not told to: declare those entities in forge.yaml (so forge deletes them first) or drop them yourself".into(),
                ),
            });
        }
        c.expect(
            Method::DELETE,
            &mgmt(&["catalogs", &spec.name]),
            None,
            &format!("delete catalog {}", spec.name),
            &[200, 204, 404],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretSpec;

    fn spec() -> CatalogSpec {
        CatalogSpec {
            polaris: Connection {
                url: "http://x".into(),
                realm: "POLARIS".into(),
                client_id: "root".into(),
                client_secret: SecretSpec::Env("S".into()),
            },
            name: "polardb".into(),
            properties: BTreeMap::from([("default-base-location".into(), "s3://polardb".into())]),
            storage: StorageSpec {
                storage_type: "S3".into(),
                allowed_locations: vec!["s3://polardb".into(), "s3://extra".into()],
                endpoint: Some("http://localhost:19000".into()),
                endpoint_internal: None,
                region: "us-east-1".into(),
                path_style_access: true,
                sts_unavailable: true,
            },
        }
    }

    fn state() -> CatalogState {
        CatalogState {
            name: "polardb".into(),
            properties: spec().properties,
            storage: spec().storage.normalized(),
            entity_version: 3,
        }
    }

    #[test]
    fn plan_rules() {
        let r = PolarisCatalog::default();
        assert_eq!(r.plan(&spec(), None).action, Action::Create);
        assert_eq!(r.plan(&spec(), Some(&state())).action, Action::NoOp);
        let mut moved = state();
        moved.properties.insert("owner".into(), "me".into());
        assert_eq!(r.plan(&spec(), Some(&moved)).action, Action::Update);
        let mut gcs = state();
        gcs.storage.storage_type = "GCS".into();
        let p = r.plan(&spec(), Some(&gcs));
        assert_eq!(p.action, Action::Replace);
        assert!(p.reasons[0].contains("GCS to S3"));
    }

    #[test]
    fn location_order_is_not_a_change() {
        let r = PolarisCatalog::default();
        let mut s = spec();
        s.storage.allowed_locations.reverse();
        assert_eq!(r.plan(&s, Some(&state())).action, Action::NoOp);
    }
}
