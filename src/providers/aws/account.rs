//! The AWS account behind a store, for the IAM kinds: its IAM client and who the
//! credentials are (`sts:GetCallerIdentity`), found once per store and reused.
//!
//! The identity call is the preflight the issue of expired SSO sessions asks for: it is
//! the first call any IAM kind makes, so missing or expired credentials fail there with
//! what to do, before anything is read or changed. The account id it returns names the
//! placeholder trust (`arn:aws:iam::<account>:root`) and the ARNs forge builds.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::client::{ClientError, StoreSpec, shared_config};
use super::error::classify;
use crate::provider::{Ctx, ProviderError};

/// An AWS account as a store's credentials see it.
#[derive(Debug, Clone)]
pub struct Account {
    /// IAM client (IAM is global; the store's region only signs the calls).
    pub iam: aws_sdk_iam::Client,
    /// The 12-digit account id.
    pub id: String,
    /// The ARN partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// Who the credentials are (`arn:aws:iam::…:user/…` or an assumed role).
    pub caller: String,
}

impl Account {
    /// `arn:<partition>:iam::<account>:<resource>`.
    pub fn arn(&self, resource: &str) -> String {
        format!("arn:{}:iam::{}:{resource}", self.partition, self.id)
    }
}

/// One [`Account`] per store, looked up on first use. A failed lookup is not cached, so
/// a user who logs in while forge waits is seen on the next call.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    cache: Arc<Mutex<HashMap<String, Account>>>,
}

impl Accounts {
    /// The account `store`'s credentials belong to.
    pub async fn get(&self, ctx: &Ctx, store: &StoreSpec) -> Result<Account, ProviderError> {
        let key = serde_json::to_string(store).expect("a store spec is plain data");
        // Held across the lookup so parallel resources of one account make one call.
        let mut cache = self.cache.lock().await;
        if let Some(a) = cache.get(&key) {
            return Ok(a.clone());
        }
        let conf = match shared_config(ctx, store).await {
            Ok(c) => c,
            Err(ClientError::NotYet(why)) => {
                return Err(ProviderError::NotReady {
                    what: store.label(),
                    reason: why,
                });
            }
            Err(ClientError::Provider(e)) => return Err(e),
        };
        let sts = aws_sdk_sts::Client::new(&conf);
        let who = sts.get_caller_identity().send().await.map_err(|e| {
            classify(e).into_error(
                "check the AWS credentials (sts:GetCallerIdentity)".into(),
                &endpoint(store),
            )
        })?;
        let caller = who.arn().unwrap_or_default().to_string();
        let id = who
            .account()
            .map(str::to_string)
            .ok_or_else(|| ProviderError::Api {
                operation: "sts:GetCallerIdentity".into(),
                status: None,
                code: None,
                message: "the answer names no account".into(),
                hint: None,
            })?;
        let partition = caller
            .strip_prefix("arn:")
            .and_then(|r| r.split(':').next())
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_string();
        let account = Account {
            iam: aws_sdk_iam::Client::new(&conf),
            id,
            partition,
            caller,
        };
        cache.insert(key, account.clone());
        Ok(account)
    }
}

/// Where IAM and STS calls go, for messages.
pub fn endpoint(store: &StoreSpec) -> String {
    store
        .endpoint
        .clone()
        .unwrap_or_else(|| "AWS IAM/STS".into())
}
