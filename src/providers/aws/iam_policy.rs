//! `iam_policy`: a customer-managed policy granting read-only access to the L2C bucket
//! (what a read-only Snowflake external volume needs). Read with GetPolicy and the
//! default version's document, URL-decoded and normalized before it is compared; a
//! changed document becomes a new default version (the oldest non-default one is
//! deleted first when IAM's limit of five is reached); tags are changed in place.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::StoreSpec;
use super::account::{Account, Accounts, endpoint};
use super::error::classify;
use super::policy_doc::{bucket_read, decode, normalize};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `iam_policy` kind.
#[derive(Debug, Clone, Default)]
pub struct IamPolicy {
    accounts: Accounts,
}

impl IamPolicy {
    /// The kind, sharing `accounts` with the other IAM kinds.
    pub fn new(accounts: Accounts) -> Self {
        Self { accounts }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamPolicySpec {
    /// Policy name.
    pub name: String,
    /// The AWS account (its store: region, profile).
    pub aws: StoreSpec,
    /// The bucket the policy grants access to.
    pub bucket: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyState {
    /// Policy name.
    pub name: String,
    /// Its ARN (what the role attaches).
    pub arn: String,
    /// The default version's document, normalized.
    pub document: Value,
    /// The default version (`v1`, `v2`, …).
    pub version: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl Kind for IamPolicy {
    const KIND: &'static str = "iam_policy";
    type Spec = IamPolicySpec;
}

/// `arn:…:iam::<account>:policy/<name>`.
fn policy_arn(account: &Account, name: &str) -> String {
    account.arn(&format!("policy/{name}"))
}

/// The partition of an ARN (`aws` when it has none).
pub(super) fn partition_of(arn: &str) -> &str {
    arn.strip_prefix("arn:")
        .and_then(|r| r.split(':').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// Maps an IAM error for `operation`.
pub(super) fn iam_error<E, R>(
    e: aws_sdk_iam::error::SdkError<E, R>,
    operation: String,
    aws: &StoreSpec,
) -> ProviderError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + super::error::HttpStatus + 'static,
{
    classify(e).into_error(operation, &endpoint(aws))
}

/// Whether an IAM error says the entity does not exist.
pub(super) fn is_missing<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "NoSuchEntity")
}

/// IAM tags from a map.
pub(super) fn tags_of(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl IamPolicy {
    async fn observe(
        &self,
        account: &Account,
        spec: &IamPolicySpec,
    ) -> Result<Option<PolicyState>, ProviderError> {
        let arn = policy_arn(account, &spec.name);
        let policy = match account.iam.get_policy().policy_arn(&arn).send().await {
            Ok(out) => out.policy,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => {
                return Err(iam_error(e, format!("GetPolicy {}", spec.name), &spec.aws));
            }
        };
        let Some(policy) = policy else {
            return Ok(None);
        };
        let version = policy.default_version_id().unwrap_or("v1").to_string();
        let doc = account
            .iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| iam_error(e, format!("GetPolicyVersion {}", spec.name), &spec.aws))?;
        let text = doc
            .policy_version()
            .and_then(|v| v.document())
            .unwrap_or("{}");
        let document = normalize(&decode(text).map_err(|message| ProviderError::Api {
            operation: format!("GetPolicyVersion {}", spec.name),
            status: None,
            code: None,
            message,
            hint: None,
        })?);
        let tags = account
            .iam
            .list_policy_tags()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| iam_error(e, format!("ListPolicyTags {}", spec.name), &spec.aws))?
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        Ok(Some(PolicyState {
            name: spec.name.clone(),
            arn,
            document,
            version,
            tags,
        }))
    }

    /// Makes `document` the default version, deleting the oldest non-default version
    /// first when five exist.
    async fn new_version(
        &self,
        account: &Account,
        spec: &IamPolicySpec,
        arn: &str,
        document: &str,
    ) -> Result<(), ProviderError> {
        let op = |what: &str| format!("{what} {}", spec.name);
        let versions = account
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| iam_error(e, op("ListPolicyVersions"), &spec.aws))?;
        let mut old: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if versions.versions().len() >= 5 {
            old.sort_by_key(|v| v.create_date().map(|d| d.secs()));
            if let Some(oldest) = old.first().and_then(|v| v.version_id()) {
                account
                    .iam
                    .delete_policy_version()
                    .policy_arn(arn)
                    .version_id(oldest)
                    .send()
                    .await
                    .map_err(|e| iam_error(e, op("DeletePolicyVersion"), &spec.aws))?;
            }
        }
        account
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(true)
            .send()
            .await
            .map_err(|e| iam_error(e, op("CreatePolicyVersion"), &spec.aws))?;
        Ok(())
    }

    async fn set_tags(
        &self,
        account: &Account,
        spec: &IamPolicySpec,
        arn: &str,
        have: &BTreeMap<String, String>,
    ) -> Result<(), ProviderError> {
        let gone: Vec<String> = have
            .keys()
            .filter(|k| !spec.tags.contains_key(*k))
            .cloned()
            .collect();
        if !gone.is_empty() {
            account
                .iam
                .untag_policy()
                .policy_arn(arn)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| iam_error(e, format!("UntagPolicy {}", spec.name), &spec.aws))?;
        }
        if &spec.tags != have && !spec.tags.is_empty() {
            account
                .iam
                .tag_policy()
                .policy_arn(arn)
                .set_tags(Some(tags_of(&spec.tags)))
                .send()
                .await
                .map_err(|e| iam_error(e, format!("TagPolicy {}", spec.name), &spec.aws))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for IamPolicy {
    type State = PolicyState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamPolicySpec,
        _: Option<&PolicyState>,
    ) -> Result<Observed<PolicyState>, ProviderError> {
        let account = match self.accounts.get(ctx, &spec.aws).await {
            Ok(a) => a,
            Err(ProviderError::NotReady { reason, .. }) => {
                return Ok(Observed::Unavailable(reason));
            }
            Err(e) => return Err(e),
        };
        Ok(match self.observe(&account, spec).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &IamPolicySpec, current: Option<&PolicyState>) -> Planned {
        let partition = current.map_or("aws", |c| partition_of(&c.arn));
        let document = normalize(&bucket_read(partition, &spec.bucket));
        let after = json!({
            "name": spec.name,
            "arn": current.map(|c| c.arn.clone()),
            "document": document,
            "version": current.map(|c| c.version.clone()),
            "tags": spec.tags,
        });
        let action = match current {
            None => Action::Create,
            Some(c) if c.document != document || c.tags != spec.tags => Action::Update,
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
        spec: &IamPolicySpec,
        current: Option<&PolicyState>,
        _: Action,
    ) -> Result<PolicyState, ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let arn = policy_arn(&account, &spec.name);
        let document = bucket_read(&account.partition, &spec.bucket).to_string();
        let current = match current {
            Some(c) => Some(c.clone()),
            None => {
                let created = account
                    .iam
                    .create_policy()
                    .policy_name(&spec.name)
                    .policy_document(&document)
                    .description("forge: read-only access to the L2C bucket for Snowflake")
                    .set_tags(Some(tags_of(&spec.tags)).filter(|t| !t.is_empty()))
                    .send()
                    .await;
                match created {
                    Ok(_) => None,
                    // An interrupted earlier run created it: converge what is there.
                    Err(e)
                        if e.as_service_error()
                            .and_then(aws_sdk_iam::error::ProvideErrorMetadata::code)
                            == Some("EntityAlreadyExists") =>
                    {
                        self.observe(&account, spec).await?
                    }
                    Err(e) => {
                        return Err(iam_error(
                            e,
                            format!("CreatePolicy {}", spec.name),
                            &spec.aws,
                        ));
                    }
                }
            }
        };
        if let Some(cur) = &current {
            if cur.document != normalize(&bucket_read(&account.partition, &spec.bucket)) {
                self.new_version(&account, spec, &arn, &document).await?;
            }
            if cur.tags != spec.tags {
                self.set_tags(&account, spec, &arn, &cur.tags).await?;
            }
        }
        self.observe(&account, spec)
            .await?
            .ok_or_else(|| ProviderError::Api {
                operation: format!("read policy {} back", spec.name),
                status: None,
                code: None,
                message: "IAM does not show the policy it just created".into(),
                hint: Some("IAM may be slow to show new policies; run forge apply again".into()),
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &IamPolicySpec,
        state: &PolicyState,
    ) -> Result<(), ProviderError> {
        let account = self.accounts.get(ctx, &spec.aws).await?;
        let arn = &state.arn;
        // A policy with versions besides its default cannot be deleted.
        let versions = match account
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
        {
            Ok(v) => v,
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => {
                return Err(iam_error(
                    e,
                    format!("ListPolicyVersions {}", spec.name),
                    &spec.aws,
                ));
            }
        };
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                account
                    .iam
                    .delete_policy_version()
                    .policy_arn(arn)
                    .version_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        iam_error(e, format!("DeletePolicyVersion {}", spec.name), &spec.aws)
                    })?;
            }
        }
        match account.iam.delete_policy().policy_arn(arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(iam_error(
                e,
                format!("DeletePolicy {}", spec.name),
                &spec.aws,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> IamPolicySpec {
        IamPolicySpec {
            name: "p".into(),
            aws: StoreSpec::default(),
            bucket: "b".into(),
            tags: BTreeMap::from([("managed-by".into(), "forge".into())]),
        }
    }

    fn state(bucket: &str) -> PolicyState {
        PolicyState {
            name: "p".into(),
            arn: "arn:aws:iam::123456789012:policy/p".into(),
            document: normalize(&bucket_read("aws", bucket)),
            version: "v1".into(),
            tags: spec().tags,
        }
    }

    #[test]
    fn a_policy_is_changed_only_when_its_meaning_changes() {
        let p = IamPolicy::default();
        assert_eq!(p.plan(&spec(), None).action, Action::Create);
        assert_eq!(p.plan(&spec(), Some(&state("b"))).action, Action::NoOp);
        assert_eq!(
            p.plan(&spec(), Some(&state("other"))).action,
            Action::Update
        );
        let mut retagged = state("b");
        retagged.tags.clear();
        assert_eq!(p.plan(&spec(), Some(&retagged)).action, Action::Update);
    }
}
