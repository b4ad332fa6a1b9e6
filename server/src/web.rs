//! The web UI: Leptos pages rendered on the server, server functions, and the static assets built by
//! cargo-leptos. Server functions reach the engine through [`weir_app::engine_port::EnginePort`], implemented
//! here by [`AsCaller`]: the engine bound to the request's caller, so every call is checked by the engine as
//! that caller. Pages ask anonymous visitors to log in first.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use weir_app::engine_port::{EnginePort, SharedEngine, UiError};
use weir_app::model::{
    ApiToken, AuditEntry, Cluster, ClusterStatus, CreatedToken, Dashboard, DeployForm, Environment, Job, JobDetail,
    JobRow, Me, Member, Namespace, SqlCheck, User, Version, VersionDiff,
};
use weir_app::{shell, App};

use crate::engine::clusters::NewCluster;
use crate::engine::environments::NewEnvironment;
use crate::engine::jobs::NewJob;
use crate::engine::operations::deploy::{DeployRequest, RollbackRequest};
use crate::engine::operations::stop::StopRequest;
use crate::engine::versions::NewVersion;
use crate::engine::access::members::NewNamespace;
use crate::engine::access::tokens::NewToken;
use crate::engine::access::users::{NewUser, UserChange};
use crate::engine::{Caller, Engine, EngineError, Role};

/// The engine acting as one request's caller.
pub struct AsCaller {
    engine: Engine,
    caller: Caller,
}

/// The engine's error for the UI, with the status the REST API would answer (one mapping, in `api::error`).
fn text(e: EngineError) -> UiError {
    let api = crate::api::error::ApiError::from(e);
    UiError { status: api.status.as_u16(), message: api.message }
}

#[async_trait::async_trait]
impl EnginePort for AsCaller {
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, UiError> {
        self.engine.cluster_statuses(&self.caller).await.map_err(text)
    }

    async fn dashboard(&self) -> Result<Dashboard, UiError> {
        self.engine.dashboard(&self.caller).await.map_err(text)
    }

    async fn environments(&self) -> Result<Vec<Environment>, UiError> {
        self.engine.list_environments(&self.caller).await.map_err(text)
    }

    async fn register_cluster(&self, name: &str, kind: &str, rest_url: &str) -> Result<Cluster, UiError> {
        let new = NewCluster { name: name.trim().into(), kind: kind.into(), rest_url: rest_url.trim().into() };
        self.engine.register_cluster(&self.caller, new).await.map_err(text)
    }

