//! `/api/v1/namespaces/{ns}/jobs/{job}/deployments/...`: deployments, and the actions that start operations
//! (each answers `202 {"operation": id}`; 409 with the running operation's id when one is in flight).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use weir_model::{Deployment, Operation, Snapshot};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::operations::deploy::{DeployRequest, RollbackRequest};
use weir_engine::operations::stop::StopRequest;
use weir_engine::Engine;

type Accepted = (StatusCode, ApiJson<Value>);

fn accepted(operation: i64) -> Accepted {
    (StatusCode::ACCEPTED, ApiJson(json!({ "operation": operation })))
}

/// An optional JSON body: empty means the defaults.
pub(super) fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("invalid JSON body: {e}")))
}

/// `?tail_bytes=` (default 64 KiB): how much of each log file's end.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    pub tail_bytes: Option<u64>,
}

pub async fn logs(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    axum::extract::Query(q): axum::extract::Query<LogsQuery>,
) -> Result<ApiJson<weir_model::clusters::DeploymentLogs>, ApiError> {
    Ok(ApiJson(engine.deployment_logs(&caller, &ns, &job, &env, q.tail_bytes.unwrap_or(64 * 1024)).await?))
}

pub async fn list(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Deployment>>, ApiError> {
    Ok(ApiJson(engine.list_deployments(&caller, &ns, &job).await?))
}

pub async fn get(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<ApiJson<Deployment>, ApiError> {
    Ok(ApiJson(engine.get_deployment(&caller, &ns, &job, &env).await?))
}

/// `?names=a,b&from=&to=`: which measures (default every one) over which range (unix ms; default the last hour).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    pub names: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub async fn metrics(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    query: Result<axum::extract::Query<MetricsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<weir_model::metrics::Metrics>, ApiError> {
    let axum::extract::Query(q) = query.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", r.body_text()))?;
    Ok(ApiJson(engine.deployment_metrics(&caller, &ns, &job, &env, q.names.as_deref(), q.from, q.to).await?))
}

pub async fn deploy(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    raw: Bytes,
) -> Result<Accepted, ApiError> {
    let req: DeployRequest = body(&raw)?;
    Ok(accepted(engine.request_deploy(&caller, &ns, &job, &env, req).await?))
}

pub async fn rollback(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    ApiJson(req): ApiJson<RollbackRequest>,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_rollback(&caller, &ns, &job, &env, req).await?))
}

pub async fn stop(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    raw: Bytes,
) -> Result<Accepted, ApiError> {
    let req: StopRequest = body(&raw)?;
    Ok(accepted(engine.request_stop(&caller, &ns, &job, &env, req).await?))
}

pub async fn savepoint(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_savepoint(&caller, &ns, &job, &env).await?))
}

pub async fn restart(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_restart(&caller, &ns, &job, &env).await?))
}

pub async fn operations(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Operation>>, ApiError> {
    Ok(ApiJson(engine.list_operations(&caller, &ns, &job).await?))
}

pub async fn snapshots(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Snapshot>>, ApiError> {
    Ok(ApiJson(engine.list_snapshots(&caller, &ns, &job).await?))
}

pub async fn operation(State(engine): State<Engine>,
    Authenticated(caller): Authenticated, Path(id): Path<i64>) -> Result<ApiJson<Operation>, ApiError> {
    Ok(ApiJson(engine.get_operation(&caller, id).await?))
}
