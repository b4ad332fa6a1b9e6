//! `/api/v1/namespaces/{ns}/jobs/{job}/versions`: save, list, read and compare versions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::Version;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::versions::{NewVersion, VersionDiff};
use weir_engine::Engine;

pub async fn list(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job)): Path<(String, String)>,
) -> Result<ApiJson<Vec<Version>>, ApiError> {
    Ok(ApiJson(engine.list_versions(&caller, &ns, &job).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job)): Path<(String, String)>,
    ApiJson(new): ApiJson<NewVersion>,
) -> Result<(StatusCode, ApiJson<Version>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_version(&caller, &ns, &job, new).await?)))
}

pub async fn get(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, n)): Path<(String, String, i32)>,
) -> Result<ApiJson<Version>, ApiError> {
    Ok(ApiJson(engine.get_version(&caller, &ns, &job, n).await?))
}

pub async fn diff(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, a, b)): Path<(String, String, i32, i32)>,
) -> Result<ApiJson<VersionDiff>, ApiError> {
    Ok(ApiJson(engine.diff_versions(&caller, &ns, &job, a, b).await?))
}
