//! `/api/v1/namespaces` (create) and `/api/v1/namespaces/{ns}/members|environments`: who belongs to a
//! namespace with which role, and which environments it may deploy to.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use weir_model::{Member, Namespace};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::access::members::NewNamespace;
use weir_engine::Engine;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentsBody {
    /// The environments the namespace may use; empty: every environment.
    pub environments: Vec<String>,
}

pub async fn create_namespace(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(new): ApiJson<NewNamespace>,
) -> Result<(StatusCode, ApiJson<Namespace>), ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_namespace(&caller, new).await?)))
}

pub async fn list(State(engine): State<Engine>, Authenticated(caller): Authenticated, Path(ns): Path<String>) -> Result<ApiJson<Vec<Member>>, ApiError> {
    Ok(ApiJson(engine.list_members(&caller, &ns).await?))
}

pub async fn set(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<ApiJson<Member>, ApiError> {
    Ok(ApiJson(engine.set_member(&caller, &ns, &user, &body.role).await?))
}

pub async fn remove(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    engine.remove_member(&caller, &ns, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn environments(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    Ok(ApiJson(engine.namespace_environments(&caller, &ns).await?))
}

pub async fn set_environments(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    ApiJson(body): ApiJson<EnvironmentsBody>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    Ok(ApiJson(engine.set_namespace_environments(&caller, &ns, &body.environments).await?))
}
