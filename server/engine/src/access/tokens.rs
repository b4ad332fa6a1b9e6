//! API tokens for automation: created (the secret shown once), listed, revoked; stored as SHA-256 hashes (the
//! secret is 256 random bits, so a fast hash is enough); sent as `Authorization: Bearer`. A revoked token is
//! refused from the next request on, because every request looks the token up.

use rand::RngCore;
use sha2::{Digest, Sha256};
use weir_model::{ApiToken, CreatedToken};

use super::{Caller, Identity, Role, TokenScope, TokenScopeKind, UserRef};
use crate::{Engine, EngineError};
use crate::store::entities::api_token;
use crate::store::tokens::NewTokenRow;

/// Every token starts with this, so it is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "weir_";

/// What a caller gives to create a token.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label, e.g. "ci-deploy".
    pub name: String,
    /// Whose token (administrators only; default: the caller).
    pub user: Option<String>,
    /// Scope: only this namespace...
    pub namespace: Option<String>,
    /// ...with at most this role.
    pub role: Option<String>,
    /// `api` (default) or `metrics`: a Prometheus scraper's token, which may read `GET /metrics` and nothing
    /// else (only for administrators, since the figures span every namespace).
    pub scope: Option<String>,
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Engine {
    pub async fn create_token(&self, caller: &Caller, new: NewToken) -> Result<CreatedToken, EngineError> {
        caller.act("create-token", new.name.clone());
        self.require_signed_in(caller)?;
        if caller.token.as_ref().is_some_and(|t| t.namespace_id.is_some()) {
            return Err(EngineError::Forbidden("a namespace-scoped token cannot manage tokens".into()));
        }
        let label = new.name.trim();
        if label.is_empty() || label.chars().count() > 63 || label.chars().any(char::is_control) {
            return Err(EngineError::Invalid("give the token a name of 1 to 63 characters".into()));
        }
        let owner = match (&new.user, caller.user()) {
            (Some(name), Some(me)) if *name == me.name => self.user_model(name).await?,
            (Some(name), _) => {
                self.require_admin(caller)?;
                self.user_model(name).await?
            }
            (None, Some(me)) => self.user_model(&me.name).await?,
            (None, None) => return Err(EngineError::Invalid("say which user the token is for".into())),
        };
        let (namespace, role) = match (&new.namespace, &new.role) {
            (None, None) => (None, None),
            (Some(_), None) => return Err(EngineError::Invalid("a token scoped to a namespace needs a role".into())),
            (None, Some(_)) => return Err(EngineError::Invalid("a token's role needs a namespace".into())),
            (Some(ns), Some(role)) => {
                let role = role.trim().parse::<Role>()?;
                let model = self.namespace_model(ns).await?;
                let as_owner = Caller::new(
                    Identity::User(UserRef { id: owner.id, name: owner.name.clone(), admin: owner.admin }),
                    None,
                    None,
                );
                let has = self.role_in(&as_owner, &model).await?;
                if has.is_none_or(|h| h < role) {
                    return Err(EngineError::Forbidden(format!(
                        "'{}' is not {} in namespace '{}', so a token cannot be either",
                        owner.name,
                        role.as_str(),
                        model.name
                    )));
                }
                (Some(model), Some(role))
            }
        };
        let scope = match new.scope.as_deref().map(str::trim) {
            None | Some("") => TokenScopeKind::Api,
            Some(word) => word.parse::<TokenScopeKind>()?,
        };
        if scope == TokenScopeKind::Metrics {
            if namespace.is_some() {
                return Err(EngineError::Invalid(
                    "a token of scope 'metrics' reads every namespace's figures: it cannot be scoped to a namespace"
                        .into(),
                ));
            }
            if !owner.admin {
                return Err(EngineError::Forbidden(format!(
                    "only an administrator's token may have scope 'metrics'; '{}' is not an administrator",
                    owner.name
                )));
            }
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let row = self
            .store
            .insert_token(NewTokenRow {
                user_id: owner.id,
                name: label,
                prefix: &prefix,
                secret_hash: &digest(&secret),
                namespace_id: namespace.as_ref().map(|n| n.id),
                role,
                scope,
            })
            .await?;
        tracing::info!(token = row.id, user = %owner.name, by = %caller.name(), "API token created");
        Ok(CreatedToken { token: secret, info: self.token_view(row).await? })
    }

    /// The caller's tokens; an administrator may ask for one user's (`Some`) or everybody's (`None`).
    pub async fn list_tokens(&self, caller: &Caller, user: Option<&str>) -> Result<Vec<ApiToken>, EngineError> {
        self.require_signed_in(caller)?;
        let filter = match (user, caller.user()) {
            (Some(name), Some(me)) if name == me.name => Some(me.id),
            (Some(name), _) => {
                self.require_admin(caller)?;
                Some(self.user_model(name).await?.id)
            }
            (None, _) if caller.is_admin() => None,
            (None, Some(me)) => Some(me.id),
            (None, None) => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for t in self.store.list_tokens(filter).await? {
            out.push(self.token_view(t).await?);
        }
        Ok(out)
    }

    /// Revokes a token (its owner, or an administrator). Revoking twice is not an error.
    pub async fn revoke_token(&self, caller: &Caller, id: i64) -> Result<ApiToken, EngineError> {
        caller.act("revoke-token", format!("token {id}"));
        self.require_signed_in(caller)?;
        if caller.token.as_ref().is_some_and(|t| t.namespace_id.is_some()) {
            return Err(EngineError::Forbidden("a namespace-scoped token cannot manage tokens".into()));
        }
        let not_found = || EngineError::NotFound { kind: "token", name: id.to_string() };
        let token = self.store.token_by_id(id).await?.ok_or_else(not_found)?;
        let mine = caller.user().is_some_and(|u| u.id == token.user_id);
        if !mine && !caller.is_admin() {
            // Someone else's token: as if it did not exist.
            return Err(not_found());
        }
        let token = if token.revoked_at.is_none() { self.store.revoke_token(token).await? } else { token };
        tracing::info!(token = id, by = %caller.name(), "API token revoked");
        self.token_view(token).await
    }

    /// The caller an API token stands for; 401 when it is unknown or revoked.
    pub async fn authenticate_token(&self, secret: &str, address: Option<String>) -> Result<Caller, EngineError> {
        let refused = |why: &str| EngineError::Unauthenticated(format!("the API token is {why}"));
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(refused("not a Weir token"));
        }
        let token = self.store.token_by_hash(&digest(secret)).await?.ok_or_else(|| refused("unknown"))?;
        if token.revoked_at.is_some() {
            return Err(refused("revoked"));
        }
        let user = self.store.user_by_id(token.user_id).await?.ok_or_else(|| refused("unknown"))?;
        self.store.touch_token(token.id).await?;
        let scope = TokenScope {
            id: token.id,
            label: token.name.clone(),
            namespace_id: token.namespace_id,
            role: token.role,
            kind: token.scope,
        };
        let identity = Identity::User(UserRef { id: user.id, name: user.name, admin: user.admin });
        Ok(Caller::new(identity, Some(scope), address))
    }

    async fn token_view(&self, t: api_token::Model) -> Result<ApiToken, EngineError> {
        let user = self.store.user_by_id(t.user_id).await?.map(|u| u.name).unwrap_or_default();
        let namespace = match t.namespace_id {
            Some(id) => self.store.namespace_by_id(id).await?.map(|n| n.name),
            None => None,
        };
        Ok(ApiToken {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            user,
            namespace,
            role: t.role,
            scope: t.scope,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
    }
}
