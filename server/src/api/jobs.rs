//! `/api/v1/namespaces` and `/api/v1/namespaces/{ns}/jobs`: namespaces and jobs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::{Job, Namespace};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::{jobs::NewJob, Engine};

pub async fn namespaces(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<Namespace>>, ApiError> {
    Ok(ApiJson(engine.list_namespaces(&caller).await?))
}

pub async fn list(State(engine): State<Engine>,
    Authenticated(caller): Authenticated, Path(ns): Path<String>) -> Result<ApiJson<Vec<Job>>, ApiError> {
    Ok(ApiJson(engine.list_jobs(&caller, &ns).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    ApiJson(new): ApiJson<NewJob>,
) -> Result<(StatusCode, ApiJson<Job>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_job(&caller, &ns, new).await?)))
}

pub async fn get(State(engine): State<Engine>,
    Authenticated(caller): Authenticated, Path((ns, job)): Path<(String, String)>) -> Result<ApiJson<Job>, ApiError> {
    Ok(ApiJson(engine.get_job(&caller, &ns, &job).await?))
}
