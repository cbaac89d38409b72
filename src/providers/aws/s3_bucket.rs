//! `s3_bucket`: read with HeadBucket / GetBucketLocation / tagging / versioning, create,
//! update tags and versioning in place, delete (refusing a non-empty bucket unless
//! `force_destroy`). Stores that do not implement tagging or versioning (s3s-fs) are
//! recorded as such and those attributes are not diffed.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, Tag, Tagging, VersioningConfiguration,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{ClientError, Clients, StoreSpec};
use super::error::{Failure, classify};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// What forge.yaml asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketSpec {
    /// Bucket name.
    pub bucket: String,
    /// Where it lives.
    pub store: StoreSpec,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Versioning wanted (`None`: leave as is).
    #[serde(default)]
    pub versioning: Option<bool>,
    /// Delete objects on destroy.
    #[serde(default)]
    pub force_destroy: bool,
}

/// What is there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BucketState {
    /// Bucket name.
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// `arn:aws:s3:::<bucket>`.
    pub arn: String,
    /// Tags; `None` where the store does not support tagging.
    pub tags: Option<BTreeMap<String, String>>,
    /// Versioning; `None` where the store does not support it.
    pub versioning: Option<bool>,
    /// The endpoint it was read from (`None` for AWS).
    pub endpoint: Option<String>,
}

/// The `s3_bucket` kind.
#[derive(Debug, Clone, Default)]
pub struct S3Bucket {
    clients: Clients,
}

impl S3Bucket {
    /// A provider with an empty client cache.
    pub fn new() -> Self {
        Self::default()
    }

    async fn client(
        &self,
        ctx: &Ctx,
        spec: &BucketSpec,
    ) -> Result<aws_sdk_s3::Client, ProviderError> {
        match self.clients.get(ctx, &spec.store).await {
            Ok(c) => Ok(c),
            Err(ClientError::NotYet(why)) => Err(ProviderError::NotReady {
                what: spec.store.label(),
                reason: why,
            }),
            Err(ClientError::Provider(e)) => Err(e),
        }
    }

