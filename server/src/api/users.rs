//! `/api/v1/users`: local accounts (administrators; a user may change their own password).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::User;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::access::users::{NewUser, UserChange};
use weir_engine::Engine;

pub async fn list(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<User>>, ApiError> {
    Ok(ApiJson(engine.list_users(&caller).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, ApiJson<User>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_user(&caller, new).await?)))
}

pub async fn change(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<ApiJson<User>, ApiError> {
    Ok(ApiJson(engine.change_user(&caller, &name, change).await?))
}

pub async fn delete(State(engine): State<Engine>, Authenticated(caller): Authenticated, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    engine.delete_user(&caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
