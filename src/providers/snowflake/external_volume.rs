//! `snowflake_external_volume`: an external volume on the whole L2C bucket, which Snowflake
//! reaches by assuming the IAM role with forge's external id; read-only
//! (`ALLOW_WRITES = FALSE`), made by the admin role.
//!
//! Read with `DESC EXTERNAL VOLUME`: the active storage location's JSON gives the bucket,
//! the role, the external id and Snowflake's IAM user (`STORAGE_AWS_IAM_USER_ARN`). The
//! last two are this kind's outputs, which the role's trust names
//! (`${snowflake_external_volume.NAME.iam_user_arn}`, `.external_id`).
//!
//! The external id comes from forge (the IAM role's), so it is stable across applies and
//! re-creates; Snowflake would otherwise make a new one each time and break the trust.
//! A location's bucket, role and external id cannot be altered (`ALTER EXTERNAL VOLUME`
//! only adds or removes locations, and cannot remove the active one while tables use it),
//! so a change to any of them is planned as a replace, which forge carries out itself:
//! `DROP`, `CREATE`, then the grants other roles held on the volume given back.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, Context};
use super::common::{drop, grants_on, name, regrant, run, run_if_exists, session, shown};
use super::sql::ObjectType;
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `snowflake_external_volume` kind.
#[derive(Debug, Clone, Default)]
pub struct SnowflakeExternalVolume {
    clients: Clients,
}

impl SnowflakeExternalVolume {
    /// The kind, sharing `clients` with the other Snowflake kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalVolumeSpec {
    /// The account.
    pub snowflake: Connection,
    /// Volume name.
    pub name: String,
    /// The S3 bucket it covers.
    pub bucket: String,
    /// The IAM role Snowflake assumes (`${aws_iam_role.NAME.arn}`).
    pub role_arn: String,
    /// The external id Snowflake passes when it assumes the role
    /// (`${aws_iam_role.NAME.external_id}`): forge's, so it never changes behind the trust.
    pub external_id: String,
}

/// What is there (the active storage location).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalVolumeState {
    /// The name, as Snowflake stores it.
    pub name: String,
    /// The bucket of `STORAGE_BASE_URL`.
    pub bucket: String,
    /// `STORAGE_BASE_URL`.
    pub base_url: String,
    /// `STORAGE_AWS_ROLE_ARN`.
    pub role_arn: String,
    /// `STORAGE_AWS_EXTERNAL_ID`.
    pub external_id: String,
    /// `STORAGE_AWS_IAM_USER_ARN`: the IAM user Snowflake assumes the role as.
    pub iam_user_arn: String,
    /// `ALLOW_WRITES` (forge makes it `false`; not planned on).
    pub allow_writes: bool,
}

impl Kind for SnowflakeExternalVolume {
    const KIND: &'static str = "snowflake_external_volume";
    type Spec = ExternalVolumeSpec;
}

/// `s3://<bucket>/`.
fn base_url(bucket: &str) -> String {
    format!("s3://{bucket}/")
}

/// The bucket of an `s3://bucket/prefix` URL.
fn bucket_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn find(
    c: &Client,
    role: &str,
    stored: &str,
) -> Result<Option<ExternalVolumeState>, ProviderError> {
    let operation = format!("read external volume {stored}");
    let Some(rs) = run_if_exists(
        c,
        &Context::role(role),
        "describe_external_volume",
        json!({ "name": stored }),
        &operation,
    )
    .await?
    else {
        return Ok(None);
    };
    let prop = |p: &str| {
        rs.records()
            .find(|r| r.get("property") == Some(p))
            .map(|r| r.text("property_value").to_string())
    };
    let locations: Vec<Value> = rs
        .records()
        .filter(|r| {
            r.get("parent_property") == Some("STORAGE_LOCATIONS")
                && r.text("property").starts_with("STORAGE_LOCATION_")
        })
        .filter_map(|r| serde_json::from_str(r.text("property_value")).ok())
        .collect();
    let active = prop("ACTIVE");
    let loc = locations
        .iter()
        .find(|l| active.is_some() && l["NAME"].as_str() == active.as_deref())
        .or(locations.first())
        .ok_or_else(|| ProviderError::Failed {
            what: operation.clone(),
            reason: "DESC EXTERNAL VOLUME shows no storage location".into(),
            hint: None,
        })?;
    let field = |k: &str| loc[k].as_str().unwrap_or_default().to_string();
    let url = field("STORAGE_BASE_URL");
    Ok(Some(ExternalVolumeState {
        name: stored.to_string(),
        bucket: bucket_of(&url),
        base_url: url,
        role_arn: field("STORAGE_AWS_ROLE_ARN"),
        external_id: field("STORAGE_AWS_EXTERNAL_ID"),
        iam_user_arn: field("STORAGE_AWS_IAM_USER_ARN"),
        allow_writes: prop("ALLOW_WRITES").is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }))
}