    async fn observe(
        &self,
        client: &aws_sdk_s3::Client,
        spec: &BucketSpec,
    ) -> Result<Observed<BucketState>, Failure> {
        let b = &spec.bucket;
        match client.head_bucket().bucket(b).send().await {
            Ok(_) => {}
            Err(e) => {
                let f = classify(e);
                return match &f {
                    Failure::Service { status: 404, .. } => Ok(Observed::Absent),
                    Failure::Service { code, .. }
                        if code == "NoSuchBucket" || code == "NotFound" =>
                    {
                        Ok(Observed::Absent)
                    }
                    // A HEAD answer has no body, so no error code: ask again with a call
                    // whose answer says why (a wrong secret, an unknown key, a policy).
                    Failure::Service { status: 403, .. } => {
                        match client.list_objects_v2().bucket(b).max_keys(1).send().await {
                            Err(e) => match classify(e) {
                                f2 @ Failure::Service { .. }
                                    if f2.code().is_some_and(|c| !c.starts_with("HTTP")) =>
                                {
                                    Err(f2)
                                }
                                _ => Err(f),
                            },
                            Ok(_) => Err(f),
                        }
                    }
                    _ => Err(f),
                };
            }
        }
        let region = match client.get_bucket_location().bucket(b).send().await {
            Ok(out) => out
                .location_constraint()
                .map(|c| c.as_str().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "us-east-1".into()),
            Err(e) => match classify(e) {
                f @ (Failure::Unreachable { .. } | Failure::Credentials { .. }) => return Err(f),
                _ => spec.store.region(),
            },
        };
        let tags = match client.get_bucket_tagging().bucket(b).send().await {
            Ok(out) => Some(
                out.tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            ),
            Err(e) => match classify(e) {
                Failure::Service { code, .. }
                    if code == "NoSuchTagSet" || code == "NoSuchTagSetError" =>
                {
                    Some(BTreeMap::new())
                }
                Failure::Service { code, status, .. }
                    if code == "NotImplemented" || status == 501 =>
                {
                    None
                }
                f => return Err(f),
            },
        };
        let versioning = match client.get_bucket_versioning().bucket(b).send().await {
            Ok(out) => Some(matches!(
                out.status(),
                Some(BucketVersioningStatus::Enabled)
            )),
            Err(e) => {
                // moto answers with a `<GetBucketVersioningResponse>` root where S3 sends
                // `<VersioningConfiguration>`; the SDK rejects it, so read the status from
                // the 200 body ourselves.
                let body_200 = e
                    .raw_response()
                    .filter(|r| r.status().as_u16() == 200)
                    .and_then(|r| r.body().bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                match (body_200, classify(e)) {
                    (Some(body), _) => Some(body.contains("<Status>Enabled</Status>")),
                    (None, Failure::Service { code, status, .. })
                        if code == "NotImplemented" || status == 501 =>
                    {
                        None
                    }
                    (None, f) => return Err(f),
                }
            }
        };
        Ok(Observed::Present(BucketState {
            bucket: b.clone(),
            region,
            arn: format!("arn:aws:s3:::{b}"),
            tags,
            versioning,
            endpoint: spec.store.endpoint.clone(),
        }))
    }

    async fn converge(
        &self,
        client: &aws_sdk_s3::Client,
        spec: &BucketSpec,
        current: Option<&BucketState>,
    ) -> Result<(), ProviderError> {
        let b = &spec.bucket;
        let tags_supported = current.is_none_or(|c| c.tags.is_some());
        if tags_supported && current.and_then(|c| c.tags.as_ref()) != Some(&spec.tags) {
            let result = if spec.tags.is_empty() {
                client
                    .delete_bucket_tagging()
                    .bucket(b)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(classify)
            } else {
                let tags: Vec<Tag> = spec
                    .tags
                    .iter()
                    .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                    .collect();
                let tagging = Tagging::builder()
                    .set_tag_set(Some(tags))
                    .build()
                    .map_err(|e| ProviderError::Client {
                        operation: format!("PutBucketTagging {b}"),
                        source: Box::new(e),
                    })?;
                client
                    .put_bucket_tagging()
                    .bucket(b)
                    .tagging(tagging)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(classify)
            };
            match result {
                Ok(()) => {}
                // The store does not do tagging (s3s-fs): tags stay unmanaged, as the state records.
                Err(Failure::Service { code, status, .. })
                    if code == "NotImplemented" || status == 501 => {}
                Err(f) => {
                    return Err(f.into_error(format!("PutBucketTagging {b}"), &spec.store.label()));
                }
            }
        }
        if let Some(want) = spec.versioning {
            let supported = current.is_none_or(|c| c.versioning.is_some());
            if supported
                && current.and_then(|c| c.versioning) != Some(want)
                && (want || current.is_some())
            {
                let status = if want {
                    BucketVersioningStatus::Enabled
                } else {
                    BucketVersioningStatus::Suspended
                };
                match client
                    .put_bucket_versioning()
                    .bucket(b)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(status).build(),
                    )
                    .send()
                    .await
                    .map_err(classify)
                {
                    Ok(_) => {}
                    Err(Failure::Service { code, status, .. })
                        if code == "NotImplemented" || status == 501 => {}
                    Err(f) => {
                        return Err(
                            f.into_error(format!("PutBucketVersioning {b}"), &spec.store.label())
                        );
                    }
                }
            }
        }
        Ok(())
    }

    async fn empty(
        &self,
        client: &aws_sdk_s3::Client,
        spec: &BucketSpec,
    ) -> Result<(), ProviderError> {
        let b = &spec.bucket;
        loop {
            let page = client
                .list_object_versions()
                .bucket(b)
                .max_keys(1000)
                .send()
                .await;
            let ids: Vec<ObjectIdentifier> = match page {
                Ok(out) => out
                    .versions()
                    .iter()
                    .filter_map(|v| {
                        ObjectIdentifier::builder()
                            .set_key(v.key().map(str::to_string))
                            .set_version_id(v.version_id().map(str::to_string))
                            .build()
                            .ok()
                    })
                    .chain(out.delete_markers().iter().filter_map(|m| {
                        ObjectIdentifier::builder()
                            .set_key(m.key().map(str::to_string))
                            .set_version_id(m.version_id().map(str::to_string))
                            .build()
                            .ok()
                    }))
                    .collect(),
                // Stores without versioning support list plain objects instead.
                Err(_) => {
                    let out = client
                        .list_objects_v2()
                        .bucket(b)
                        .max_keys(1000)
                        .send()
                        .await
                        .map_err(|e| {
                            classify(e)
                                .into_error(format!("ListObjectsV2 {b}"), &spec.store.label())
                        })?;
                    out.contents()
                        .iter()
                        .filter_map(|o| {
                            ObjectIdentifier::builder()
                                .set_key(o.key().map(str::to_string))
                                .build()
                                .ok()
                        })
                        .collect()
                }
            };
            if ids.is_empty() {
                return Ok(());
            }
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| ProviderError::Client {
                    operation: format!("DeleteObjects {b}"),
                    source: Box::new(e),
                })?;
            client
                .delete_objects()
                .bucket(b)
                .delete(delete)
                .send()
                .await
                .map_err(|e| {
                    classify(e).into_error(format!("DeleteObjects {b}"), &spec.store.label())
                })?;
        }
    }
}

