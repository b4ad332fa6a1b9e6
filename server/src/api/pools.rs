//! `/api/v1/pools`: resource pools (capacity on a cluster) and namespaces' quotas in them. Administrators
//! change them; everyone signed in reads them with their use.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use weir_model::pools::{Pool, Quota, Resources};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::pools::{NewPool, PoolChange};
use weir_engine::Engine;

pub async fn list(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<Pool>>, ApiError> {
    Ok(ApiJson(engine.list_pools(&caller).await?))
}

pub async fn create(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewPool>,
) -> Result<(StatusCode, ApiJson<Pool>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_pool(&caller, new).await?)))
}

pub async fn update(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
    ApiJson(change): ApiJson<PoolChange>,
) -> Result<ApiJson<Pool>, ApiError> {
    Ok(ApiJson(engine.update_pool(&caller, &name, change).await?))
}

pub async fn delete(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    engine.delete_pool(&caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_quota(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((pool, ns)): Path<(String, String)>,
    ApiJson(quota): ApiJson<Resources>,
) -> Result<ApiJson<Quota>, ApiError> {
    Ok(ApiJson(engine.set_quota(&caller, &pool, &ns, quota).await?))
}
