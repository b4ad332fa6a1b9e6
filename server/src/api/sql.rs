//! `POST /api/v1/sql/validate`: check a script with the real Flink planner.

use axum::extract::State;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::sql::SqlCheck;
use weir_engine::Engine;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    pub sql: String,
    pub mode: Option<String>,
    /// False: skip the optimizer's plans (the parser's checks and the lineage only, faster).
    pub plans: Option<bool>,
}

pub async fn validate(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    ApiJson(req): ApiJson<ValidateRequest>,
) -> Result<ApiJson<SqlCheck>, ApiError> {
    Ok(ApiJson(engine.validate_sql(&caller, &req.sql, req.mode.as_deref(), req.plans.unwrap_or(true)).await?))
}
