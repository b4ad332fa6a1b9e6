//! The one place where errors become HTTP: `{"error": {"code", "message"}}` with a 4xx or 5xx status (the
//! status of each code is `weir_model::ErrorCode::http_status`, which the UI's server functions use too).
//! Used by the REST API, authentication and the web server alike (it depends on none of them).

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use weir_engine::EngineError;
use weir_model::ErrorCode;

/// The message of an error answer, left in the response for its audit record.
#[derive(Clone, Debug)]
pub struct AuditMessage(pub String);

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
        let code = e.code();
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Weir's own failures are logged (with a reference) by `public_message`; a cluster's is logged here.
        let message = e.public_message();
        if status.is_server_error() && code != ErrorCode::InternalError {
            tracing::warn!(error = %e, "request failed");
        }
        let mut err = Self::new(status, code.as_str(), message);
        match &e {
            EngineError::Busy { operation } => {
                err.details.insert("operation".into(), json!(operation));
            }
            EngineError::QuotaExceeded { pool, namespace, refusal } => {
                // Whole numbers as integers (slots, MB), CPU cores as they are.
                let number = |x: f64| if x.fract() == 0.0 && x.abs() < 1e15 { json!(x as i64) } else { json!(x) };
                let limit_key = match refusal.limit {
                    weir_model::pools::QuotaLimit::Quota => "quota",
                    weir_model::pools::QuotaLimit::Pool => "capacity",
                };
                err.details.insert("limit".into(), json!(refusal.limit));
                err.details.insert("resource".into(), json!(refusal.resource));
                err.details.insert("pool".into(), json!(pool));
                err.details.insert("namespace".into(), json!(namespace));
                err.details.insert("needed".into(), number(refusal.needed));
                err.details.insert("used".into(), number(refusal.used));
                err.details.insert(limit_key.into(), number(refusal.allowed));
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
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { ErrorCode::PayloadTooLarge } else { ErrorCode::InvalidRequest };
        let code = code.as_str();
        Self::new(status, code, r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = self.details;
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        response.extensions_mut().insert(AuditMessage(self.message));
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
