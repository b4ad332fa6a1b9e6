//! The web UI: Leptos pages rendered on the server, server functions, and the static assets built by
//! cargo-leptos. Server functions reach the engine through [`weir_app::engine_port::EnginePort`], implemented
//! here by delegating to the same engine operations the REST API calls.

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use weir_app::engine_port::{EnginePort, SharedEngine, UiError};
use weir_app::model::{
    Cluster, ClusterStatus, Dashboard, DeployForm, Environment, Job, JobDetail, JobRow, SqlCheck, Version,
    VersionDiff,
};
use weir_app::{shell, App};

use crate::engine::clusters::NewCluster;
use crate::engine::environments::NewEnvironment;
use crate::engine::jobs::NewJob;
use crate::engine::operations::deploy::{DeployRequest, RollbackRequest};
use crate::engine::operations::stop::StopRequest;
use crate::engine::versions::NewVersion;
use crate::engine::{Engine, EngineError};

/// The engine's error for the UI, with the status the REST API would answer (one mapping, in `api::error`).
fn text(e: EngineError) -> UiError {
    let api = crate::api::error::ApiError::from(e);
    UiError { status: api.status.as_u16(), message: api.message }
}

#[async_trait::async_trait]
impl EnginePort for Engine {
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, UiError> {
        Engine::cluster_statuses(self).await.map_err(text)
    }

    async fn dashboard(&self) -> Result<Dashboard, UiError> {
        Engine::dashboard(self).await.map_err(text)
    }

    async fn environments(&self) -> Result<Vec<Environment>, UiError> {
        self.list_environments().await.map_err(text)
    }

    async fn register_cluster(&self, name: &str, kind: &str, rest_url: &str) -> Result<Cluster, UiError> {
        let new = NewCluster { name: name.trim().into(), kind: kind.into(), rest_url: rest_url.trim().into() };
        Engine::register_cluster(self, new).await.map_err(text)
    }

    async fn create_environment(
        &self,
        name: &str,
        cluster: &str,
        flink_config: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Environment, UiError> {
        let new = NewEnvironment { name: name.trim().into(), cluster: cluster.into(), flink_config };
        Engine::create_environment(self, new).await.map_err(text)
    }

    async fn job_rows(&self, ns: &str) -> Result<Vec<JobRow>, UiError> {
        Engine::job_rows(self, ns).await.map_err(text)
    }

    async fn job_detail(&self, ns: &str, job: &str) -> Result<JobDetail, UiError> {
        Engine::job_detail(self, ns, job).await.map_err(text)
    }

    async fn version_diff(&self, ns: &str, job: &str, a: i32, b: i32) -> Result<VersionDiff, UiError> {
        self.diff_versions(ns, job, a, b).await.map_err(text)
    }

    async fn create_job(&self, ns: &str, name: &str, kind: &str, description: &str) -> Result<Job, UiError> {
        let new = NewJob { name: name.trim().into(), kind: kind.into(), description: description.trim().into() };
        Engine::create_job(self, ns, new).await.map_err(text)
    }

    async fn save_sql_version(&self, ns: &str, job: &str, sql: &str, message: &str, by: &str) -> Result<Version, UiError> {
        let new = NewVersion { sql: Some(sql.into()), message: message.trim().into(), ..Default::default() };
        self.create_version(ns, job, new, by).await.map_err(text)
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
        by: &str,
    ) -> Result<Version, UiError> {
        let artifact = self.store_artifact(file_name, jar).await.map_err(text)?;
        let new = NewVersion {
            artifact: Some(artifact.sha256),
            entry_class,
            args,
            parallelism,
            message: message.trim().into(),
            ..Default::default()
        };
        self.create_version(ns, job, new, by).await.map_err(text)
    }

    async fn save_settings(
        &self,
        ns: &str,
        job: &str,
        parallelism: Option<i32>,
        flink_config: serde_json::Map<String, serde_json::Value>,
        message: &str,
        by: &str,
    ) -> Result<Version, UiError> {
        self.create_settings_version(ns, job, parallelism, flink_config, message, by).await.map_err(text)
    }

    async fn validate_sql(&self, sql: &str) -> Result<SqlCheck, UiError> {
        Engine::validate_sql(self, sql, None).await.map_err(text)
    }

    async fn deploy(&self, ns: &str, job: &str, env: &str, form: DeployForm, by: &str) -> Result<i64, UiError> {
        let req = DeployRequest {
            version: form.version,
            restore: form.restore,
            restore_path: form.restore_path,
            allow_non_restored_state: Some(form.allow_non_restored_state),
            config_overrides: form.config_overrides,
        };
        self.request_deploy(ns, job, env, req, by).await.map_err(text)
    }

    async fn stop(&self, ns: &str, job: &str, env: &str, savepoint: bool, by: &str) -> Result<i64, UiError> {
        self.request_stop(ns, job, env, StopRequest { savepoint, drain: false }, by).await.map_err(text)
    }

    async fn savepoint(&self, ns: &str, job: &str, env: &str, by: &str) -> Result<i64, UiError> {
        self.request_savepoint(ns, job, env, by).await.map_err(text)
    }

    async fn rollback(&self, ns: &str, job: &str, env: &str, version: i32, restore: &str, by: &str) -> Result<i64, UiError> {
        let req = RollbackRequest { version, restore: Some(restore.into()), allow_non_restored_state: None };
        self.request_rollback(ns, job, env, req, by).await.map_err(text)
    }
}

/// The Leptos routes (pages and server functions) and the static files under the site root.
pub fn router(engine: Engine, options: LeptosOptions) -> Router {
    // Server functions take JAR uploads: allow the artifact limit (axum's default is 2 MiB).
    let body_limit = engine.settings().max_artifact_bytes + 1024 * 1024;
    let routes = generate_route_list(App);
    let port: SharedEngine = Arc::new(engine);
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(port.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(options)
}
