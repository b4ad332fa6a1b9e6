//! Who may do what. Every engine operation is called with a [`Caller`] and checks it here, in the engine — the
//! REST API and the UI only say who is calling.
//!
//! - Roles in a namespace: [`Role::Viewer`] (read), [`Role::Editor`] (versions, deploy, stop, savepoint,
//!   rollback), [`Role::Owner`] (members, the environments the namespace may use, settings and hotfixes).
//! - A global administrator manages clusters, environments, users and namespaces, and is owner everywhere.
//! - An API token acts for its user: unscoped, with the user's own rights; scoped to a namespace and a role,
//!   with at most that role there (and never more than the user has now) and nothing elsewhere.
//!
//! [`passwords`] (argon2id), [`login`] (with [`throttle`]), [`users`], [`tokens`], [`members`] (namespaces,
//! members, environments' use) and [`audit`] (the log of state-changing requests) are the operations on them.

pub mod audit;
pub mod login;
pub mod members;
pub mod passwords;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::{Engine, EngineError};
use crate::store::entities::namespace;

pub use weir_model::{Role, TokenScopeKind};

/// A signed-in user, as a caller carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
    pub admin: bool,
}

/// The API token a request was authenticated with.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenScope {
    pub id: i64,
    pub label: String,
    /// `Some`: the token only works in this namespace, with at most `role`.
    pub namespace_id: Option<i64>,
    pub role: Option<Role>,
    /// `Metrics`: the token may read `GET /metrics` and nothing else.
    pub kind: TokenScopeKind,
}

impl TokenScope {
    /// A scraper's token: only `GET /metrics`.
    pub fn is_metrics(&self) -> bool {
        self.kind == TokenScopeKind::Metrics
    }
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq)]
pub enum Identity {
    /// Nobody signed in: may do nothing but log in.
    Anonymous,
    /// Weir itself (the reconciler, start-up declarations, the command line on the server's machine).
    System,
    User(UserRef),
}

/// What the engine learnt about a request while serving it, for its audit record: the operation, and the
/// namespace and thing it touched.
#[derive(Clone, Debug, Default)]
pub struct AuditNote {
    /// Who the record names when the request changed who is calling (a login names the user who logged in).
    pub actor: Option<String>,
    pub action: Option<String>,
    pub namespace: Option<String>,
    pub target: Option<String>,
}

/// The caller of an engine operation.
#[derive(Clone, Debug)]
pub struct Caller {
    pub identity: Identity,
    pub token: Option<TokenScope>,
    /// The client's address, for the audit log and login throttling.
    pub address: Option<String>,
    note: Arc<Mutex<AuditNote>>,
}

impl Caller {
    pub fn new(identity: Identity, token: Option<TokenScope>, address: Option<String>) -> Self {
        Self { identity, token, address, note: Default::default() }
    }

    pub fn anonymous(address: Option<String>) -> Self {
        Self::new(Identity::Anonymous, None, address)
    }

    pub fn system() -> Self {
        Self::new(Identity::System, None, None)
    }

    /// Nobody signed in.
    pub fn is_anonymous(&self) -> bool {
        self.identity == Identity::Anonymous
    }

    pub fn user(&self) -> Option<&UserRef> {
        match &self.identity {
            Identity::User(u) => Some(u),
            _ => None,
        }
    }

    /// The name recorded as author or requester: the user's name, or `weir` for Weir itself.
    pub fn name(&self) -> String {
        match &self.identity {
            Identity::Anonymous => "anonymous".into(),
            Identity::System => "weir".into(),
            Identity::User(u) => u.name.clone(),
        }
    }

    /// The name in the audit log: `alice`, or `alice (token ci-deploy)`.
    pub fn audit_name(&self) -> String {
        match &self.token {
            Some(t) => format!("{} (token {})", self.name(), t.label),
            None => self.name(),
        }
    }

    /// A global administrator acting with full rights (not through a namespace-scoped token).
    pub fn is_admin(&self) -> bool {
        match &self.identity {
            Identity::System => true,
            Identity::User(u) => u.admin && self.token.as_ref().is_none_or(|t| t.namespace_id.is_none() && !t.is_metrics()),
            Identity::Anonymous => false,
        }
    }

