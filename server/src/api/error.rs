//! The one place where errors become HTTP: `{"error": {"code", "message"}}` with a 4xx or 5xx status.

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::engine::EngineError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra fields of the error object (e.g. the running operation's id, an SQL error's position).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: Default::default() }
    }

    pub fn not_found_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match &e {
            EngineError::Invalid(_) | EngineError::InvalidSql { .. } => StatusCode::BAD_REQUEST,
            EngineError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            EngineError::Forbidden(_) => StatusCode::FORBIDDEN,
            EngineError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            EngineError::NotFound { .. } => StatusCode::NOT_FOUND,
            EngineError::Conflict(_) | EngineError::Busy { .. } => StatusCode::CONFLICT,
            EngineError::Cluster { .. } | EngineError::Failed(_) => StatusCode::BAD_GATEWAY,
            EngineError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::Database(_) | EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        let mut err = Self::new(status, e.code(), e.to_string());
        match &e {
            EngineError::Busy { operation } => {
                err.details.insert("operation".into(), json!(operation));
            }
            EngineError::Throttled { retry_after } => {
                err.details.insert("retry_after".into(), json!(retry_after));
            }
            EngineError::InvalidSql { line, column, .. } => {
                err.details.insert("line".into(), json!(line));
                err.details.insert("column".into(), json!(column));
            }
            _ => {}
        }
        err
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_request" };
        Self::new(status, code, r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = self.details;
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        response.extensions_mut().insert(crate::auth::AuditMessage(self.message));
        response
    }
}

/// `axum::Json`, with its rejections (bad JSON, wrong content type, too large) in the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
