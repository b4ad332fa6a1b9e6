//! The engine as the UI's server functions see it (server only).
//!
//! The engine lives in the `weir` server crate, which depends on this crate; server functions reach it through
//! this trait. The server binds one to each request's caller (who is signed in) and puts it in the request, so
//! every method acts as that caller and the engine checks their rights. Each method is one engine operation,
//! the same one the REST API calls.

use std::sync::Arc;

use crate::model::{
    ApiToken, AuditEntry, Cluster, ClusterStatus, CreatedToken, Dashboard, DeployForm, Environment, Job, JobDetail,
    JobRow, Me, Member, Namespace, SqlCheck, User, Version, VersionDiff,
};

/// An engine error as the UI gets it: the message shown to the user, and the HTTP status the server function
/// answers with (the same mapping as the REST API: 4xx for bad input, 5xx for failures).
#[derive(Clone, Debug, PartialEq)]
pub struct UiError {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[async_trait::async_trait]
pub trait EnginePort: Send + Sync + 'static {
    /// Every registered cluster with its live status (each cluster is asked once, concurrently).
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, UiError>;
    /// The dashboard: cluster resources, deployments per environment, what needs attention.
    async fn dashboard(&self) -> Result<Dashboard, UiError>;
    /// Every environment.
    async fn environments(&self) -> Result<Vec<Environment>, UiError>;
    async fn register_cluster(&self, name: &str, kind: &str, rest_url: &str) -> Result<Cluster, UiError>;
    async fn create_environment(
        &self,
        name: &str,
        cluster: &str,
        flink_config: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Environment, UiError>;
    /// The jobs of a namespace with their deployments.
    async fn job_rows(&self, ns: &str) -> Result<Vec<JobRow>, UiError>;
    /// Everything the job page shows.
    async fn job_detail(&self, ns: &str, job: &str) -> Result<JobDetail, UiError>;
    async fn version_diff(&self, ns: &str, job: &str, a: i32, b: i32) -> Result<VersionDiff, UiError>;
    async fn create_job(&self, ns: &str, name: &str, kind: &str, description: &str) -> Result<Job, UiError>;
    /// Saves the next version of a SQL job (checked by the planner).
    async fn save_sql_version(&self, ns: &str, job: &str, sql: &str, message: &str) -> Result<Version, UiError>;
    /// Stores an uploaded JAR and saves the next version of a JAR job with it.
    #[allow(clippy::too_many_arguments)]
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
    ) -> Result<Version, UiError>;
    /// Saves the next version with the latest program and new settings.
    async fn save_settings(
        &self,
        ns: &str,
        job: &str,
        parallelism: Option<i32>,
        flink_config: serde_json::Map<String, serde_json::Value>,
        message: &str,
    ) -> Result<Version, UiError>;
    async fn validate_sql(&self, sql: &str) -> Result<SqlCheck, UiError>;
    /// The actions: each returns the id of the operation started.
    async fn deploy(&self, ns: &str, job: &str, env: &str, form: DeployForm) -> Result<i64, UiError>;
    async fn stop(&self, ns: &str, job: &str, env: &str, savepoint: bool) -> Result<i64, UiError>;
    async fn savepoint(&self, ns: &str, job: &str, env: &str) -> Result<i64, UiError>;
    async fn rollback(&self, ns: &str, job: &str, env: &str, version: i32, restore: &str) -> Result<i64, UiError>;

    /// Who is signed in (401 for nobody).
    async fn me(&self) -> Result<Me, UiError>;
    async fn namespaces(&self) -> Result<Vec<Namespace>, UiError>;
    async fn members(&self, ns: &str) -> Result<Vec<Member>, UiError>;
    async fn set_member(&self, ns: &str, user: &str, role: &str) -> Result<Member, UiError>;
    async fn remove_member(&self, ns: &str, user: &str) -> Result<(), UiError>;
    /// The environments a namespace may use.
    async fn namespace_environments(&self, ns: &str) -> Result<Vec<String>, UiError>;
    async fn set_namespace_environments(&self, ns: &str, environments: Vec<String>) -> Result<Vec<String>, UiError>;
    /// The audit log (one namespace's, or everything the caller may read).
    async fn audit(&self, ns: Option<String>) -> Result<Vec<AuditEntry>, UiError>;
    /// The caller's API tokens.
    async fn tokens(&self) -> Result<Vec<ApiToken>, UiError>;
    async fn create_token(&self, name: &str, namespace: Option<String>, role: Option<String>) -> Result<CreatedToken, UiError>;
    async fn revoke_token(&self, id: i64) -> Result<ApiToken, UiError>;
    async fn users(&self) -> Result<Vec<User>, UiError>;
    async fn create_user(&self, name: &str, password: &str, admin: bool) -> Result<User, UiError>;
    /// A new password (the user themself, or an administrator) and/or the admin flag (administrators).
    async fn change_user(&self, name: &str, password: Option<String>, admin: Option<bool>) -> Result<User, UiError>;
    async fn delete_user(&self, name: &str) -> Result<(), UiError>;
    async fn create_namespace(&self, name: &str, owner: Option<String>) -> Result<Namespace, UiError>;
}

/// How the port is stored in Leptos' context.
pub type SharedEngine = Arc<dyn EnginePort>;