    /// Records the operation being performed, for the audit log.
    pub fn act(&self, action: &str, target: impl Into<String>) {
        if let Ok(mut n) = self.note.lock() {
            n.action = Some(action.to_owned());
            n.target = Some(target.into());
        }
    }

    /// Names the actor of this request's audit record (a successful login: the user who logged in).
    pub fn note_actor(&self, name: &str) {
        if let Ok(mut n) = self.note.lock() {
            n.actor = Some(name.to_owned());
        }
    }

    /// What a role becomes through the caller's token: capped by a namespace-scoped token's role in its
    /// namespace, nothing elsewhere; unchanged without a token or with an unscoped one.
    fn within_token(&self, namespace_id: i64, own: Option<Role>) -> Option<Role> {
        match &self.token {
            Some(t) if t.is_metrics() => None,
            Some(TokenScope { namespace_id: Some(scope), role, .. }) if *scope == namespace_id => {
                own.zip(*role).map(|(a, b)| a.min(b))
            }
            Some(TokenScope { namespace_id: Some(_), .. }) => None,
            _ => own,
        }
    }

    fn note_namespace(&self, ns: &str) {
        if let Ok(mut n) = self.note.lock() {
            n.namespace.get_or_insert_with(|| ns.to_owned());
        }
    }

    pub fn audit_note(&self) -> AuditNote {
        self.note.lock().map(|n| n.clone()).unwrap_or_default()
    }
}

fn metrics_only() -> EngineError {
    EngineError::Forbidden("this token's scope is 'metrics': it may only read GET /metrics".into())
}

fn unauthenticated() -> EngineError {
    EngineError::Unauthenticated("sign in first: log in, or send an API token as 'Authorization: Bearer <token>'".into())
}

impl Engine {
    /// The caller's role in a namespace, if any (admins are owners everywhere).
    pub async fn role_in(&self, caller: &Caller, ns: &namespace::Model) -> Result<Option<Role>, EngineError> {
        let own = match &caller.identity {
            Identity::Anonymous => None,
            Identity::System => Some(Role::Owner),
            Identity::User(u) if u.admin => Some(Role::Owner),
            Identity::User(u) => self.store.member_role(ns.id, u.id).await?,
        };
        Ok(caller.within_token(ns.id, own))
    }

    /// Every namespace the caller has a role in, with the role — in two queries, however many namespaces.
    pub(crate) async fn namespace_roles(&self, caller: &Caller) -> Result<Vec<(namespace::Model, Role)>, EngineError> {
        let members: HashMap<i64, Role> = match &caller.identity {
            Identity::Anonymous => return Ok(Vec::new()),
            Identity::User(u) if !u.admin => self
                .store
                .memberships_of(u.id)
                .await?
                .into_iter()
                .map(|m| (m.namespace_id, m.role))
                .collect(),
            _ => HashMap::new(),
        };
        let everywhere = caller.identity == Identity::System || caller.user().is_some_and(|u| u.admin);
        Ok(self
            .store
            .list_namespaces()
            .await?
            .into_iter()
            .filter_map(|ns| {
                let own = if everywhere { Some(Role::Owner) } else { members.get(&ns.id).copied() };
                caller.within_token(ns.id, own).map(|role| (ns, role))
            })
            .collect())
    }

    /// Checks that the caller holds at least `need` in the namespace; 401 for nobody, 403 otherwise.
    pub(crate) async fn authorize(&self, caller: &Caller, ns: &namespace::Model, need: Role) -> Result<(), EngineError> {
        caller.note_namespace(&ns.name);
        self.require_signed_in(caller)?;
        match self.role_in(caller, ns).await? {
            Some(have) if have >= need => Ok(()),
            Some(have) => Err(EngineError::Forbidden(format!(
                "this needs the {} role in namespace '{}'; you are {}",
                need.as_str(),
                ns.name,
                have.as_str()
            ))),
            None => Err(EngineError::Forbidden(format!("you have no role in namespace '{}'", ns.name))),
        }
    }

