//! `polaris_principal_role`: a principal role. The bootstrap role `service_admin` is
//! only ever read: forge never deletes it, even when it leaves forge.yaml.

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Clients, api_error};
use super::common::{
    Reach, SERVICE_ADMIN, client, get_entity, mgmt, reach, unavailable_or, version,
};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_principal_role` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisPrincipalRole {
    clients: Clients,
}

impl PolarisPrincipalRole {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalRoleSpec {
    /// The server.
    pub polaris: Connection,
    /// Role name.
    pub name: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    /// Role name.
    pub name: String,
    /// Polaris's entity version.
    pub entity_version: i64,
}

impl Kind for PolarisPrincipalRole {
    const KIND: &'static str = "polaris_principal_role";
    type Spec = PrincipalRoleSpec;
}

#[async_trait]
impl Resource for PolarisPrincipalRole {
    type State = RoleState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalRoleSpec,
        _: Option<&RoleState>,
    ) -> Result<Observed<RoleState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let path = mgmt(&["principal-roles", &spec.name]);
        let found = get_entity(&c, &path, &format!("read principal role {}", spec.name)).await;
        Ok(match unavailable_or(found)? {
            Ok(Some(v)) => Observed::Present(RoleState {
                name: spec.name.clone(),
                entity_version: version(&v),
            }),
            Ok(None) => Observed::Absent,
            Err(why) => Observed::Unavailable(why),
        })
    }

    fn plan(&self, spec: &PrincipalRoleSpec, current: Option<&RoleState>) -> Planned {
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
        spec: &PrincipalRoleSpec,
        current: Option<&RoleState>,
        _: Action,
    ) -> Result<RoleState, ProviderError> {
        if let Some(cur) = current {
            return Ok(cur.clone());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let operation = format!("create principal role {}", spec.name);
        let body = json!({"principalRole": {"name": spec.name, "properties": {}}});
        let reply = c
            .call(
                Method::POST,
                &mgmt(&["principal-roles"]),
                Some(&body),
                &operation,
            )
            .await?;
        let v = match reply.status {
            200 | 201 => reply.body,
            // Created by an interrupted earlier run (or by hand): adopt it.
            409 => get_entity(&c, &mgmt(&["principal-roles", &spec.name]), &operation)
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
        spec: &PrincipalRoleSpec,
        _: &RoleState,
    ) -> Result<(), ProviderError> {
        if spec.name == SERVICE_ADMIN {
            // Polaris's own: forge only stops managing it.
            return Ok(());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        c.expect(
            Method::DELETE,
            &mgmt(&["principal-roles", &spec.name]),
            None,
            &format!("delete principal role {}", spec.name),
            &[200, 204, 404],
        )
        .await?;
        Ok(())
    }
}
