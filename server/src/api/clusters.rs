//! `/api/v1/clusters`: register, list, and look at clusters.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::{Cluster, ClusterOverview, ClusterStatus, TaskManagerMetrics};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::{clusters::NewCluster, Engine};

pub async fn list(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<ClusterStatus>>, ApiError> {
    Ok(ApiJson(engine.cluster_statuses(&caller).await?))
}

pub async fn register(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewCluster>,
) -> Result<(StatusCode, ApiJson<Cluster>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.register_cluster(&caller, new).await?)))
}

pub async fn get(State(engine): State<Engine>,
    Authenticated(caller): Authenticated, Path(name): Path<String>) -> Result<ApiJson<ClusterStatus>, ApiError> {
    Ok(ApiJson(engine.cluster_status(&caller, &name).await?))
}

pub async fn overview(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
) -> Result<ApiJson<ClusterOverview>, ApiError> {
    Ok(ApiJson(engine.cluster_overview(&caller, &name).await?))
}

pub async fn metrics(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
) -> Result<ApiJson<Vec<TaskManagerMetrics>>, ApiError> {
    Ok(ApiJson(engine.cluster_metrics(&caller, &name).await?))
}

/// `GET /clusters/{name}/history?names=&from=&to=`: the cluster's slots, CPU and heap over time (the same query
/// as a deployment's metrics; names are `weir_model::metrics::ClusterMetricName`s).
pub async fn history(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
    query: Result<axum::extract::Query<super::deployments::MetricsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<weir_model::metrics::ClusterHistory>, ApiError> {
    let axum::extract::Query(q) =
        query.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", r.body_text()))?;
    Ok(ApiJson(engine.cluster_history(&caller, &name, q.names.as_deref(), q.from, q.to).await?))
}