async fn create(
    c: &Client,
    admin: &str,
    stored: &str,
    spec: &ExternalVolumeSpec,
) -> Result<(), ProviderError> {
    run(
        c,
        &Context::role(admin),
        "create_external_volume",
        json!({
            "name": stored,
            "location": format!("{stored}_S3"),
            "base_url": base_url(&spec.bucket),
            "role_arn": spec.role_arn,
            "external_id": spec.external_id,
        }),
        &format!("create external volume {stored}"),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Resource for SnowflakeExternalVolume {
    type State = ExternalVolumeState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ExternalVolumeSpec,
        _: Option<&ExternalVolumeState>,
    ) -> Result<Observed<ExternalVolumeState>, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "external volume")?;
        Ok(match find(&c, &admin, &stored).await? {
            Some(s) => Observed::Present(s),
            None => Observed::Absent,
        })
    }

    fn plan(&self, spec: &ExternalVolumeSpec, current: Option<&ExternalVolumeState>) -> Planned {
        let mut after = json!({
            "name": shown(&spec.name),
            "bucket": spec.bucket,
            "base_url": base_url(&spec.bucket),
            "role_arn": spec.role_arn,
            "external_id": spec.external_id,
            "allow_writes": false,
        });
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after,
                reasons: vec![],
            };
        };
        after["iam_user_arn"] = json!(cur.iam_user_arn);
        after["allow_writes"] = json!(cur.allow_writes);
        let mut reasons = Vec::new();
        if cur.base_url != base_url(&spec.bucket) {
            reasons.push(format!(
                "its storage location is {} (forge.yaml wants {})",
                cur.base_url,
                base_url(&spec.bucket)
            ));
        }
        if cur.role_arn != spec.role_arn {
            reasons.push("STORAGE_AWS_ROLE_ARN changed (a location cannot be altered)".into());
        }
        if cur.external_id != spec.external_id {
            reasons.push("STORAGE_AWS_EXTERNAL_ID changed (a location cannot be altered)".into());
        }
        Planned {
            action: if reasons.is_empty() {
                Action::NoOp
            } else {
                Action::Replace
            },
            after,
            reasons,
        }
    }

    fn warnings(
        &self,
        spec: &ExternalVolumeSpec,
        current: Option<&ExternalVolumeState>,
    ) -> Vec<String> {
        match current {
            Some(_) if self.plan(spec, current).action == Action::Replace => vec![
                "replacing the external volume: Iceberg tables registered on it must be registered again".into(),
            ],
            _ => vec![],
        }
    }

    fn replaces_in_place(&self) -> bool {
        true
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ExternalVolumeSpec,
        _: Option<&ExternalVolumeState>,
        action: Action,
    ) -> Result<ExternalVolumeState, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "external volume")?;
        if action == Action::Replace {
            let object = [stored.as_str()];
            let held = grants_on(
                &c,
                &admin,
                ObjectType::ExternalVolume,
                &object,
                &format!("read the grants on external volume {stored}"),
            )
            .await?;
            drop(
                &c,
                &admin,
                ObjectType::ExternalVolume,
                &object,
                &format!("drop external volume {stored}"),
            )
            .await?;
            create(&c, &admin, &stored, spec).await?;
            regrant(&c, &admin, ObjectType::ExternalVolume, &object, &held).await?;
        } else {
            create(&c, &admin, &stored, spec).await?;
        }
        find(&c, &admin, &stored)
            .await?
            .ok_or_else(|| ProviderError::Failed {
                what: format!("create external volume {stored}"),
                reason: format!("role {admin} does not see it after creating it"),
                hint: None,
            })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &ExternalVolumeSpec,
        _: &ExternalVolumeState,
    ) -> Result<(), ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let stored = name(&spec.name, "external volume")?;
        drop(
            &c,
            &admin,
            ObjectType::ExternalVolume,
            &[&stored],
            &format!("drop external volume {stored}"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ExternalVolumeSpec {
        ExternalVolumeSpec {
            snowflake: Connection {
                connection: None,
                admin_role: "ACCOUNTADMIN".into(),
            },
            name: "vol".into(),
            bucket: "b1".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            external_id: "ext-1".into(),
        }
    }

    fn state() -> ExternalVolumeState {
        ExternalVolumeState {
            name: "VOL".into(),
            bucket: "b1".into(),
            base_url: "s3://b1/".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            external_id: "ext-1".into(),
            iam_user_arn: "arn:aws:iam::2:user/sf".into(),
            allow_writes: false,
        }
    }

    #[test]
    fn a_changed_location_is_a_replace_with_its_reasons() {
        let k = SnowflakeExternalVolume::default();
        assert_eq!(k.plan(&spec(), None).action, Action::Create);
        let same = k.plan(&spec(), Some(&state()));
        assert_eq!(same.action, Action::NoOp);
        assert_eq!(same.after["iam_user_arn"], "arn:aws:iam::2:user/sf");
        let mut moved = spec();
        moved.bucket = "b2".into();
        moved.external_id = "ext-2".into();
        let p = k.plan(&moved, Some(&state()));
        assert_eq!(p.action, Action::Replace);
        assert_eq!(p.reasons.len(), 2, "{:?}", p.reasons);
        assert!(p.reasons[0].contains("s3://b2/"));
        assert_eq!(k.warnings(&moved, Some(&state())).len(), 1);
        assert_eq!(bucket_of("s3://b1/some/prefix"), "b1");
    }
}
