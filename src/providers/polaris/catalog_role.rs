//! `polaris_catalog_role`: a role inside one catalog. The role every catalog gets,
//! `catalog_admin`, is only ever read: forge never deletes it.

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Clients, api_error};
use super::common::{
    CATALOG_ADMIN, Reach, client, get_entity, mgmt, reach, unavailable_or, version,
};
use super::principal_role::RoleState;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_catalog_role` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisCatalogRole {
    clients: Clients,
}

impl PolarisCatalogRole {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRoleSpec {
    /// The server.
    pub polaris: Connection,
    /// The catalog.
    pub catalog: String,
    /// Role name.
    pub name: String,
}

impl Kind for PolarisCatalogRole {
    const KIND: &'static str = "polaris_catalog_role";
    type Spec = CatalogRoleSpec;
}

#[async_trait]
impl Resource for PolarisCatalogRole {
    type State = RoleState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleSpec,
        _: Option<&RoleState>,
    ) -> Result<Observed<RoleState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let path = mgmt(&["catalogs", &spec.catalog, "catalog-roles", &spec.name]);
        let operation = format!("read catalog role {}/{}", spec.catalog, spec.name);
        Ok(
            match unavailable_or(get_entity(&c, &path, &operation).await)? {
                Ok(Some(v)) => Observed::Present(RoleState {
                    name: spec.name.clone(),
                    entity_version: version(&v),
                }),
                Ok(None) => Observed::Absent,
                Err(why) => Observed::Unavailable(why),
            },
        )
    }

    fn plan(&self, spec: &CatalogRoleSpec, current: Option<&RoleState>) -> Planned {
        Planned {
            action: if current.is_some() {
                Action::NoOp
            } else {
                Action::Create
            },
            after: json!({"name": spec.name, "entity_version": current.map_or(0, |c| c.entity_version)}),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleSpec,
        current: Option<&RoleState>,
        _: Action,
    ) -> Result<RoleState, ProviderError> {
        if let Some(cur) = current {
            return Ok(cur.clone());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let operation = format!("create catalog role {}/{}", spec.catalog, spec.name);
        let body = json!({"catalogRole": {"name": spec.name, "properties": {}}});
        let path = mgmt(&["catalogs", &spec.catalog, "catalog-roles"]);
        let reply = c.call(Method::POST, &path, Some(&body), &operation).await?;
        let v = match reply.status {
            200 | 201 => reply.body,
            409 => get_entity(
                &c,
                &mgmt(&["catalogs", &spec.catalog, "catalog-roles", &spec.name]),
                &operation,
            )
            .await?
            .ok_or_else(|| api_error(&operation, &reply, None))?,
            _ => return Err(api_error(&operation, &reply, None)),
        };
        Ok(RoleState {
            name: spec.name.clone(),
            entity_version: version(&v),
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleSpec,
        _: &RoleState,
    ) -> Result<(), ProviderError> {
        if spec.name == CATALOG_ADMIN {
            return Ok(());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        c.expect(
            Method::DELETE,
            &mgmt(&["catalogs", &spec.catalog, "catalog-roles", &spec.name]),
            None,
            &format!("delete catalog role {}/{}", spec.catalog, spec.name),
            &[200, 204, 404],
        )
        .await?;
        Ok(())
    }
}
