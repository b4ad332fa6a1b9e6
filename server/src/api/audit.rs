//! `GET /api/v1/audit`: the audit log, newest first (administrators: everything; owners: their namespaces).

use axum::extract::{Query, State};
use serde::Deserialize;
use weir_model::AuditEntry;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::Engine;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub namespace: Option<String>,
    /// Only records older than this id (the last id of the previous page).
    pub before: Option<i64>,
    pub limit: Option<u64>,
}

pub async fn list(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Query(q): Query<AuditQuery>,
) -> Result<ApiJson<Vec<AuditEntry>>, ApiError> {
    Ok(ApiJson(engine.list_audit(&caller, q.namespace.as_deref(), q.before, q.limit).await?))
}
