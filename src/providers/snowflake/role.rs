//! `snowflake_role`: the least-privilege role the migrated tables are registered and
//! refreshed as, made and granted by the admin role.
//!
//! It holds exactly five privileges — `USAGE` on the database, `USAGE` and
//! `CREATE ICEBERG TABLE` on the schema, `USAGE` on the external volume and on the catalog
//! integration — and is granted to one user: the spec's, else the connection's own (never
//! a name made from the naming prefix). Read back with `SHOW GRANTS TO ROLE` and
//! `SHOW GRANTS OF ROLE`, so a revoked grant or user is drift, planned as an update and
//! granted again. Privileges of those kinds on other objects, and other users holding the
//! role, are revoked: forge.yaml says what the role may do and who has it. Everything else
//! the role holds (the ownership of its tables, roles granted to it) is left alone.
//! Delete revokes, then drops the role (what it owned passes to the admin role).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Connection;
use super::client::{Client, Clients, Context};
use super::common::{drop, exact, name, run, run_if_exists, session, shown};
use super::names;
use super::sql::{ObjectType, Privilege};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `snowflake_role` kind.
#[derive(Debug, Clone, Default)]
pub struct SnowflakeRole {
    clients: Clients,
}

impl SnowflakeRole {
    /// The kind, sharing `clients` with the other Snowflake kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// The account.
    pub snowflake: Connection,
    /// Role name.
    pub name: String,
    /// The user the role is granted to (the connection's user when `None`).
    pub user: Option<String>,
    /// The database it may use.
    pub database: String,
    /// The schema it may create tables in.
    pub schema: String,
    /// The external volume it may use.
    pub external_volume: String,
    /// The catalog integration it may use.
    pub catalog_integration: String,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    /// The name, as Snowflake stores it.
    pub name: String,
    /// The user forge grants it to (the spec's, or the connection's when read).
    pub user: String,
    /// The users holding it.
    pub users: Vec<String>,
    /// The privileges forge manages that it holds, one line each
    /// (`USAGE on DATABASE DB`).
    pub grants: BTreeMap<String, bool>,
}

impl Kind for SnowflakeRole {
    const KIND: &'static str = "snowflake_role";
    type Spec = RoleSpec;
}

/// One privilege on one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    privilege: Privilege,
    on: ObjectType,
    /// The object's name parts, as stored.
    object: Vec<String>,
}

