//! Local accounts: create, list, change, delete (administrators), and the first administrator at bootstrap.

use weir_model::{Me, User};

use super::{passwords, Caller};
use crate::{names, Engine, EngineError};
use crate::store::entities::user;

/// What a caller gives to create a user.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub admin: bool,
}

/// What a caller gives to change a user; absent fields stay as they are.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub password: Option<String>,
    pub admin: Option<bool>,
}

impl Engine {
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, EngineError> {
        caller.act("create-user", new.name.clone());
        self.require_admin(caller)?;
        names::check("user", &new.name)?;
        passwords::check_new(&new.password)?;
        let password = new.password;
        let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
            .await
            .map_err(|e| EngineError::Internal(format!("password hashing stopped: {e}")))??;
        let model = self
            .store
            .insert_user(&new.name, &hash, new.admin)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a user named '{}' already exists", new.name)))?;
        tracing::info!(user = %model.name, admin = model.admin, by = %caller.name(), "user created");
        Ok(to_user(model))
    }

    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>, EngineError> {
        self.require_admin(caller)?;
        Ok(self.store.list_users().await?.into_iter().map(to_user).collect())
    }

    /// Changes a password (the user themself, or an administrator) or the admin flag (administrators).
    pub async fn change_user(&self, caller: &Caller, name: &str, change: UserChange) -> Result<User, EngineError> {
        caller.act("change-user", name);
        self.require_signed_in(caller)?;
        let own = caller.user().is_some_and(|u| u.name == name) && caller.token.is_none();
        if !(caller.is_admin() || (own && change.admin.is_none())) {
            return Err(EngineError::Forbidden("only an administrator may change another user or the admin flag".into()));
        }
        let model = self.user_model(name).await?;
        if change.admin == Some(false) && model.admin {
            self.keep_an_admin(&model).await?;
        }
        let hash = match change.password {
            Some(p) => {
                passwords::check_new(&p)?;
                Some(
                    tokio::task::spawn_blocking(move || passwords::hash(&p))
                        .await
                        .map_err(|e| EngineError::Internal(format!("password hashing stopped: {e}")))??,
                )
            }
            None => None,
        };
        Ok(to_user(self.store.update_user(model, hash, change.admin).await?))
    }

    /// Deletes a user with their memberships and tokens; their sessions end at their next request.
    pub async fn delete_user(&self, caller: &Caller, name: &str) -> Result<(), EngineError> {
        caller.act("delete-user", name);
        self.require_admin(caller)?;
        let model = self.user_model(name).await?;
        if model.admin {
            self.keep_an_admin(&model).await?;
        }
        self.store.delete_user(model.id).await?;
        tracing::info!(user = name, by = %caller.name(), "user deleted");
        Ok(())
    }

    /// Creates the first administrator when there is no user at all (`WEIR_ADMIN_PASSWORD` on a first start).
    /// Returns false when users exist already.
    pub async fn bootstrap_admin(&self, name: &str, password: &str) -> Result<bool, EngineError> {
        if self.store.count_users().await? > 0 {
            return Ok(false);
        }
        let new = NewUser { name: name.to_owned(), password: password.to_owned(), admin: true };
        self.create_user(&Caller::system(), new).await?;
        tracing::info!(user = name, "first administrator created");
        Ok(true)
    }

    /// Who the caller is, with their namespaces and roles (the CSRF token is the session's, added by the web
    /// layer).
    pub async fn me(&self, caller: &Caller) -> Result<Me, EngineError> {
        self.require_signed_in(caller)?;
        Ok(Me {
            name: caller.name(),
            admin: caller.is_admin(),
            via: if caller.token.is_some() { "token" } else { "session" }.into(),
            namespaces: self.list_namespaces(caller).await?,
            csrf_token: None,
        })
    }

    pub(crate) async fn user_model(&self, name: &str) -> Result<user::Model, EngineError> {
        self.store.find_user(name).await?.ok_or_else(|| EngineError::NotFound { kind: "user", name: name.to_owned() })
    }

    async fn keep_an_admin(&self, leaving: &user::Model) -> Result<(), EngineError> {
        let admins = self.store.list_users().await?.into_iter().filter(|u| u.admin && u.id != leaving.id).count();
        if admins == 0 {
            return Err(EngineError::Conflict(format!("'{}' is the last administrator; make another one first", leaving.name)));
        }
        Ok(())
    }
}

fn to_user(u: user::Model) -> User {
    User { name: u.name, admin: u.admin, created_at: u.created_at }
}
