//! `iam_role`: the role Snowflake assumes to reach the L2C bucket, with the policy
//! attached. Its trust is a kind of its own ([`super::IamRoleTrust`]) because it needs
//! values Snowflake knows only once the external volume exists: the role is created
//! with a placeholder trust (the account itself, with the external id), the volume is
//! created with that external id, and the trust then names Snowflake's IAM user. The
//! cycle users of other tools break by hand is three ordered steps of one apply.
//!
//! The external id is made once, when the role is created (random, so a stranger who
//! knows the names cannot guess it), and read back from the role's trust afterwards, so
//! it stays the same across applies and survives a lost state file.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::StoreSpec;
use super::account::{Account, Accounts};
use super::iam_policy::{iam_error, is_missing, tags_of};
use super::policy_doc::{decode, normalize, trust, trusted};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};
use crate::providers::retry::Backoff;

/// The `iam_role` kind.
#[derive(Debug, Clone, Default)]
pub struct IamRole {
    accounts: Accounts,
}

impl IamRole {
    /// The kind, sharing `accounts` with the other IAM kinds.
    pub fn new(accounts: Accounts) -> Self {
        Self { accounts }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    /// Role name.
    pub name: String,
    /// The AWS account.
    pub aws: StoreSpec,
    /// The policy to attach (`${iam_policy.NAME.arn}`).
    pub policy_arn: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    /// Role name.
    pub name: String,
    /// Its ARN (what the external volume names).
    pub arn: String,
    /// The external id its trust requires (`None`: the trust names none).
    pub external_id: Option<String>,
    /// The managed policies attached to it.
    pub policies: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Its trust document, normalized (managed by `iam_role_trust`, shown for reference).
    pub trust: Value,
}

impl Kind for IamRole {
    const KIND: &'static str = "iam_role";
    type Spec = IamRoleSpec;
}

/// How long IAM may take to show a new role or policy to the next call.
pub(super) fn consistency() -> Backoff {
    Backoff {
        first: Duration::from_millis(500),
        max: Duration::from_secs(4),
        attempts: 8,
    }
}

/// A new external id: `forge-` and 128 random bits in hex.
fn new_external_id() -> String {
    let bits: u128 = rand::random();
    format!("forge-{bits:032x}")
}

/// Reads role `name`: its ARN, trust, attached policies and tags; `None` if absent.
pub(super) async fn observe_role(
    account: &Account,
    aws: &StoreSpec,
    name: &str,
) -> Result<Option<RoleState>, ProviderError> {
    let role = match account.iam.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(e) if is_missing(&e) => return Ok(None),
        Err(e) => return Err(iam_error(e, format!("GetRole {name}"), aws)),
    };
    let Some(role) = role else {
        return Ok(None);
    };
    let trust_doc = match role.assume_role_policy_document() {
        Some(t) => decode(t).map_err(|message| ProviderError::Api {
            operation: format!("GetRole {name}"),
            status: None,
            code: None,
            message,
            hint: None,
        })?,
        None => json!({}),
    };
    let (_, external_id) = trusted(&trust_doc);
    let attached = account
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| iam_error(e, format!("ListAttachedRolePolicies {name}"), aws))?;
    let mut policies: Vec<String> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    policies.sort();
    let tags = account
        .iam
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(|e| iam_error(e, format!("ListRoleTags {name}"), aws))?
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    Ok(Some(RoleState {
        name: name.to_string(),
        arn: role.arn().to_string(),
        external_id,
        policies,
        tags,
        trust: normalize(&trust_doc),
    }))
}

