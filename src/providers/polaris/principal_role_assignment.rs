//! `polaris_principal_role_assignment`: a principal role given to a principal. Root's
//! `service_admin` is never taken away.

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Clients, api_error};
use super::common::{
    ROOT, Reach, SERVICE_ADMIN, client, delete_gone_ok, mgmt, reach, unavailable_or,
};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_principal_role_assignment` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisPrincipalRoleAssignment {
    clients: Clients,
}

impl PolarisPrincipalRoleAssignment {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalRoleAssignmentSpec {
    /// The server.
    pub polaris: Connection,
    /// The principal.
    pub principal: String,
    /// The principal role it gets.
    pub principal_role: String,
}

/// An assignment that exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentState {
    /// Who has the role.
    pub grantee: String,
    /// The role.
    pub role: String,
}

impl Kind for PolarisPrincipalRoleAssignment {
    const KIND: &'static str = "polaris_principal_role_assignment";
    type Spec = PrincipalRoleAssignmentSpec;
}

#[async_trait]
impl Resource for PolarisPrincipalRoleAssignment {
    type State = AssignmentState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalRoleAssignmentSpec,
        _: Option<&AssignmentState>,
    ) -> Result<Observed<AssignmentState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let operation = format!("list the principal roles of {}", spec.principal);
        let listed = c
            .expect(
                Method::GET,
                &mgmt(&["principals", &spec.principal, "principal-roles"]),
                None,
                &operation,
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
            .any(|r| r["name"] == spec.principal_role.as_str());
        Ok(if reply.status == 200 && has {
            Observed::Present(AssignmentState {
                grantee: spec.principal.clone(),
                role: spec.principal_role.clone(),
            })
        } else {
            Observed::Absent
        })
    }

    fn plan(
        &self,
        spec: &PrincipalRoleAssignmentSpec,
        current: Option<&AssignmentState>,
    ) -> Planned {
        Planned {
            action: if current.is_some() {
                Action::NoOp
            } else {
                Action::Create
            },
            after: json!({"grantee": spec.principal, "role": spec.principal_role}),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalRoleAssignmentSpec,
        _: Option<&AssignmentState>,
        _: Action,
    ) -> Result<AssignmentState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let operation = format!(
            "assign principal role {} to {}",
            spec.principal_role, spec.principal
        );
        let body = json!({"principalRole": {"name": spec.principal_role}});
        // Assigning again is a no-op on the server: safe to repeat.
        let reply = c
            .call(
                Method::PUT,
                &mgmt(&["principals", &spec.principal, "principal-roles"]),
                Some(&body),
                &operation,
            )
            .await?;
        if !matches!(reply.status, 200 | 201 | 204) {
            return Err(api_error(&operation, &reply, None));
        }
        Ok(AssignmentState {
            grantee: spec.principal.clone(),
            role: spec.principal_role.clone(),
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalRoleAssignmentSpec,
        _: &AssignmentState,
    ) -> Result<(), ProviderError> {
        if spec.principal == ROOT && spec.principal_role == SERVICE_ADMIN {
            return Ok(());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        delete_gone_ok(
            &c,
            &mgmt(&[
                "principals",
                &spec.principal,
                "principal-roles",
                &spec.principal_role,
            ]),
            &format!(
                "revoke principal role {} from {}",
                spec.principal_role, spec.principal
            ),
        )
        .await
    }
}
