//! `polaris_catalog_role_assignment`: a catalog role given to a principal role.
//! `service_admin`'s `catalog_admin` is never taken away.

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Clients, api_error};
use super::common::{
    CATALOG_ADMIN, Reach, SERVICE_ADMIN, client, delete_gone_ok, mgmt, reach, unavailable_or,
};
use super::principal_role_assignment::AssignmentState;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_catalog_role_assignment` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisCatalogRoleAssignment {
    clients: Clients,
}

impl PolarisCatalogRoleAssignment {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRoleAssignmentSpec {
    /// The server.
    pub polaris: Connection,
    /// The principal role that gets the catalog role.
    pub principal_role: String,
    /// The catalog the role belongs to.
    pub catalog: String,
    /// The catalog role.
    pub catalog_role: String,
}

impl Kind for PolarisCatalogRoleAssignment {
    const KIND: &'static str = "polaris_catalog_role_assignment";
    type Spec = CatalogRoleAssignmentSpec;
}

fn state(spec: &CatalogRoleAssignmentSpec) -> AssignmentState {
    AssignmentState {
        grantee: spec.principal_role.clone(),
        role: format!("{}/{}", spec.catalog, spec.catalog_role),
    }
}

#[async_trait]
impl Resource for PolarisCatalogRoleAssignment {
    type State = AssignmentState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleAssignmentSpec,
        _: Option<&AssignmentState>,
    ) -> Result<Observed<AssignmentState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let listed = c
            .expect(
                Method::GET,
                &mgmt(&[
                    "principal-roles",
                    &spec.principal_role,
                    "catalog-roles",
                    &spec.catalog,
                ]),
                None,
                &format!(
                    "list the catalog roles of {} in {}",
                    spec.principal_role, spec.catalog
                ),
                &[200, 404],
            )
            .await;
        let reply = match unavailable_or(listed)? {
            Ok(r) => r,
            Err(why) => return Ok(Observed::Unavailable(why)),
        };
        let has = reply.body["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["name"] == spec.catalog_role.as_str());
        Ok(if reply.status == 200 && has {
            Observed::Present(state(spec))
        } else {
            Observed::Absent
        })
    }

    fn plan(&self, spec: &CatalogRoleAssignmentSpec, current: Option<&AssignmentState>) -> Planned {
        Planned {
            action: if current.is_some() {
                Action::NoOp
            } else {
                Action::Create
            },
            after: json!(state(spec)),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleAssignmentSpec,
        _: Option<&AssignmentState>,
        _: Action,
    ) -> Result<AssignmentState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let operation = format!(
            "assign catalog role {}/{} to {}",
            spec.catalog, spec.catalog_role, spec.principal_role
        );
        let body = json!({"catalogRole": {"name": spec.catalog_role}});
        let reply = c
            .call(
                Method::PUT,
                &mgmt(&[
                    "principal-roles",
                    &spec.principal_role,
                    "catalog-roles",
                    &spec.catalog,
                ]),
                Some(&body),
                &operation,
            )
            .await?;
        if !matches!(reply.status, 200 | 201 | 204) {
            return Err(api_error(&operation, &reply, None));
        }
        Ok(state(spec))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &CatalogRoleAssignmentSpec,
        _: &AssignmentState,
    ) -> Result<(), ProviderError> {
        if spec.principal_role == SERVICE_ADMIN && spec.catalog_role == CATALOG_ADMIN {
            return Ok(());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        delete_gone_ok(
            &c,
            &mgmt(&[
                "principal-roles",
                &spec.principal_role,
                "catalog-roles",
                &spec.catalog,
                &spec.catalog_role,
            ]),
            &format!(
                "revoke catalog role {}/{} from {}",
                spec.catalog, spec.catalog_role, spec.principal_role
            ),
        )
        .await
    }
}