    /// Looks a namespace up and checks the caller's role in it.
    pub(crate) async fn namespace_for(&self, caller: &Caller, ns: &str, need: Role) -> Result<namespace::Model, EngineError> {
        if caller.identity == Identity::Anonymous {
            caller.note_namespace(ns);
            return Err(unauthenticated());
        }
        let model = self.namespace_model(ns).await?;
        self.authorize(caller, &model, need).await?;
        Ok(model)
    }

    /// Anyone signed in (global, read-only things: clusters, environments, SQL validation) — except through a
    /// `metrics` token, which may only be used for `GET /metrics`.
    pub(crate) fn require_signed_in(&self, caller: &Caller) -> Result<(), EngineError> {
        match caller.identity {
            Identity::Anonymous => Err(unauthenticated()),
            _ if caller.token.as_ref().is_some_and(TokenScope::is_metrics) => Err(metrics_only()),
            _ => Ok(()),
        }
    }

    /// `GET /metrics`: an administrator (the figures span every namespace), or a `metrics` token of one.
    pub(crate) fn require_metrics_reader(&self, caller: &Caller) -> Result<(), EngineError> {
        let admin_user = match &caller.identity {
            Identity::Anonymous => return Err(unauthenticated()),
            Identity::System => true,
            Identity::User(u) => u.admin,
        };
        let token_allows = caller.token.as_ref().is_none_or(|t| t.is_metrics() || t.namespace_id.is_none());
        if admin_user && token_allows {
            Ok(())
        } else {
            Err(EngineError::Forbidden(
                "GET /metrics is for administrators and their tokens of scope 'metrics'".into(),
            ))
        }
    }

    /// A global administrator (clusters, environments, users, namespaces).
    pub(crate) fn require_admin(&self, caller: &Caller) -> Result<(), EngineError> {
        self.require_signed_in(caller)?;
        if caller.is_admin() {
            Ok(())
        } else {
            Err(EngineError::Forbidden("only an administrator may do this".into()))
        }
    }

    /// Editor in at least one namespace (e.g. to upload a JAR artifact, which belongs to no namespace yet).
    pub(crate) async fn require_editor_somewhere(&self, caller: &Caller) -> Result<(), EngineError> {
        self.require_signed_in(caller)?;
        if self.namespace_roles(caller).await?.iter().any(|(_, r)| *r >= Role::Editor) {
            return Ok(());
        }
        Err(EngineError::Forbidden("this needs the editor role in some namespace".into()))
    }

    /// The namespaces the caller may see, by id (`None`: every one).
    pub async fn visible_namespaces(&self, caller: &Caller) -> Result<Option<Vec<namespace::Model>>, EngineError> {
        self.require_signed_in(caller)?;
        if caller.is_admin() {
            return Ok(None);
        }
        Ok(Some(self.namespace_roles(caller).await?.into_iter().map(|(ns, _)| ns).collect()))
    }

    /// The names of the namespaces the caller may see (`None`: every one); 401 for nobody.
    pub async fn visible_namespace_names(
        &self,
        caller: &Caller,
    ) -> Result<Option<HashSet<String>>, EngineError> {
        Ok(self.visible_namespaces(caller).await?.map(|v| v.into_iter().map(|n| n.name).collect()))
    }

    /// False once the caller's token is revoked or their user deleted (long-lived requests check this).
    pub async fn caller_still_valid(&self, caller: &Caller) -> bool {
        let Some(user) = caller.user() else { return caller.identity == Identity::System };
        if self.store.user_by_id(user.id).await.ok().flatten().is_none() {
            return false;
        }
        match &caller.token {
            Some(t) => self.store.token_by_id(t.id).await.ok().flatten().is_some_and(|t| t.revoked_at.is_none()),
            None => true,
        }
    }

    /// Checks that the caller holds `need` in a namespace, before work that is not yet tied to it (an upload).
    pub async fn require_role(&self, caller: &Caller, ns: &str, need: Role) -> Result<(), EngineError> {
        self.namespace_for(caller, ns, need).await.map(|_| ())
    }
}
