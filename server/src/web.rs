//! The web UI: Leptos pages rendered on the server, server functions, and the static assets built by
//! cargo-leptos. Server functions reach the engine through [`weir_app::engine_port::EnginePort`], implemented
//! here by delegating to the same engine operations the REST API calls.

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use weir_app::engine_port::{EnginePort, SharedEngine};
use weir_app::model::{ClusterStatus, DeployForm, Environment, Job, JobDetail, JobRow, SqlCheck, Version};
use weir_app::{shell, App};

use crate::engine::jobs::NewJob;
use crate::engine::operations::deploy::{DeployRequest, RollbackRequest};
use crate::engine::operations::stop::StopRequest;
use crate::engine::versions::NewVersion;
use crate::engine::{Engine, EngineError};

fn text(e: EngineError) -> String {
    e.to_string()
}

#[async_trait::async_trait]
impl EnginePort for Engine {
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, String> {
        Engine::cluster_statuses(self).await.map_err(text)
    }

    async fn environments(&self) -> Result<Vec<Environment>, String> {
        self.list_environments().await.map_err(text)
    }

    async fn job_rows(&self, ns: &str) -> Result<Vec<JobRow>, String> {
        Engine::job_rows(self, ns).await.map_err(text)
    }

    async fn job_detail(&self, ns: &str, job: &str) -> Result<JobDetail, String> {
        Engine::job_detail(self, ns, job).await.map_err(text)
    }

    async fn create_job(&self, ns: &str, name: &str, kind: &str, description: &str) -> Result<Job, String> {
        let new = NewJob { name: name.trim().into(), kind: kind.into(), description: description.trim().into() };
        Engine::create_job(self, ns, new).await.map_err(text)
    }

    async fn save_sql_version(&self, ns: &str, job: &str, sql: &str, message: &str, by: &str) -> Result<Version, String> {
        let new = NewVersion { sql: Some(sql.into()), message: message.trim().into(), ..Default::default() };
        self.create_version(ns, job, new, by).await.map_err(text)
    }

    async fn validate_sql(&self, sql: &str) -> Result<SqlCheck, String> {
        Engine::validate_sql(self, sql, None).await.map_err(text)
    }

    async fn deploy(&self, ns: &str, job: &str, env: &str, form: DeployForm, by: &str) -> Result<i64, String> {
        let req = DeployRequest {
            version: form.version,
            restore: form.restore,
            restore_path: form.restore_path,
            allow_non_restored_state: Some(form.allow_non_restored_state),
            config_overrides: form.config_overrides,
        };
        self.request_deploy(ns, job, env, req, by).await.map_err(text)
    }

    async fn stop(&self, ns: &str, job: &str, env: &str, savepoint: bool, by: &str) -> Result<i64, String> {
        self.request_stop(ns, job, env, StopRequest { savepoint, drain: false }, by).await.map_err(text)
    }

    async fn savepoint(&self, ns: &str, job: &str, env: &str, by: &str) -> Result<i64, String> {
        self.request_savepoint(ns, job, env, by).await.map_err(text)
    }

    async fn rollback(&self, ns: &str, job: &str, env: &str, version: i32, restore: &str, by: &str) -> Result<i64, String> {
        let req = RollbackRequest { version, restore: Some(restore.into()), allow_non_restored_state: None };
        self.request_rollback(ns, job, env, req, by).await.map_err(text)
    }
}

/// The Leptos routes (pages and server functions) and the static files under the site root.
pub fn router(engine: Engine, options: LeptosOptions) -> Router {
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
        .with_state(options)
}
