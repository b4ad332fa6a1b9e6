//! `/api/v1/lineage` and `.../versions/{n}/lineage`: a version's column lineage, and the cross-job graph.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use weir_engine::lineage::GraphQuery;
use weir_engine::Engine;
use weir_model::lineage::{LineageGraph, VersionLineage};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};

pub async fn version(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, n)): Path<(String, String, i32)>,
) -> Result<ApiJson<VersionLineage>, ApiError> {
    Ok(ApiJson(engine.version_lineage(&caller, &ns, &job, n).await?))
}

pub async fn graph(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    query: Result<Query<GraphQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<LineageGraph>, ApiError> {
    let Query(q) = query.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", r.body_text()))?;
    Ok(ApiJson(engine.lineage_graph(&caller, q).await?))
}

pub async fn openlineage_export(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
) -> Result<ApiJson<Vec<serde_json::Value>>, ApiError> {
    Ok(ApiJson(engine.openlineage_export(&caller).await?))
}

pub async fn openlineage_status(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
) -> Result<ApiJson<weir_model::lineage::OpenLineageStatus>, ApiError> {
    Ok(ApiJson(engine.openlineage_status(&caller).await?))
}
