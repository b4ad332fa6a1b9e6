//! The engine's typed errors. The REST API maps each variant to one HTTP status in one place
//! (`api::error`); the UI shows the message.

use sea_orm::DbErr;

use crate::backends::BackendError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request itself is wrong (bad name, bad URL, missing field); nothing was written.
    #[error("{0}")]
    Invalid(String),
    /// The named thing does not exist.
    #[error("{kind} '{name}' does not exist")]
    NotFound { kind: &'static str, name: String },
    /// The request conflicts with what exists (a duplicate name, an operation in flight).
    #[error("{0}")]
    Conflict(String),
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
            EngineError::NotFound { .. } => "not_found",
            EngineError::Conflict(_) => "conflict",
            EngineError::Cluster { .. } => "cluster_error",
            EngineError::Database(_) => "database_error",
            EngineError::Internal(_) => "internal_error",
        }
    }
}
