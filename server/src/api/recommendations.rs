//! `/api/v1/namespaces/{ns}/jobs/{job}/deployments/{env}/recommendation`: a deployment's resource
//! recommendation (viewers read it and its history; editors apply or dismiss it).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::recommendations::{AppliedRecommendation, DismissRequest, Recommendation, RecommendationRecord};

use super::deployments::body;
use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::Engine;

pub async fn get(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<ApiJson<Recommendation>, ApiError> {
    Ok(ApiJson(engine.recommendation(&caller, &ns, &job, &env).await?))
}

pub async fn history(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<ApiJson<Vec<RecommendationRecord>>, ApiError> {
    Ok(ApiJson(engine.recommendation_history(&caller, &ns, &job, &env).await?))
}

pub async fn apply(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
) -> Result<(StatusCode, ApiJson<AppliedRecommendation>), ApiError> {
    Ok((StatusCode::ACCEPTED, ApiJson(engine.apply_recommendation(&caller, &ns, &job, &env).await?)))
}

pub async fn dismiss(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, job, env)): Path<(String, String, String)>,
    raw: Bytes,
) -> Result<ApiJson<Recommendation>, ApiError> {
    let req: DismissRequest = body(&raw)?;
    Ok(ApiJson(engine.dismiss_recommendation(&caller, &ns, &job, &env, req).await?))
}
