//! Namespaces and who belongs to them: create a namespace (administrators), list and change members and their
//! roles (owners), and the environments a namespace may deploy to (owners; none listed means every one).

use weir_model::{Member, Namespace};

use super::{Caller, Role};
use crate::{names, Engine, EngineError};
use crate::store::entities::{environment, namespace};

/// What a caller gives to create a namespace.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNamespace {
    pub name: String,
    /// A user to make its first owner.
    pub owner: Option<String>,
}

impl Engine {
    /// The namespaces the caller has a role in (every one for an administrator), with that role.
    pub async fn list_namespaces(&self, caller: &Caller) -> Result<Vec<Namespace>, EngineError> {
        self.require_signed_in(caller)?;
        Ok(self
            .namespace_roles(caller)
            .await?
            .into_iter()
            .map(|(n, role)| Namespace { name: n.name, created_at: n.created_at, role: Some(role) })
            .collect())
    }

    pub async fn create_namespace(&self, caller: &Caller, new: NewNamespace) -> Result<Namespace, EngineError> {
        caller.act("create-namespace", new.name.clone());
        self.require_admin(caller)?;
        names::check("namespace", &new.name)?;
        let owner = match &new.owner {
            Some(name) => Some(self.user_model(name).await?),
            None => None,
        };
        let model = self
            .store
            .insert_namespace_with_rules(&new.name, &crate::alerts::manage::default_rule_rows())
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a namespace named '{}' already exists", new.name)))?;
        if let Some(owner) = owner {
            self.store.set_member(model.id, owner.id, Role::Owner).await?;
        }
        tracing::info!(namespace = %model.name, by = %caller.name(), "namespace created");
        Ok(Namespace { name: model.name, created_at: model.created_at, role: Some(Role::Owner) })
    }

    pub async fn list_members(&self, caller: &Caller, ns: &str) -> Result<Vec<Member>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let mut out = Vec::new();
        for m in self.store.members_of(namespace.id).await? {
            if let Some(u) = self.store.user_by_id(m.user_id).await? {
                out.push(Member { user: u.name, role: m.role, since: m.created_at });
            }
        }
        out.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(out)
    }

    /// Gives a user a role in the namespace (or changes it).
    pub async fn set_member(&self, caller: &Caller, ns: &str, user: &str, role: &str) -> Result<Member, EngineError> {
        caller.act("set-member", format!("{user} as {role}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let role = role.trim().parse::<Role>()?;
        let u = self.user_model(user).await?;
        if role < Role::Owner {
            self.keep_an_owner(&namespace, u.id).await?;
        }
        self.store.set_member(namespace.id, u.id, role).await?;
        tracing::info!(namespace = ns, user, role = role.as_str(), by = %caller.name(), "member set");
        Ok(Member { user: u.name, role, since: chrono::Utc::now() })
    }

    pub async fn remove_member(&self, caller: &Caller, ns: &str, user: &str) -> Result<(), EngineError> {
        caller.act("remove-member", user);
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let u = self.user_model(user).await?;
        self.keep_an_owner(&namespace, u.id).await?;
        if !self.store.remove_member(namespace.id, u.id).await? {
            return Err(EngineError::NotFound { kind: "member", name: format!("{user} in {ns}") });
        }
        tracing::info!(namespace = ns, user, by = %caller.name(), "member removed");
        Ok(())
    }

    /// The environments the namespace may deploy to (every environment when none is listed).
    pub async fn namespace_environments(&self, caller: &Caller, ns: &str) -> Result<Vec<String>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        self.environments_of(&namespace).await
    }

    /// The names of the environments a namespace may use.
    pub(crate) async fn environments_of(&self, namespace: &namespace::Model) -> Result<Vec<String>, EngineError> {
        let allowed = self.store.namespace_environment_ids(namespace.id).await?;
        Ok(self
            .store
            .list_environments()
            .await?
            .into_iter()
            .filter(|(e, _)| allowed.is_empty() || allowed.contains(&e.id))
            .map(|(e, _)| e.name)
            .collect())
    }

    /// Limits the namespace to these environments (an empty list: every environment).
    pub async fn set_namespace_environments(
        &self,
        caller: &Caller,
        ns: &str,
        environments: &[String],
    ) -> Result<Vec<String>, EngineError> {
        caller.act("set-environments", environments.join(","));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let mut ids = Vec::new();
        for name in environments {
            ids.push(self.environment_model(name).await?.id);
        }
        ids.sort_unstable();
        ids.dedup();
        self.store.set_namespace_environments(namespace.id, &ids).await?;
        self.namespace_environments(caller, ns).await
    }

    /// Refuses a deployment to an environment the namespace may not use.
    pub(crate) async fn check_environment_use(
        &self,
        namespace: &namespace::Model,
        environment: &environment::Model,
    ) -> Result<(), EngineError> {
        let allowed = self.store.namespace_environment_ids(namespace.id).await?;
        if allowed.is_empty() || allowed.contains(&environment.id) {
            Ok(())
        } else {
            Err(EngineError::Forbidden(format!(
                "namespace '{}' may not use environment '{}'; an owner can allow it",
                namespace.name, environment.name
            )))
        }
    }

    /// A namespace keeps at least one owner (unless nobody ever was one: administrators own it then).
    async fn keep_an_owner(&self, namespace: &namespace::Model, leaving: i64) -> Result<(), EngineError> {
        let members = self.store.members_of(namespace.id).await?;
        let was_owner = members.iter().any(|m| m.user_id == leaving && m.role == Role::Owner);
        let others = members.iter().filter(|m| m.user_id != leaving && m.role == Role::Owner).count();
        if was_owner && others == 0 {
            return Err(EngineError::Conflict(format!(
                "this would leave namespace '{}' without an owner; make someone else owner first",
                namespace.name
            )));
        }
        Ok(())
    }
}
