//! `/api/v1/users`: local accounts (administrators; a user may change their own password).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_app::model::User;

use super::error::{ApiError, ApiJson};
use crate::engine::access::users::{NewUser, UserChange};
use crate::engine::{Caller, Engine};

pub async fn list(State(engine): State<Engine>, caller: Caller) -> Result<ApiJson<Vec<User>>, ApiError> {
    Ok(ApiJson(engine.list_users(&caller).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    caller: Caller,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, ApiJson<User>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_user(&caller, new).await?)))
}

pub async fn change(
    State(engine): State<Engine>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<ApiJson<User>, ApiError> {
    Ok(ApiJson(engine.change_user(&caller, &name, change).await?))
}

pub async fn delete(State(engine): State<Engine>, caller: Caller, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    engine.delete_user(&caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