    async fn create_environment(
        &self,
        name: &str,
        cluster: &str,
        flink_config: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Environment, UiError> {
        let new = NewEnvironment { name: name.trim().into(), cluster: cluster.into(), flink_config };
        self.engine.create_environment(&self.caller, new).await.map_err(text)
    }

    async fn job_rows(&self, ns: &str) -> Result<Vec<JobRow>, UiError> {
        self.engine.job_rows(&self.caller, ns).await.map_err(text)
    }

    async fn job_detail(&self, ns: &str, job: &str) -> Result<JobDetail, UiError> {
        self.engine.job_detail(&self.caller, ns, job).await.map_err(text)
    }

    async fn version_diff(&self, ns: &str, job: &str, a: i32, b: i32) -> Result<VersionDiff, UiError> {
        self.engine.diff_versions(&self.caller, ns, job, a, b).await.map_err(text)
    }

    async fn create_job(&self, ns: &str, name: &str, kind: &str, description: &str) -> Result<Job, UiError> {
        let new = NewJob { name: name.trim().into(), kind: kind.into(), description: description.trim().into() };
        self.engine.create_job(&self.caller, ns, new).await.map_err(text)
    }

    async fn save_sql_version(&self, ns: &str, job: &str, sql: &str, message: &str) -> Result<Version, UiError> {
        let new = NewVersion { sql: Some(sql.into()), message: message.trim().into(), ..Default::default() };
        self.engine.create_version(&self.caller, ns, job, new).await.map_err(text)
    }

    async fn save_jar_version(
        &self,
        ns: &str,
        job: &str,
        file_name: &str,
        jar: Vec<u8>,
        entry_class: Option<String>,
        args: Vec<String>,
        parallelism: Option<i32>,
        message: &str,
    ) -> Result<Version, UiError> {
        // The upload is only kept when the version may be saved.
        self.engine.require_role(&self.caller, ns, Role::Editor).await.map_err(text)?;
        let artifact = self.engine.store_artifact(&self.caller, file_name, jar).await.map_err(text)?;
        let new = NewVersion {
            artifact: Some(artifact.sha256),
            entry_class,
            args,
            parallelism,
            message: message.trim().into(),
            ..Default::default()
        };
        self.engine.create_version(&self.caller, ns, job, new).await.map_err(text)
    }

    async fn save_settings(
        &self,
        ns: &str,
        job: &str,
        parallelism: Option<i32>,
        flink_config: serde_json::Map<String, serde_json::Value>,
        message: &str,
    ) -> Result<Version, UiError> {
        self.engine.create_settings_version(&self.caller, ns, job, parallelism, flink_config, message).await.map_err(text)
    }

    async fn validate_sql(&self, sql: &str) -> Result<SqlCheck, UiError> {
        self.engine.validate_sql(&self.caller, sql, None).await.map_err(text)
    }

    async fn deploy(&self, ns: &str, job: &str, env: &str, form: DeployForm) -> Result<i64, UiError> {
        let req = DeployRequest {
            version: form.version,
            restore: form.restore,
            restore_path: form.restore_path,
            allow_non_restored_state: Some(form.allow_non_restored_state),
            config_overrides: form.config_overrides,
        };
        self.engine.request_deploy(&self.caller, ns, job, env, req).await.map_err(text)
    }

    async fn stop(&self, ns: &str, job: &str, env: &str, savepoint: bool) -> Result<i64, UiError> {
        self.engine.request_stop(&self.caller, ns, job, env, StopRequest { savepoint, drain: false }).await.map_err(text)
    }

    async fn savepoint(&self, ns: &str, job: &str, env: &str) -> Result<i64, UiError> {
        self.engine.request_savepoint(&self.caller, ns, job, env).await.map_err(text)
    }

    async fn rollback(&self, ns: &str, job: &str, env: &str, version: i32, restore: &str) -> Result<i64, UiError> {
        let req = RollbackRequest { version, restore: Some(restore.into()), allow_non_restored_state: None };
        self.engine.request_rollback(&self.caller, ns, job, env, req).await.map_err(text)
    }

    async fn me(&self) -> Result<Me, UiError> {
        self.engine.me(&self.caller).await.map_err(text)
    }

    async fn namespaces(&self) -> Result<Vec<Namespace>, UiError> {
        self.engine.list_namespaces(&self.caller).await.map_err(text)
    }

    async fn members(&self, ns: &str) -> Result<Vec<Member>, UiError> {
        self.engine.list_members(&self.caller, ns).await.map_err(text)
    }

    async fn set_member(&self, ns: &str, user: &str, role: &str) -> Result<Member, UiError> {
        self.engine.set_member(&self.caller, ns, user.trim(), role).await.map_err(text)
    }

    async fn remove_member(&self, ns: &str, user: &str) -> Result<(), UiError> {
        self.engine.remove_member(&self.caller, ns, user).await.map_err(text)
    }

    async fn namespace_environments(&self, ns: &str) -> Result<Vec<String>, UiError> {
        self.engine.namespace_environments(&self.caller, ns).await.map_err(text)
    }

    async fn set_namespace_environments(&self, ns: &str, environments: Vec<String>) -> Result<Vec<String>, UiError> {
        self.engine.set_namespace_environments(&self.caller, ns, &environments).await.map_err(text)
    }

    async fn audit(&self, ns: Option<String>) -> Result<Vec<AuditEntry>, UiError> {
        self.engine.list_audit(&self.caller, ns.as_deref(), None, None).await.map_err(text)
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, UiError> {
        let me = self.caller.user().map(|u| u.name.clone());
        self.engine.list_tokens(&self.caller, me.as_deref()).await.map_err(text)
    }

    async fn create_token(&self, name: &str, namespace: Option<String>, role: Option<String>) -> Result<CreatedToken, UiError> {
        let new = NewToken { name: name.trim().into(), user: None, namespace, role };
        self.engine.create_token(&self.caller, new).await.map_err(text)
    }

    async fn revoke_token(&self, id: i64) -> Result<ApiToken, UiError> {
        self.engine.revoke_token(&self.caller, id).await.map_err(text)
    }

    async fn users(&self) -> Result<Vec<User>, UiError> {
        self.engine.list_users(&self.caller).await.map_err(text)
    }

    async fn create_user(&self, name: &str, password: &str, admin: bool) -> Result<User, UiError> {
        let new = NewUser { name: name.trim().into(), password: password.into(), admin };
        self.engine.create_user(&self.caller, new).await.map_err(text)
    }

    async fn change_user(&self, name: &str, password: Option<String>, admin: Option<bool>) -> Result<User, UiError> {
        self.engine.change_user(&self.caller, name, UserChange { password, admin }).await.map_err(text)
    }

    async fn delete_user(&self, name: &str) -> Result<(), UiError> {
        self.engine.delete_user(&self.caller, name).await.map_err(text)
    }

    async fn create_namespace(&self, name: &str, owner: Option<String>) -> Result<Namespace, UiError> {
        let new = NewNamespace { name: name.trim().into(), owner };
        self.engine.create_namespace(&self.caller, new).await.map_err(text)
    }
}

/// Binds the engine to the request's caller for the server functions and pages of this request.
async fn bind_caller(State(engine): State<Engine>, mut req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<Caller>().cloned().unwrap_or_else(|| Caller::anonymous(None));
    let anonymous = caller.is_anonymous();
    let path = req.uri().path();
    // A page (not a static file, not a server function, not the login page itself).
    let page = req.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && path != "/login"
        && !path.rsplit('/').next().unwrap_or_default().contains('.');
    if anonymous && page {
        let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let to = format!("/login?next={}", serde_urlencoded::to_string([("n", next)]).unwrap_or_default().trim_start_matches("n="));
        return Redirect::to(&to).into_response();
    }
    let port: SharedEngine = Arc::new(AsCaller { engine, caller });
    req.extensions_mut().insert(port);
    next.run(req).await
}

/// The Leptos routes (pages and server functions) and the static files under the site root.
pub fn router(engine: Engine, options: LeptosOptions) -> Router {
    // Server functions take JAR uploads: allow the artifact limit (axum's default is 2 MiB).
    let body_limit = engine.settings().max_artifact_bytes + 1024 * 1024;
    let routes = generate_route_list(App);
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(&options, routes, || (), move || shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(engine, bind_caller))
        .with_state(options)
}
