//! `/api/v1/namespaces/{ns}/jobs/{job}/deployments/...`: deployments, and the actions that start operations
//! (each answers `202 {"operation": id}`; 409 with the running operation's id when one is in flight).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use weir_app::model::{Deployment, Operation, Snapshot};

use super::error::{ApiError, ApiJson};
use super::Actor;
use crate::engine::operations::deploy::{DeployRequest, RollbackRequest};
use crate::engine::operations::stop::StopRequest;
use crate::engine::Engine;

type Accepted = (StatusCode, ApiJson<Value>);

fn accepted(operation: i64) -> Accepted {
    (StatusCode::ACCEPTED, ApiJson(json!({ "operation": operation })))
}

/// An optional JSON body: empty means the defaults.
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("invalid JSON body: {e}")))
}

pub async fn list(
    State(engine): State<Engine>,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Deployment>>, ApiError> {
    Ok(ApiJson(engine.list_deployments(&ns, &job).await?))
}

pub async fn get(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<ApiJson<Deployment>, ApiError> {
    Ok(ApiJson(engine.get_deployment(&ns, &job, &env).await?))
}

pub async fn deploy(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
    actor: Actor,
    raw: Bytes,
) -> Result<Accepted, ApiError> {
    let req: DeployRequest = body(&raw)?;
    Ok(accepted(engine.request_deploy(&ns, &job, &env, req, &actor.0).await?))
}

pub async fn rollback(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
    actor: Actor,
    ApiJson(req): ApiJson<RollbackRequest>,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_rollback(&ns, &job, &env, req, &actor.0).await?))
}

pub async fn stop(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
    actor: Actor,
    raw: Bytes,
) -> Result<Accepted, ApiError> {
    let req: StopRequest = body(&raw)?;
    Ok(accepted(engine.request_stop(&ns, &job, &env, req, &actor.0).await?))
}

pub async fn savepoint(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
    actor: Actor,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_savepoint(&ns, &job, &env, &actor.0).await?))
}

pub async fn restart(
    State(engine): State<Engine>,
    Path((ns, job, env)): Path<(String, String, String)>,
    actor: Actor,
) -> Result<Accepted, ApiError> {
    Ok(accepted(engine.request_restart(&ns, &job, &env, &actor.0).await?))
}

pub async fn operations(
    State(engine): State<Engine>,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Operation>>, ApiError> {
    Ok(ApiJson(engine.list_operations(&ns, &job).await?))
}

pub async fn snapshots(
    State(engine): State<Engine>,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Snapshot>>, ApiError> {
    Ok(ApiJson(engine.list_snapshots(&ns, &job).await?))
}

pub async fn operation(State(engine): State<Engine>, Path(id): Path<i64>) -> Result<ApiJson<Operation>, ApiError> {
    Ok(ApiJson(engine.get_operation(id).await?))
}
