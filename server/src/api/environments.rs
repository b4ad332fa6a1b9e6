//! `/api/v1/environments`: create, list and change environments.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::Environment;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::{
    environments::{EnvironmentChange, NewEnvironment},
    Engine,
};

pub async fn list(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<Environment>>, ApiError> {
    Ok(ApiJson(engine.list_environments(&caller).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewEnvironment>,
) -> Result<(StatusCode, ApiJson<Environment>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_environment(&caller, new).await?)))
}

pub async fn update(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
    ApiJson(change): ApiJson<EnvironmentChange>,
) -> Result<ApiJson<Environment>, ApiError> {
    Ok(ApiJson(engine.update_environment(&caller, &name, change).await?))
}
