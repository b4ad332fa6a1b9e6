//! Leptos server functions: thin doors onto the engine (see [`crate::engine_port`]). No logic here: each one
//! reads its arguments, calls one engine operation and returns its answer or its error message.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::DeployForm;
use crate::model::{
    Cluster, ClusterStatus, Dashboard, Environment, Job, JobDetail, JobRow, SqlCheck, Version, VersionDiff,
};

/// Who acts from the UI until accounts exist.
#[cfg(feature = "ssr")]
const UI_ACTOR: &str = "web-ui";

/// Turns an engine error into the server function's error, answering with the engine's HTTP status — except
/// for a plain HTML form post, which is sent back to its page with the error in the address (a redirect,
/// whose status must stay a redirect).
#[cfg(feature = "ssr")]
fn fail(e: crate::engine_port::UiError) -> ServerFnError {
    let html_form = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::ACCEPT).and_then(|a| a.to_str().ok()).map(|a| a.contains("text/html")))
        .unwrap_or(false);
    if html_form {
        return ServerFnError::new(e.message);
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(e.status) {
            response.set_status(status);
        }
    }
    ServerFnError::new(e.message)
}

#[cfg(feature = "ssr")]
fn engine() -> Result<crate::engine_port::SharedEngine, ServerFnError> {
    use_context::<crate::engine_port::SharedEngine>()
        .ok_or_else(|| ServerFnError::new("the engine is not available to this request"))
}

/// Every registered cluster with its live status.
#[server(endpoint = "cluster_statuses")]
pub async fn cluster_statuses() -> Result<Vec<ClusterStatus>, ServerFnError> {
    engine()?.cluster_statuses().await.map_err(fail)
}

/// The dashboard's data.
#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, ServerFnError> {
    engine()?.dashboard().await.map_err(fail)
}

/// Every environment.
#[server(endpoint = "environments")]
pub async fn list_environments() -> Result<Vec<Environment>, ServerFnError> {
    engine()?.environments().await.map_err(fail)
}

/// Registers a cluster.
#[server(endpoint = "register_cluster")]
pub async fn register_cluster(name: String, kind: String, rest_url: String) -> Result<Cluster, ServerFnError> {
    engine()?.register_cluster(&name, &kind, &rest_url).await.map_err(fail)
}

/// Creates an environment; `flink_config` holds one `key = value` per line.
#[server(endpoint = "create_environment")]
pub async fn create_environment(name: String, cluster: String, flink_config: String) -> Result<Environment, ServerFnError> {
    let config = crate::model::parse_config_lines(&flink_config).map_err(ServerFnError::new)?;
    engine()?.create_environment(&name, &cluster, config).await.map_err(fail)
}

/// The jobs of a namespace with their deployments.
#[server(endpoint = "job_rows")]
pub async fn list_job_rows(ns: String) -> Result<Vec<JobRow>, ServerFnError> {
    engine()?.job_rows(&ns).await.map_err(fail)
}

/// Everything the job page shows.
#[server(endpoint = "job_detail")]
pub async fn get_job_detail(ns: String, job: String) -> Result<JobDetail, ServerFnError> {
    engine()?.job_detail(&ns, &job).await.map_err(fail)
}

/// Compares two versions of a job.
#[server(endpoint = "version_diff")]
pub async fn get_version_diff(ns: String, job: String, a: i32, b: i32) -> Result<VersionDiff, ServerFnError> {
    engine()?.version_diff(&ns, &job, a, b).await.map_err(fail)
}

/// Creates a job; from a plain form post, goes on to the new job's page.
#[server(endpoint = "create_job")]
pub async fn create_job(ns: String, name: String, kind: String, description: String) -> Result<Job, ServerFnError> {
    let job = engine()?.create_job(&ns, &name, &kind, &description).await.map_err(fail)?;
    leptos_axum::redirect(&format!("/jobs/{}/{}", job.namespace, job.name));
    Ok(job)
}

/// Saves the next version of a SQL job.
#[server(endpoint = "save_version")]
pub async fn save_version(ns: String, job: String, sql: String, message: String) -> Result<Version, ServerFnError> {
    engine()?.save_sql_version(&ns, &job, &sql, &message, UI_ACTOR).await.map_err(fail)
}

