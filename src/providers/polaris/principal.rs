//! `polaris_principal`: a principal (a service identity) and its client credentials.
//!
//! Polaris returns the secret only on create, rotate and reset, so forge keeps it in
//! state (sensitive: never printed, state is mode 0600) and writes the credentials file
//! (`REALM,clientId,clientSecret`, mode 0600, the original tool's `principal.txt`) on
//! every apply where it is missing or stale — not only on the first create. New
//! credentials are issued only when asked: `forge apply --replace ADDR` or a changed
//! `rotate:` value, shown in the plan. Root resets them (only root may); a principal
//! authenticating as itself rotates them. An imported principal's secret is unknown:
//! the plan says so and how to get one. `root` is never deleted.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Connection;
use super::client::{Client, Clients, api_error};
use super::common::{ROOT, Reach, client, get_entity, mgmt, reach, unavailable_or, version};
use crate::provider::{Action, Ctx, Kind, Observed, Planned, ProviderError, Resource};

/// The `polaris_principal` kind.
#[derive(Debug, Clone, Default)]
pub struct PolarisPrincipal {
    clients: Clients,
}

impl PolarisPrincipal {
    /// The kind, sharing `clients` with the other Polaris kinds.
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

/// What forge.yaml asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalSpec {
    /// The server.
    pub polaris: Connection,
    /// Principal name.
    pub name: String,
    /// The realm it lives in.
    pub realm: String,
    /// Where to write its credentials (mode 0600), if anywhere.
    pub credentials_file: Option<String>,
    /// Any value; changing it issues new credentials.
    #[serde(default)]
    pub rotate: Option<String>,
}

/// What is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipalState {
    /// Principal name.
    pub name: String,
    /// Its client id.
    pub client_id: String,
    /// Its client secret, as last issued to forge; `None` when forge never saw it
    /// (imported, or adopted after an interrupted create).
    pub client_secret: Option<String>,
    /// The `rotate` value its credentials were issued under.
    #[serde(default)]
    pub rotated: Option<String>,
    /// Whether the credentials file holds exactly its current credentials.
    #[serde(default)]
    pub credentials_file_current: bool,
    /// Polaris's entity version.
    pub entity_version: i64,
}

impl Kind for PolarisPrincipal {
    const KIND: &'static str = "polaris_principal";
    type Spec = PrincipalSpec;
}

/// The credentials file's content: `REALM,clientId,clientSecret`, no newline.
fn file_content(realm: &str, id: &str, secret: &str) -> String {
    format!("{realm},{id},{secret}")
}

fn file_is_current(path: &Path, realm: &str, id: &str, secret: Option<&str>) -> bool {
    let Some(secret) = secret else { return false };
    std::fs::read_to_string(path).is_ok_and(|t| t == file_content(realm, id, secret))
}

fn write_file(path: &Path, content: &str) -> Result<(), ProviderError> {
    let dir = path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|e| ProviderError::Client {
        operation: format!("create {}", dir.display()),
        source: Box::new(e),
    })?;
    // Written atomically with mode 0600, like the state file.
    crate::state::write_atomic(&dir, path, content.as_bytes()).map_err(|e| ProviderError::Client {
        operation: format!("write {}", path.display()),
        source: Box::new(e),
    })
}

impl PolarisPrincipal {
    /// Issues new credentials: `reset` (root may do it to anyone), else `rotate` (a
    /// principal may do it to itself).
    async fn renew(c: &Client, name: &str) -> Result<Value, ProviderError> {
        let operation = format!("reset the credentials of principal {name}");
        let reply = c
            .call(
                Method::POST,
                &mgmt(&["principals", name, "reset"]),
                Some(&json!({})),
                &operation,
            )
            .await?;
        if reply.status == 200 {
            return Ok(reply.body);
        }
        if !matches!(reply.status, 403 | 404 | 405 | 501) {
            return Err(api_error(&operation, &reply, None));
        }
        let operation = format!("rotate the credentials of principal {name}");
        c.expect(
            Method::POST,
            &mgmt(&["principals", name, "rotate"]),
            None,
            &operation,
            &[200],
        )
        .await
        .map(|r| r.body)
    }

