//! `iam_role_trust`: the role's trust naming Snowflake's IAM user and the external id,
//! both read from the external volume (`DESC EXTERNAL VOLUME`). The second phase of
//! the role → volume → trust cycle: applied after the volume exists, so one apply
//! settles what other tools leave to the user.
//!
//! IAM is eventually consistent: a trust naming a principal IAM does not know yet is
//! refused as `MalformedPolicyDocument` (invalid principal) for a few seconds, and a
//! role created a moment ago may not be found; both are retried. Destroying the trust
//! puts the placeholder back (the account itself, same external id), so Snowflake
//! loses access even while the role remains.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::StoreSpec;
use super::account::Accounts;
use super::iam_policy::iam_error;
use super::iam_role::{consistency, observe_role};
use super::policy_doc::{normalize, trust, trusted};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `iam_role_trust` kind.
#[derive(Debug, Clone, Default)]
pub struct IamRoleTrust {
    accounts: Accounts,
}

impl IamRoleTrust {
    /// The kind, sharing `accounts` with the other IAM kinds.
    pub fn new(accounts: Accounts) -> Self {
        Self { accounts }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleTrustSpec {
    /// The AWS account.
    pub aws: StoreSpec,
    /// The role whose trust this is.
    pub role: String,
    /// Snowflake's IAM user (`${snowflake_external_volume.NAME.iam_user_arn}`).
    pub iam_user_arn: String,
    /// The external id (`${snowflake_external_volume.NAME.external_id}`).
    pub external_id: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustState {
    /// The role.
    pub role: String,
    /// Who the trust lets assume the role.
    pub principal: Option<String>,
    /// The external id it requires.
    pub external_id: Option<String>,
    /// The whole document, normalized.
    pub document: Value,
}

impl Kind for IamRoleTrust {
    const KIND: &'static str = "iam_role_trust";
    type Spec = IamRoleTrustSpec;
}

fn wanted(spec: &IamRoleTrustSpec) -> Value {
    normalize(&trust(&spec.iam_user_arn, &spec.external_id))
}

#[async_trait]
impl Resource for IamRoleTrust {
    type State = TrustState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleTrustSpec,
        _: Option<&TrustState>,
    ) -> Result<Observed<TrustState>, ProviderError> {
        let account = match self.accounts.get(ctx, &spec.aws).await {
            Ok(a) => a,
            Err(ProviderError::NotReady { reason, .. }) => {
                return Ok(Observed::Unavailable(reason));
            }
            Err(e) => return Err(e),
        };
        Ok(match observe_role(&account, &spec.aws, &spec.role).await? {
            // The trust forge wants is there only when it names Snowflake's user; the
            // placeholder counts as absent (the step has not run).
            Some(r) => {
                let (principal, external_id) = trusted(&r.trust);
                if principal.as_deref() == Some(account.arn("root").as_str()) {
                    Observed::Absent
                } else {
                    Observed::Present(TrustState {
                        role: spec.role.clone(),
                        principal,
                        external_id,
                        document: r.trust,
                    })
                }
            }
            None => Observed::Unavailable(format!("role {} does not exist yet", spec.role)),
        })
    }

    fn plan(&self, spec: &IamRoleTrustSpec, current: Option<&TrustState>) -> Planned {
        let after = json!({
            "role": spec.role,
            "principal": spec.iam_user_arn,
            "external_id": spec.external_id,
            "document": wanted(spec),
        });
        let action = match current {
            None => Action::Create,
            Some(c) if c.document != wanted(spec) => Action::Update,
            Some(_) => Action::NoOp,
        };
        Planned {
            action,
            after,
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleTrustSpec,
        _: Option<&TrustState>,
        _: Action,
    ) -> Result<TrustState, ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let role = &spec.role;
        let doc = trust(&spec.iam_user_arn, &spec.external_id).to_string();
        consistency()
            .retry(
                |e: &ProviderError| {
                    matches!(e.code(), Some("NoSuchEntity" | "MalformedPolicyDocument"))
                },
                || async {
                    account
                        .iam
                        .update_assume_role_policy()
                        .role_name(role)
                        .policy_document(&doc)
                        .send()
                        .await
                        .map_err(|e| {
                            iam_error(e, format!("UpdateAssumeRolePolicy {role}"), &spec.aws)
                        })
                },
            )
            .await?;
        Ok(TrustState {
            role: role.clone(),
            principal: Some(spec.iam_user_arn.clone()),
            external_id: Some(spec.external_id.clone()),
            document: wanted(spec),
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleTrustSpec,
        state: &TrustState,
    ) -> Result<(), ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let external_id = state.external_id.as_deref().unwrap_or(&spec.external_id);
        let placeholder = trust(&account.arn("root"), external_id).to_string();
        match account
            .iam
            .update_assume_role_policy()
            .role_name(&spec.role)
            .policy_document(placeholder)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if super::iam_policy::is_missing(&e) => Ok(()),
            Err(e) => Err(iam_error(
                e,
                format!("UpdateAssumeRolePolicy {}", spec.role),
                &spec.aws,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> IamRoleTrustSpec {
        IamRoleTrustSpec {
            aws: StoreSpec::default(),
            role: "r".into(),
            iam_user_arn: "arn:aws:iam::999999999999:user/sf".into(),
            external_id: "forge-1".into(),
        }
    }

    #[test]
    fn the_trust_follows_the_volume() {
        let t = IamRoleTrust::default();
        assert_eq!(t.plan(&spec(), None).action, Action::Create);
        let here = TrustState {
            role: "r".into(),
            principal: Some(spec().iam_user_arn),
            external_id: Some("forge-1".into()),
            document: wanted(&spec()),
        };
        assert_eq!(t.plan(&spec(), Some(&here)).action, Action::NoOp);
        let mut moved = spec();
        moved.iam_user_arn = "arn:aws:iam::999999999999:user/other".into();
        assert_eq!(t.plan(&moved, Some(&here)).action, Action::Update);
    }
}
