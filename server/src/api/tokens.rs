//! `/api/v1/tokens`: API tokens — create (the secret is in this one answer), list, revoke.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use weir_model::{ApiToken, CreatedToken};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::access::tokens::NewToken;
use weir_engine::Engine;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// An administrator may list one user's tokens.
    pub user: Option<String>,
}

pub async fn list(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<ApiToken>>, ApiError> {
    Ok(ApiJson(engine.list_tokens(&caller, q.user.as_deref()).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewToken>,
) -> Result<(StatusCode, ApiJson<CreatedToken>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_token(&caller, new).await?)))
}

pub async fn revoke(State(engine): State<Engine>, Authenticated(caller): Authenticated, Path(id): Path<i64>) -> Result<ApiJson<ApiToken>, ApiError> {
    Ok(ApiJson(engine.revoke_token(&caller, id).await?))
}