    fn state_of(spec: &PrincipalSpec, body: &Value, secret: Option<String>) -> PrincipalState {
        let p = if body["principal"].is_object() {
            &body["principal"]
        } else {
            body
        };
        PrincipalState {
            name: spec.name.clone(),
            client_id: p["clientId"]
                .as_str()
                .or(body["credentials"]["clientId"].as_str())
                .unwrap_or("")
                .to_string(),
            client_secret: secret,
            rotated: spec.rotate.clone(),
            credentials_file_current: false,
            entity_version: version(p),
        }
    }

    /// Writes the credentials file if one is asked for and the secret is known.
    fn write_credentials(
        spec: &PrincipalSpec,
        s: &mut PrincipalState,
    ) -> Result<(), ProviderError> {
        if let (Some(path), Some(secret)) = (&spec.credentials_file, &s.client_secret) {
            write_file(
                Path::new(path),
                &file_content(&spec.realm, &s.client_id, secret),
            )?;
            s.credentials_file_current = true;
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for PolarisPrincipal {
    type State = PrincipalState;

    fn sensitive(&self) -> &'static [&'static str] {
        &["client_secret"]
    }

    fn replaces_in_place(&self) -> bool {
        true
    }

    async fn read(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalSpec,
        prior: Option<&PrincipalState>,
    ) -> Result<Observed<PrincipalState>, ProviderError> {
        let c = match reach(&self.clients, ctx, &spec.polaris)? {
            Reach::Client(c) => c,
            Reach::Unavailable(why) => return Ok(Observed::Unavailable(why)),
        };
        let path = mgmt(&["principals", &spec.name]);
        let found = get_entity(&c, &path, &format!("read principal {}", spec.name)).await;
        let v = match unavailable_or(found)? {
            Ok(Some(v)) => v,
            Ok(None) => return Ok(Observed::Absent),
            Err(why) => return Ok(Observed::Unavailable(why)),
        };
        let client_id = v["clientId"].as_str().unwrap_or("").to_string();
        // The secret forge holds is this principal's only while its client id is the same.
        let known = prior.filter(|p| p.client_id == client_id);
        let secret = known.and_then(|p| p.client_secret.clone());
        let current = spec.credentials_file.as_deref().is_none_or(|f| {
            file_is_current(Path::new(f), &spec.realm, &client_id, secret.as_deref())
        });
        Ok(Observed::Present(PrincipalState {
            name: spec.name.clone(),
            client_id,
            client_secret: secret,
            rotated: known.and_then(|p| p.rotated.clone()),
            credentials_file_current: current,
            entity_version: version(&v),
        }))
    }

    fn plan(&self, spec: &PrincipalSpec, current: Option<&PrincipalState>) -> Planned {
        let Some(cur) = current else {
            return Planned {
                action: Action::Create,
                after: json!({"name": spec.name, "credentials_file_current": spec.credentials_file.is_some()}),
                reasons: vec![],
            };
        };
        let mut after = cur.clone();
        let mut reasons = vec![];
        if cur.client_secret.is_some() && spec.rotate != cur.rotated {
            reasons.push("issue new credentials: `rotate` changed".to_string());
            after.rotated = spec.rotate.clone();
        }
        if cur.client_secret.is_some() && !cur.credentials_file_current {
            reasons.push("write its credentials file (missing or stale)".to_string());
            after.credentials_file_current = true;
        }
        Planned {
            action: if reasons.is_empty() {
                Action::NoOp
            } else {
                Action::Update
            },
            after: json!(after),
            reasons,
        }
    }

    fn warnings(&self, spec: &PrincipalSpec, current: Option<&PrincipalState>) -> Vec<String> {
        match current {
            Some(cur) if cur.client_secret.is_none() => vec![format!(
                "the secret of principal `{}` is unknown to forge (it was imported or made outside forge){}; `forge apply --replace polaris_principal.{}` issues new credentials",
                spec.name,
                if spec.credentials_file.is_some() {
                    ", so its credentials file cannot be written"
                } else {
                    ""
                },
                spec.name
            )],
            _ => vec![],
        }
    }

    async fn apply(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalSpec,
        current: Option<&PrincipalState>,
        action: Action,
    ) -> Result<PrincipalState, ProviderError> {
        let c = client(&self.clients, ctx, &spec.polaris)?;
        let mut state = match current {
            None => {
                let operation = format!("create principal {}", spec.name);
                let body = json!({"principal": {"name": spec.name, "properties": {}}, "credentialRotationRequired": false});
                let reply = c
                    .call(
                        Method::POST,
                        &mgmt(&["principals"]),
                        Some(&body),
                        &operation,
                    )
                    .await?;
                match reply.status {
                    200 | 201 => {
                        let secret = reply.body["credentials"]["clientSecret"]
                            .as_str()
                            .map(str::to_string);
                        Self::state_of(spec, &reply.body, secret)
                    }
                    // Made by an interrupted earlier run: adopt it; its secret is lost
                    // with that run, so the plan will offer new credentials.
                    409 => {
                        let v = get_entity(&c, &mgmt(&["principals", &spec.name]), &operation)
                            .await?
                            .ok_or_else(|| api_error(&operation, &reply, None))?;
                        Self::state_of(spec, &v, None)
                    }
                    _ => return Err(api_error(&operation, &reply, None)),
                }
            }
            Some(cur) => {
                let renew = action == Action::Replace
                    || (cur.client_secret.is_some() && spec.rotate != cur.rotated);
                if renew {
                    let body = Self::renew(&c, &spec.name).await?;
                    let secret = body["credentials"]["clientSecret"]
                        .as_str()
                        .map(str::to_string);
                    Self::state_of(spec, &body, secret)
                } else {
                    cur.clone()
                }
            }
        };
        Self::write_credentials(spec, &mut state)?;
        Ok(state)
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _: &str,
        spec: &PrincipalSpec,
        _: &PrincipalState,
    ) -> Result<(), ProviderError> {
        if spec.name == ROOT {
            return Ok(());
        }
        let c = client(&self.clients, ctx, &spec.polaris)?;
        c.expect(
            Method::DELETE,
            &mgmt(&["principals", &spec.name]),
            None,
            &format!("delete principal {}", spec.name),
            &[200, 204, 404],
        )
        .await?;
        if let Some(f) = &spec.credentials_file {
            // Credentials of a principal that no longer exists are only a hazard.
            let _ = std::fs::remove_file(f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretSpec;

    fn spec() -> PrincipalSpec {
        PrincipalSpec {
            polaris: Connection {
                url: "http://x".into(),
                realm: "POLARIS".into(),
                client_id: "root".into(),
                client_secret: SecretSpec::Env("S".into()),
            },
            name: "super_user".into(),
            realm: "POLARIS".into(),
            credentials_file: Some("/tmp/p.txt".into()),
            rotate: None,
        }
    }

    fn state() -> PrincipalState {
        PrincipalState {
            name: "super_user".into(),
            client_id: "abc".into(),
            client_secret: Some("s3cr3t".into()),
            rotated: None,
            credentials_file_current: true,
            entity_version: 1,
        }
    }

    #[test]
    fn credentials_are_renewed_only_when_asked_and_the_file_rewritten_when_stale() {
        let r = PolarisPrincipal::default();
        assert_eq!(r.plan(&spec(), None).action, Action::Create);
        assert_eq!(r.plan(&spec(), Some(&state())).action, Action::NoOp);
        let stale = PrincipalState {
            credentials_file_current: false,
            ..state()
        };
        let p = r.plan(&spec(), Some(&stale));
        assert_eq!(p.action, Action::Update);
        assert!(p.reasons[0].contains("credentials file"));
        let rotate = PrincipalSpec {
            rotate: Some("2026-12".into()),
            ..spec()
        };
        let p = r.plan(&rotate, Some(&state()));
        assert!(p.reasons[0].contains("`rotate` changed"), "{:?}", p.reasons);
    }

    #[test]
    fn an_unknown_secret_is_a_warning_with_the_way_out() {
        let r = PolarisPrincipal::default();
        let imported = PrincipalState {
            client_secret: None,
            credentials_file_current: false,
            ..state()
        };
        assert_eq!(r.plan(&spec(), Some(&imported)).action, Action::NoOp);
        let w = r.warnings(&spec(), Some(&imported));
        assert!(
            w[0].contains("--replace polaris_principal.super_user"),
            "{w:?}"
        );
        assert!(r.warnings(&spec(), Some(&state())).is_empty());
    }

    #[test]
    fn the_credentials_file_is_the_original_tools_format() {
        assert_eq!(file_content("POLARIS", "id", "secret"), "POLARIS,id,secret");
    }
}
