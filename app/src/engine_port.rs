//! The engine as the UI's server functions see it (server only).
//!
//! The engine lives in the `weir` server crate, which depends on this crate; server functions reach it through
//! this trait, put into Leptos' context by the server. Each method is one engine operation, the same one the
//! REST API calls.

use std::sync::Arc;

use crate::model::{ClusterStatus, DeployForm, Environment, Job, JobDetail, JobRow, SqlCheck, Version};

/// Errors are the engine's messages, shown to the user as they are.
#[async_trait::async_trait]
pub trait EnginePort: Send + Sync + 'static {
    /// Every registered cluster with its live status (each cluster is asked once, concurrently).
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, String>;
    /// Every environment.
    async fn environments(&self) -> Result<Vec<Environment>, String>;
    /// The jobs of a namespace with their deployments.
    async fn job_rows(&self, ns: &str) -> Result<Vec<JobRow>, String>;
    /// Everything the job page shows.
    async fn job_detail(&self, ns: &str, job: &str) -> Result<JobDetail, String>;
    async fn create_job(&self, ns: &str, name: &str, kind: &str, description: &str) -> Result<Job, String>;
    /// Saves the next version of a SQL job (checked by the planner).
    async fn save_sql_version(&self, ns: &str, job: &str, sql: &str, message: &str, by: &str) -> Result<Version, String>;
    async fn validate_sql(&self, sql: &str) -> Result<SqlCheck, String>;
    /// The actions: each returns the id of the operation started.
    async fn deploy(&self, ns: &str, job: &str, env: &str, form: DeployForm, by: &str) -> Result<i64, String>;
    async fn stop(&self, ns: &str, job: &str, env: &str, savepoint: bool, by: &str) -> Result<i64, String>;
    async fn savepoint(&self, ns: &str, job: &str, env: &str, by: &str) -> Result<i64, String>;
    async fn rollback(&self, ns: &str, job: &str, env: &str, version: i32, restore: &str, by: &str)
        -> Result<i64, String>;
}

/// How the port is stored in Leptos' context.
pub type SharedEngine = Arc<dyn EnginePort>;
