//! `/api/v1/environments`: create and list environments.

use axum::extract::State;
use axum::http::StatusCode;
use weir_app::model::Environment;

use super::error::{ApiError, ApiJson};
use crate::engine::{environments::NewEnvironment, Caller, Engine};

pub async fn list(State(engine): State<Engine>, caller: Caller) -> Result<ApiJson<Vec<Environment>>, ApiError> {
    Ok(ApiJson(engine.list_environments(&caller).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    caller: Caller,
    ApiJson(new): ApiJson<NewEnvironment>,
) -> Result<(StatusCode, ApiJson<Environment>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_environment(&caller, new).await?)))
}