/// A qualified name as `SHOW GRANTS` prints it: parts quoted only where they must be.
fn display(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| {
            if names::is_unquoted(p) && p.to_ascii_uppercase() == *p {
                p.clone()
            } else {
                names::quote(p)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The parts of a qualified name as `SHOW GRANTS` prints it (`DB."my schema"`).
fn split_qualified(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', _) => quoted = !quoted,
            ('.', false) => parts.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

impl Grant {
    fn key(&self) -> String {
        format!(
            "{} on {} {}",
            self.privilege.keyword(),
            self.on.keyword(),
            display(&self.object)
        )
    }

    /// A row of `SHOW GRANTS TO ROLE`, if it is of a kind forge manages.
    fn from_row(privilege: &str, granted_on: &str, name: &str) -> Option<Self> {
        let privilege = Privilege::parse(privilege)?;
        let on = [
            ObjectType::Database,
            ObjectType::Schema,
            ObjectType::ExternalVolume,
            ObjectType::Integration,
        ]
        .into_iter()
        .find(|t| t.granted_on() == granted_on)?;
        Some(Self {
            privilege,
            on,
            object: split_qualified(name),
        })
    }
}

/// The stored names the role is about.
struct Names {
    role: String,
    user: Option<String>,
    database: String,
    schema: String,
    volume: String,
    integration: String,
}

impl Names {
    fn of(
        spec: &RoleSpec,
        resolve: impl Fn(&str, &str) -> Result<String, ProviderError>,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            role: resolve(&spec.name, "role")?,
            user: spec
                .user
                .as_deref()
                .map(|u| resolve(u, "user"))
                .transpose()?,
            database: resolve(&spec.database, "database")?,
            schema: resolve(&spec.schema, "schema")?,
            volume: resolve(&spec.external_volume, "external volume")?,
            integration: resolve(&spec.catalog_integration, "catalog integration")?,
        })
    }

    /// The five grants, in the order they are granted (and revoked in reverse).
    fn wanted(&self) -> Vec<Grant> {
        let g = |privilege, on, object: &[&String]| Grant {
            privilege,
            on,
            object: object.iter().map(|s| s.to_string()).collect(),
        };
        vec![
            g(Privilege::Usage, ObjectType::Database, &[&self.database]),
            g(
                Privilege::Usage,
                ObjectType::Schema,
                &[&self.database, &self.schema],
            ),
            g(
                Privilege::CreateIcebergTable,
                ObjectType::Schema,
                &[&self.database, &self.schema],
            ),
            g(
                Privilege::Usage,
                ObjectType::ExternalVolume,
                &[&self.volume],
            ),
            g(
                Privilege::Usage,
                ObjectType::Integration,
                &[&self.integration],
            ),
        ]
    }
}

fn lines(grants: &[Grant]) -> BTreeMap<String, bool> {
    grants.iter().map(|g| (g.key(), true)).collect()
}

/// What the role holds: the managed grants and the users; `None` if it does not exist.
async fn held(
    c: &Client,
    admin: &str,
    role: &str,
) -> Result<Option<(Vec<Grant>, Vec<String>)>, ProviderError> {
    let cx = Context::role(admin);
    let roles = run(
        c,
        &cx,
        "show_roles",
        json!({ "name": role }),
        &format!("read role {role}"),
    )
    .await?;
    if exact(&roles, role).is_none() {
        return Ok(None);
    }
    let Some(to) = run_if_exists(
        c,
        &cx,
        "show_grants_to_role",
        json!({ "role": role }),
        &format!("read the grants to role {role}"),
    )
    .await?
    else {
        return Ok(None);
    };
    let mut grants: Vec<Grant> = to
        .records()
        .filter_map(|r| Grant::from_row(r.text("privilege"), r.text("granted_on"), r.text("name")))
        .collect();
    grants.sort();
    let of = run(
        c,
        &cx,
        "show_grants_of_role",
        json!({ "role": role }),
        &format!("read who holds role {role}"),
    )
    .await?;
    let mut users: Vec<String> = of
        .records()
        .filter(|r| r.text("granted_to") == "USER")
        .map(|r| r.text("grantee_name").to_string())
        .collect();
    users.sort();
    Ok(Some((grants, users)))
}

async fn change(
    c: &Client,
    admin: &str,
    role: &str,
    g: &Grant,
    revoke: bool,
) -> Result<(), ProviderError> {
    let object: Vec<&str> = g.object.iter().map(String::as_str).collect();
    let (template, verb) = if revoke {
        ("revoke", "revoke")
    } else {
        ("grant", "grant")
    };
    let r = run(
        c,
        &Context::role(admin),
        template,
        json!({"privilege": g.privilege, "object_type": g.on, "object": object, "role": role}),
        &format!("{verb} {} to role {role}", g.key()),
    )
    .await;
    match r {
        Ok(_) => Ok(()),
        // Revoking on an object that is gone: nothing left to revoke.
        Err(e) if revoke && e.is_missing() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn user_grant(
    c: &Client,
    admin: &str,
    role: &str,
    user: &str,
    revoke: bool,
) -> Result<(), ProviderError> {
    let (template, operation) = if revoke {
        (
            "revoke_role_from_user",
            format!("revoke role {role} from user {user}"),
        )
    } else {
        (
            "grant_role_to_user",
            format!("grant role {role} to user {user}"),
        )
    };
    run(
        c,
        &Context::role(admin),
        template,
        json!({ "role": role, "user": user }),
        &operation,
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Resource for SnowflakeRole {
    type State = RoleState;

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &RoleSpec,
        _: Option<&RoleState>,
    ) -> Result<Observed<RoleState>, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let n = Names::of(spec, name)?;
        Ok(match held(&c, &admin, &n.role).await? {
            None => Observed::Absent,
            Some((grants, users)) => Observed::Present(RoleState {
                name: n.role.clone(),
                user: n.user.clone().unwrap_or_else(|| c.user()),
                users,
                grants: lines(&grants),
            }),
        })
    }

    fn plan(&self, spec: &RoleSpec, current: Option<&RoleState>) -> Planned {
        let n = Names::of(spec, |raw, _| Ok(shown(raw))).unwrap_or_else(|_| Names {
            role: spec.name.clone(),
            user: spec.user.clone(),
            database: spec.database.clone(),
            schema: spec.schema.clone(),
            volume: spec.external_volume.clone(),
            integration: spec.catalog_integration.clone(),
        });
        let grants = lines(&n.wanted());
        let user = n
            .user
            .clone()
            .or_else(|| current.map(|c| c.user.clone()))
            .unwrap_or_else(|| "(the connection's user)".into());
        let action = match current {
            None => Action::Create,
            Some(cur) if cur.grants == grants && cur.users == [user.clone()] => Action::NoOp,
            Some(_) => Action::Update,
        };
        Planned {
            action,
            after: json!(RoleState {
                name: n.role.clone(),
                user: user.clone(),
                users: vec![user],
                grants,
            }),
            reasons: vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &RoleSpec,
        _: Option<&RoleState>,
        _: Action,
    ) -> Result<RoleState, ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let n = Names::of(spec, name)?;
        let user = n.user.clone().unwrap_or_else(|| c.user());
        run(
            &c,
            &Context::role(&admin),
            "create_role",
            json!({ "name": n.role }),
            &format!("create role {}", n.role),
        )
        .await?;
        let (grants, users) = held(&c, &admin, &n.role).await?.unwrap_or_default();
        if !users.contains(&user) {
            user_grant(&c, &admin, &n.role, &user, false).await?;
        }
        for other in users.iter().filter(|u| **u != user) {
            user_grant(&c, &admin, &n.role, other, true).await?;
        }
        let wanted = n.wanted();
        for g in &wanted {
            if !grants.contains(g) {
                change(&c, &admin, &n.role, g, false).await?;
            }
        }
        for g in grants.iter().rev().filter(|g| !wanted.contains(g)) {
            change(&c, &admin, &n.role, g, true).await?;
        }
        let (grants, users) =
            held(&c, &admin, &n.role)
                .await?
                .ok_or_else(|| ProviderError::Failed {
                    what: format!("create role {}", n.role),
                    reason: format!("role {admin} does not see it after creating it"),
                    hint: None,
                })?;
        Ok(RoleState {
            name: n.role,
            user,
            users,
            grants: lines(&grants),
        })
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &RoleSpec,
        _: &RoleState,
    ) -> Result<(), ProviderError> {
        let (c, admin) = session(&self.clients, ctx, &spec.snowflake)?;
        let n = Names::of(spec, name)?;
        let Some((grants, users)) = held(&c, &admin, &n.role).await? else {
            return Ok(());
        };
        for g in grants.iter().rev() {
            change(&c, &admin, &n.role, g, true).await?;
        }
        for u in &users {
            user_grant(&c, &admin, &n.role, u, true).await?;
        }
        drop(
            &c,
            &admin,
            ObjectType::Role,
            &[&n.role],
            &format!("drop role {}", n.role),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(user: Option<&str>) -> RoleSpec {
        RoleSpec {
            snowflake: Connection {
                connection: None,
                admin_role: "ACCOUNTADMIN".into(),
            },
            name: "sa".into(),
            user: user.map(str::to_string),
            database: "my-db".into(),
            schema: "L2C".into(),
            external_volume: "VOL".into(),
            catalog_integration: "CI".into(),
        }
    }

    #[test]
    fn shown_grants_and_declared_grants_have_the_same_lines() {
        let g =
            Grant::from_row("CREATE ICEBERG TABLE", "SCHEMA", "\"my-db\".L2C").expect("managed");
        assert_eq!(g.object, ["my-db", "L2C"]);
        assert_eq!(g.key(), "CREATE ICEBERG TABLE on SCHEMA \"my-db\".L2C");
        assert!(Grant::from_row("OWNERSHIP", "TABLE", "A.B.C").is_none());
        assert!(Grant::from_row("USAGE", "ROLE", "R").is_none());
        assert_eq!(split_qualified("\"a\"\".b\".C"), ["a\".b", "C"]);
        let n = Names::of(&spec(None), |r, _| Ok(shown(r))).expect("names");
        assert!(lines(&n.wanted()).contains_key("USAGE on EXTERNAL VOLUME VOL"));
    }

    #[test]
    fn a_missing_grant_or_user_is_an_update_and_the_user_defaults_to_the_connections() {
        let k = SnowflakeRole::default();
        let created = k.plan(&spec(None), None);
        assert_eq!(created.action, Action::Create);
        assert_eq!(created.after["user"], "(the connection's user)");
        let n = Names::of(&spec(None), |r, _| Ok(shown(r))).expect("names");
        let full = RoleState {
            name: "SA".into(),
            user: "FORGE".into(),
            users: vec!["FORGE".into()],
            grants: lines(&n.wanted()),
        };
        assert_eq!(k.plan(&spec(None), Some(&full)).action, Action::NoOp);
        let mut missing = full.clone();
        missing.grants.remove("USAGE on INTEGRATION CI");
        assert_eq!(k.plan(&spec(None), Some(&missing)).action, Action::Update);
        let p = k.plan(&spec(Some("analyst")), Some(&full));
        assert_eq!(p.action, Action::Update, "another user");
        assert_eq!(p.after["users"], json!(["ANALYST"]));
    }
}
