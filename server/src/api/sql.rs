//! `POST /api/v1/sql/validate`: check a script with the real Flink planner.

use axum::extract::State;

use super::error::{ApiError, ApiJson};
use crate::engine::sql::SqlCheck;
use crate::engine::{Caller, Engine};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    pub sql: String,
    pub mode: Option<String>,
}

pub async fn validate(
    State(engine): State<Engine>,
    caller: Caller,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<ApiJson<SqlCheck>, ApiError> {
    Ok(ApiJson(engine.validate_sql(&caller, &req.sql, req.mode.as_deref()).await?))
}