/// Uploads a JAR and saves it as the next version of a JAR job. A multipart form with the fields `ns`, `job`,
/// `jar` (the file), `entry_class`, `args` (one per line), `parallelism` and `message`; it works as a plain
/// HTML form (the browser is sent back to the page it came from).
#[server(input = leptos::server_fn::codec::MultipartFormData, endpoint = "save_jar_version")]
pub async fn save_jar_version(data: leptos::server_fn::codec::MultipartData) -> Result<Version, ServerFnError> {
    let mut form = data.into_inner().ok_or_else(|| ServerFnError::new("expected a multipart form"))?;
    let mut fields = std::collections::HashMap::new();
    let mut jar: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| ServerFnError::new(format!("unreadable upload: {e}")))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "jar" {
            let file_name = field.file_name().unwrap_or("job.jar").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| ServerFnError::new(format!("unreadable upload: {e}")))? {
                bytes.extend_from_slice(&chunk);
            }
            jar = Some((file_name, bytes));
        } else {
            let value = field.text().await.map_err(|e| ServerFnError::new(format!("unreadable field {name}: {e}")))?;
            fields.insert(name, value);
        }
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let (file_name, bytes) = jar.filter(|(_, b)| !b.is_empty()).ok_or_else(|| ServerFnError::new("choose a JAR file to upload"))?;
    let parallelism = match get("parallelism").as_str() {
        "" => None,
        p => Some(p.parse::<i32>().map_err(|_| ServerFnError::new(format!("parallelism '{p}' is not a number")))?),
    };
    let entry_class = Some(get("entry_class")).filter(|c| !c.is_empty());
    let args = get("args").lines().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
    engine()?
        .save_jar_version(&get("ns"), &get("job"), &file_name, bytes, entry_class, args, parallelism, &get("message"), UI_ACTOR)
        .await
        .map_err(fail)
}

/// Saves the next version with the latest program and new settings: `parallelism` (empty: the cluster's
/// default) and `flink_config` (one `key = value` per line).
#[server(endpoint = "save_settings")]
pub async fn save_settings(
    ns: String,
    job: String,
    parallelism: String,
    flink_config: String,
    message: String,
) -> Result<Version, ServerFnError> {
    let parallelism = match parallelism.trim() {
        "" => None,
        p => Some(p.parse::<i32>().map_err(|_| ServerFnError::new(format!("parallelism '{p}' is not a number")))?),
    };
    let config = crate::model::parse_config_lines(&flink_config).map_err(ServerFnError::new)?;
    engine()?.save_settings(&ns, &job, parallelism, config, &message, UI_ACTOR).await.map_err(fail)
}

/// Checks SQL with the real Flink planner.
#[server(endpoint = "validate_sql")]
pub async fn validate_sql(sql: String) -> Result<SqlCheck, ServerFnError> {
    engine()?.validate_sql(&sql).await.map_err(fail)
}

/// Deploys a version (the latest when `version` is empty); see [`DeployForm::from_fields`] for the fields.
#[server(endpoint = "deploy")]
pub async fn deploy(
    ns: String,
    job: String,
    env: String,
    version: String,
    restore: String,
    restore_path: String,
    overrides: String,
) -> Result<i64, ServerFnError> {
    let form = DeployForm::from_fields(&version, &restore, &restore_path, &overrides).map_err(ServerFnError::new)?;
    engine()?.deploy(&ns, &job, &env, form, UI_ACTOR).await.map_err(fail)
}

/// Stops with a savepoint (`savepoint` true) or cancels.
#[server(endpoint = "stop")]
pub async fn stop(ns: String, job: String, env: String, savepoint: bool) -> Result<i64, ServerFnError> {
    engine()?.stop(&ns, &job, &env, savepoint, UI_ACTOR).await.map_err(fail)
}

/// Takes a savepoint while the job runs.
#[server(endpoint = "savepoint")]
pub async fn savepoint(ns: String, job: String, env: String) -> Result<i64, ServerFnError> {
    engine()?.savepoint(&ns, &job, &env, UI_ACTOR).await.map_err(fail)
}

/// Rolls back to a version, keeping current state (`latest-savepoint`) or with that version's snapshot.
#[server(endpoint = "rollback")]
pub async fn rollback(ns: String, job: String, env: String, version: i32, restore: String) -> Result<i64, ServerFnError> {
    engine()?.rollback(&ns, &job, &env, version, &restore, UI_ACTOR).await.map_err(fail)
}
