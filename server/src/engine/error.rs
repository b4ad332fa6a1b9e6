//! The engine's typed errors. The REST API maps each variant to one HTTP status in one place
//! (`api::error`); the UI shows the message.

use sea_orm::DbErr;

use crate::backends::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request itself is wrong (bad name, bad URL, missing field); nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// Nobody is signed in, the credentials are wrong, or the token was revoked.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed logins: wait this many seconds.
    #[error("too many failed logins; try again in {retry_after} seconds")]
    Throttled { retry_after: u64 },
    /// The named thing does not exist.
    #[error("{kind} '{name}' does not exist")]
    NotFound { kind: &'static str, name: String },
    /// The SQL does not pass the Flink planner; the position is in the whole script (1-based).
    #[error("invalid SQL at line {line}, column {column}: {message}")]
    InvalidSql { line: u32, column: u32, message: String },
    /// The request conflicts with what exists (a duplicate name, a state that does not allow it).
    #[error("{0}")]
    Conflict(String),
    /// Another operation on the same deployment is in flight.
    #[error("operation {operation} is in progress on this deployment; wait for it to finish")]
    Busy { operation: i64 },
    /// A part Weir needs is not available right now (e.g. the SQL validator).
    #[error("{0}")]
    Unavailable(String),
    /// A step of an operation failed; the message says what happened and what state things are left in.
    #[error("{0}")]
    Failed(String),
    /// A cluster did not do what was asked.
    #[error("cluster '{cluster}' {source}")]
    Cluster { cluster: String, source: BackendError },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngineError {
    /// A stable, machine-readable code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Invalid(_) => "invalid_request",
            EngineError::Unauthenticated(_) => "unauthenticated",
            EngineError::Forbidden(_) => "forbidden",
            EngineError::Throttled { .. } => "too_many_attempts",
            EngineError::NotFound { .. } => "not_found",
            EngineError::InvalidSql { .. } => "invalid_sql",
            EngineError::Conflict(_) => "conflict",
            EngineError::Busy { .. } => "operation_in_progress",
            EngineError::Unavailable(_) => "unavailable",
            EngineError::Failed(_) => "operation_failed",
            EngineError::Cluster { .. } => "cluster_error",
            EngineError::Database(_) => "database_error",
            EngineError::Internal(_) => "internal_error",
        }
    }
}
