//! Logging in: a name and a password become a [`UserRef`] for a new session. A wrong password and an unknown
//! name get the same answer after the same work (argon2id either way), and failures are throttled per
//! account and per address.

use super::passwords;
use super::{Caller, UserRef};
use crate::{Engine, EngineError};

/// The one answer to a failed login.
pub const WRONG: &str = "wrong name or password";

impl Engine {
    pub async fn login(&self, caller: &Caller, name: &str, password: &str) -> Result<UserRef, EngineError> {
        let name = name.trim();
        caller.act("login", name.chars().take(63).collect::<String>());
        let address = caller.address.as_deref();
        if let Some(wait) = self.throttle.locked(name, address) {
            return Err(EngineError::Throttled { retry_after: wait });
        }
        let user = if name.is_empty() || name.len() > 63 { None } else { self.store.find_user(name).await? };
        let password = password.to_owned();
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || match stored {
            Some(hash) => passwords::verify(&password, &hash),
            None => {
                passwords::verify_nobody(&password);
                false
            }
        })
        .await
        .map_err(|e| EngineError::Internal(format!("password check stopped: {e}")))?;
        match user.filter(|_| ok) {
            Some(u) => {
                self.throttle.succeeded(name);
                caller.note_actor(&u.name);
                tracing::info!(user = %u.name, "logged in");
                Ok(UserRef { id: u.id, name: u.name, admin: u.admin })
            }
            None => {
                self.throttle.failed(name, address);
                Err(EngineError::Unauthenticated(WRONG.into()))
            }
        }
    }

    /// The user a session belongs to, read afresh: `None` when the user was deleted or changed their password
    /// after `login_at` (milliseconds since the epoch), which ends the session; a changed admin flag applies at once.
    pub async fn session_user(&self, user_id: i64, login_at: i64) -> Result<Option<UserRef>, EngineError> {
        Ok(self
            .store
            .user_by_id(user_id)
            .await?
            .filter(|u| u.password_changed_at.is_none_or(|changed| changed.timestamp_millis() <= login_at))
            .map(|u| UserRef { id: u.id, name: u.name, admin: u.admin }))
    }
}
