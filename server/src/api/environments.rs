//! `/api/v1/environments`: create and list environments.

use axum::extract::State;
use axum::http::StatusCode;
use weir_model::Environment;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::{environments::NewEnvironment, Engine};

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