#[async_trait]
impl Resource for IamRole {
    type State = RoleState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleSpec,
        _: Option<&RoleState>,
    ) -> Result<Observed<RoleState>, ProviderError> {
        let account = match self.accounts.get(ctx, &spec.aws).await {
            Ok(a) => a,
            Err(ProviderError::NotReady { reason, .. }) => {
                return Ok(Observed::Unavailable(reason));
            }
            Err(e) => return Err(e),
        };
        Ok(match observe_role(&account, &spec.aws, &spec.name).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &IamRoleSpec, current: Option<&RoleState>) -> Planned {
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after: json!({
                    "name": spec.name,
                    "policies": [spec.policy_arn],
                    "tags": spec.tags,
                }),
                reasons: vec![],
            };
        };
        let mut reasons = Vec::new();
        if cur.external_id.is_none() {
            reasons.push("its trust requires no external id: forge gives it one".to_string());
        }
        let attached = cur.policies.contains(&spec.policy_arn);
        let mut policies = cur.policies.clone();
        if !attached {
            policies.push(spec.policy_arn.clone());
            policies.sort();
        }
        let action = if !reasons.is_empty() || !attached || cur.tags != spec.tags {
            Action::Update
        } else {
            Action::NoOp
        };
        Planned {
            action,
            after: json!({
                "name": spec.name,
                "arn": cur.arn,
                "external_id": cur.external_id,
                "policies": policies,
                "tags": spec.tags,
                "trust": cur.trust,
            }),
            reasons,
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleSpec,
        current: Option<&RoleState>,
        _: Action,
    ) -> Result<RoleState, ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let name = &spec.name;
        let aws = &spec.aws;
        let mut current = current.cloned();
        if current.is_none() {
            let placeholder = trust(&account.arn("root"), &new_external_id());
            let created = account
                .iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(placeholder.to_string())
                .description("forge: lets Snowflake's external volume read the L2C bucket")
                .set_tags(Some(tags_of(&spec.tags)).filter(|t| !t.is_empty()))
                .send()
                .await;
            match created {
                Ok(_) => {}
                // An interrupted earlier run created it: converge what is there.
                Err(e)
                    if e.as_service_error()
                        .and_then(aws_sdk_iam::error::ProvideErrorMetadata::code)
                        == Some("EntityAlreadyExists") => {}
                Err(e) => return Err(iam_error(e, format!("CreateRole {name}"), aws)),
            }
            // IAM may not show the new role to the next call at once.
            current = consistency()
                .poll(ctx.timeout, || async {
                    observe_role(&account, aws, name).await.ok().flatten()
                })
                .await
                .ok();
            if current.is_none() {
                return Err(ProviderError::Api {
                    operation: format!("read role {name} back"),
                    status: None,
                    code: None,
                    message: "IAM does not show the role it just created".into(),
                    hint: Some("IAM may be slow to show new roles; run forge apply again".into()),
                });
            }
        }
        let cur = current.expect("the role was read or created above");
        if cur.external_id.is_none() {
            // Keep whoever the trust names, and require an external id of it.
            let (principal, _) = trusted(&cur.trust);
            let principal = principal.unwrap_or_else(|| account.arn("root"));
            account
                .iam
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(trust(&principal, &new_external_id()).to_string())
                .send()
                .await
                .map_err(|e| iam_error(e, format!("UpdateAssumeRolePolicy {name}"), aws))?;
        }
        if !cur.policies.contains(&spec.policy_arn) {
            consistency()
                .retry(
                    |e: &ProviderError| e.code() == Some("NoSuchEntity"),
                    || async {
                        account
                            .iam
                            .attach_role_policy()
                            .role_name(name)
                            .policy_arn(&spec.policy_arn)
                            .send()
                            .await
                            .map_err(|e| iam_error(e, format!("AttachRolePolicy {name}"), aws))
                    },
                )
                .await?;
        }
        if cur.tags != spec.tags {
            let gone: Vec<String> = cur
                .tags
                .keys()
                .filter(|k| !spec.tags.contains_key(*k))
                .cloned()
                .collect();
            if !gone.is_empty() {
                account
                    .iam
                    .untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| iam_error(e, format!("UntagRole {name}"), aws))?;
            }
            if !spec.tags.is_empty() {
                account
                    .iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(Some(tags_of(&spec.tags)))
                    .send()
                    .await
                    .map_err(|e| iam_error(e, format!("TagRole {name}"), aws))?;
            }
        }
        observe_role(&account, aws, name)
            .await?
            .ok_or_else(|| ProviderError::Api {
                operation: format!("read role {name} back"),
                status: None,
                code: None,
                message: "the role is gone".into(),
                hint: Some(
                    "someone deleted it while forge was applying; run forge apply again".into(),
                ),
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamRoleSpec,
        _: &RoleState,
    ) -> Result<(), ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let name = &spec.name;
        let aws = &spec.aws;
        // IAM refuses to delete a role that still has policies.
        let attached = match account
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
        {
            Ok(a) => a,
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => {
                return Err(iam_error(
                    e,
                    format!("ListAttachedRolePolicies {name}"),
                    aws,
                ));
            }
        };
        for p in attached.attached_policies() {
            if let Some(arn) = p.policy_arn() {
                match account
                    .iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if is_missing(&e) => {}
                    Err(e) => return Err(iam_error(e, format!("DetachRolePolicy {name}"), aws)),
                }
            }
        }
        let inline = account
            .iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(|e| iam_error(e, format!("ListRolePolicies {name}"), aws))?;
        for p in inline.policy_names() {
            account
                .iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(p)
                .send()
                .await
                .map_err(|e| iam_error(e, format!("DeleteRolePolicy {name}"), aws))?;
        }
        match account.iam.delete_role().role_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(iam_error(e, format!("DeleteRole {name}"), aws)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> IamRoleSpec {
        IamRoleSpec {
            name: "r".into(),
            aws: StoreSpec::default(),
            policy_arn: "arn:aws:iam::123456789012:policy/p".into(),
            tags: BTreeMap::new(),
        }
    }

    fn state() -> RoleState {
        let t = trust("arn:aws:iam::123456789012:root", "forge-1");
        RoleState {
            name: "r".into(),
            arn: "arn:aws:iam::123456789012:role/r".into(),
            external_id: Some("forge-1".into()),
            policies: vec![spec().policy_arn],
            tags: BTreeMap::new(),
            trust: normalize(&t),
        }
    }

    #[test]
    fn the_trust_is_not_the_roles_to_diff() {
        let r = IamRole::default();
        assert_eq!(r.plan(&spec(), None).action, Action::Create);
        assert_eq!(r.plan(&spec(), Some(&state())).action, Action::NoOp);
        // The final trust names Snowflake's user: still no change for the role.
        let mut s = state();
        s.trust = normalize(&trust("arn:aws:iam::999999999999:user/sf", "forge-1"));
        assert_eq!(r.plan(&spec(), Some(&s)).action, Action::NoOp);
    }

    #[test]
    fn a_detached_policy_or_a_trust_without_external_id_is_an_update() {
        let r = IamRole::default();
        let mut s = state();
        s.policies.clear();
        assert_eq!(r.plan(&spec(), Some(&s)).action, Action::Update);
        let mut s = state();
        s.external_id = None;
        let p = r.plan(&spec(), Some(&s));
        assert_eq!(p.action, Action::Update);
        assert!(p.reasons[0].contains("external id"), "{:?}", p.reasons);
    }

    #[test]
    fn external_ids_are_unguessable() {
        let (a, b) = (new_external_id(), new_external_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), "forge-".len() + 32);
    }
}