impl Kind for S3Bucket {
    const KIND: &'static str = "s3_bucket";
    type Spec = BucketSpec;
}

#[async_trait]
impl Resource for S3Bucket {
    type State = BucketState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &BucketSpec,
        _: Option<&BucketState>,
    ) -> Result<Observed<BucketState>, ProviderError> {
        let client = match self.clients.get(ctx, &spec.store).await {
            Ok(c) => c,
            Err(ClientError::NotYet(why)) => return Ok(Observed::Unavailable(why)),
            Err(ClientError::Provider(e)) => return Err(e),
        };
        match self.observe(&client, spec).await {
            Ok(o) => Ok(o),
            // The store is not running yet (or no credentials are configured): the bucket
            // cannot exist as far as forge can tell; apply will say what is wrong.
            // Whether that is expected (the stack's store is not created yet) or a
            // problem to report once is the planner's to tell: it knows the graph.
            Err(f @ Failure::Unreachable { .. }) => {
                Err(f.into_error(format!("HeadBucket {}", spec.bucket), &spec.store.label()))
            }
            // No credentials: nothing on this account can be done; the plan says so once.
            Err(f @ Failure::Credentials { .. }) => {
                Err(f.into_error(format!("HeadBucket {}", spec.bucket), &spec.store.label()))
            }
            Err(f) => Err(f.into_error(format!("HeadBucket {}", spec.bucket), &spec.store.label())),
        }
    }

    fn plan(&self, spec: &BucketSpec, current: Option<&BucketState>) -> Planned {
        let after = |c: Option<&BucketState>| {
            json!({
                "bucket": spec.bucket,
                "region": spec.store.region(),
                "arn": format!("arn:aws:s3:::{}", spec.bucket),
                "tags": if c.is_none_or(|c| c.tags.is_some()) { json!(spec.tags) } else { json!(null) },
                "versioning": match (spec.versioning, c) { (Some(v), Some(c)) if c.versioning.is_some() => json!(v), (Some(v), None) => json!(v), (_, Some(c)) => json!(c.versioning), (None, None) => json!(null) },
                "endpoint": spec.store.endpoint,
            })
        };
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after: after(None),
                reasons: vec![],
            };
        };
        if cur.region != spec.store.region() && spec.store.endpoint.is_none() {
            return Planned {
                action: Action::Replace,
                after: after(None),
                reasons: vec![format!(
                    "a bucket cannot move from {} to {}",
                    cur.region,
                    spec.store.region()
                )],
            };
        }
        let tags_differ = cur.tags.as_ref().is_some_and(|t| t != &spec.tags);
        let versioning_differs =
            matches!((spec.versioning, cur.versioning), (Some(want), Some(have)) if want != have);
        let action = if tags_differ || versioning_differs {
            Action::Update
        } else {
            Action::NoOp
        };
        Planned {
            action,
            after: after(Some(cur)),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &BucketSpec,
        current: Option<&BucketState>,
        action: Action,
    ) -> Result<BucketState, ProviderError> {
        let client = self.client(ctx, spec).await?;
        let b = &spec.bucket;
        let mut current = current.cloned();
        if matches!(action, Action::Create | Action::Replace) {
            let mut req = client.create_bucket().bucket(b);
            let region = spec.store.region();
            if region != "us-east-1" {
                let c = CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build();
                req = req.create_bucket_configuration(c);
            }
            current = match req.send().await.map_err(classify) {
                // A new bucket has no tags and no versioning: no need to read it back yet.
                Ok(_) => Some(BucketState {
                    bucket: b.clone(),
                    region: region.clone(),
                    arn: format!("arn:aws:s3:::{b}"),
                    tags: Some(BTreeMap::new()),
                    versioning: Some(false),
                    endpoint: spec.store.endpoint.clone(),
                }),
                // An interrupted earlier run created it: adopt it as it is. Some
                // S3-compatible stores (s3s-fs) answer `BucketAlreadyExists` even to
                // its owner, so that answer is checked with a read: a bucket these
                // keys can read is ours; one they cannot is another account's.
                Err(Failure::Service { code, .. })
                    if code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" =>
                {
                    match self.observe(&client, spec).await {
                        Ok(Observed::Present(s)) => Some(s),
                        _ if code == "BucketAlreadyExists" => {
                            return Err(ProviderError::Conflict {
                                message: format!("bucket name `{b}` is taken by another account"),
                                hint: Some("choose another name (bucket names are global)".into()),
                            });
                        }
                        Ok(_) => None,
                        Err(f) => {
                            return Err(
                                f.into_error(format!("HeadBucket {b}"), &spec.store.label())
                            );
                        }
                    }
                }
                Err(f) => {
                    return Err(f.into_error(format!("CreateBucket {b}"), &spec.store.label()));
                }
            };
        }
        self.converge(&client, spec, current.as_ref()).await?;
        match self
            .observe(&client, spec)
            .await
            .map_err(|f| f.into_error(format!("HeadBucket {b}"), &spec.store.label()))?
        {
            Observed::Present(s) => Ok(s),
            _ => Err(ProviderError::Failed {
                what: format!("CreateBucket {b}"),
                reason: "the bucket is not there after creating it".into(),
                hint: None,
            }),
        }
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &BucketSpec,
        _: &BucketState,
    ) -> Result<(), ProviderError> {
        let client = self.client(ctx, spec).await?;
        let b = &spec.bucket;
        let listing = client
            .list_objects_v2()
            .bucket(b)
            .max_keys(1)
            .send()
            .await
            .map_err(classify);
        match listing {
            Ok(out) if out.key_count().unwrap_or(0) > 0 || !out.contents().is_empty() => {
                if !spec.force_destroy {
                    return Err(ProviderError::Conflict {
                        message: format!(
                            "bucket `{b}` is not empty; forge will not delete its objects"
                        ),
                        hint: Some(
                            "set `force_destroy: true` on the bucket to delete it with its objects"
                                .into(),
                        ),
                    });
                }
                self.empty(&client, spec).await?;
            }
            Ok(_) => {
                if spec.force_destroy {
                    // Versions and delete markers do not show in a plain listing.
                    self.empty(&client, spec).await?;
                }
            }
            Err(Failure::Service { code, .. }) if code == "NoSuchBucket" => return Ok(()),
            Err(f) => return Err(f.into_error(format!("ListObjectsV2 {b}"), &spec.store.label())),
        }
        match client
            .delete_bucket()
            .bucket(b)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(f) if f.code() == Some("NoSuchBucket") => Ok(()),
            Err(f) if f.code() == Some("BucketNotEmpty") => Err(ProviderError::Conflict {
                message: format!(
                    "bucket `{b}` is not empty (objects were added while deleting it)"
                ),
                hint: None,
            }),
            Err(f) => Err(f.into_error(format!("DeleteBucket {b}"), &spec.store.label())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BucketSpec {
        BucketSpec {
            bucket: "b1".into(),
            store: StoreSpec::default(),
            tags: BTreeMap::from([("k".into(), "v".into())]),
            versioning: Some(true),
            force_destroy: false,
        }
    }

    fn state() -> BucketState {
        BucketState {
            bucket: "b1".into(),
            region: "us-east-1".into(),
            arn: "arn:aws:s3:::b1".into(),
            tags: Some(BTreeMap::from([("k".into(), "v".into())])),
            versioning: Some(true),
            endpoint: None,
        }
    }

    #[test]
    fn plan_rules() {
        let r = S3Bucket::new();
        assert_eq!(r.plan(&spec(), None).action, Action::Create);
        assert_eq!(r.plan(&spec(), Some(&state())).action, Action::NoOp);
        let retagged = BucketState {
            tags: Some(BTreeMap::new()),
            ..state()
        };
        assert_eq!(r.plan(&spec(), Some(&retagged)).action, Action::Update);
        let unversioned = BucketState {
            versioning: Some(false),
            ..state()
        };
        assert_eq!(r.plan(&spec(), Some(&unversioned)).action, Action::Update);
        let moved = BucketState {
            region: "eu-west-1".into(),
            ..state()
        };
        let p = r.plan(&spec(), Some(&moved));
        assert_eq!(p.action, Action::Replace);
        assert!(p.reasons[0].contains("eu-west-1"));
    }

    #[test]
    fn stores_without_tagging_do_not_diff_tags() {
        let r = S3Bucket::new();
        let no_tagging = BucketState {
            tags: None,
            versioning: None,
            ..state()
        };
        assert_eq!(r.plan(&spec(), Some(&no_tagging)).action, Action::NoOp);
    }
}
