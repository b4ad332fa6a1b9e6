//! The engine's typed errors. Each names its API code (`ErrorCode`, whose HTTP status both front doors answer
//! with); the UI shows the message. Weir's own failures answer a generic message (`public_message`).

use sea_orm::DbErr;
use weir_model::ErrorCode;

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
    /// The deployment does not fit under its namespace's quota or in its pool's free capacity; nothing was
    /// written.
    #[error("{}", quota_message(pool, namespace, refusal))]
    QuotaExceeded { pool: String, namespace: String, refusal: crate::pools::admission::Refusal },
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

/// The words of a quota refusal: which limit, the numbers, in the resource's unit.
fn quota_message(pool: &str, namespace: &str, r: &crate::pools::admission::Refusal) -> String {
    use weir_model::pools::{PoolResource, QuotaLimit};
    let unit = match r.resource {
        PoolResource::Slots => "slot(s)",
        PoolResource::CpuCores => "CPU core(s)",
        PoolResource::MemoryMb => "MB of memory",
    };
    match r.limit {
        QuotaLimit::Quota => format!(
            "namespace '{namespace}' would exceed its quota in pool '{pool}': this deployment needs {} {unit}, {} are \
             used and the quota is {}",
            r.needed, r.used, r.allowed
        ),
        QuotaLimit::Pool => format!(
            "pool '{pool}' has no room for this deployment: it needs {} {unit}, {} of the pool's {} are used",
            r.needed, r.used, r.allowed
        ),
    }
}

/// A word outside the vocabulary (a role, a restore choice, ...) is bad input.
impl From<weir_model::UnknownWord> for EngineError {
    fn from(e: weir_model::UnknownWord) -> Self {
        EngineError::Invalid(e.to_string())
    }
}

impl EngineError {
    /// The API's code for this error (its HTTP status is [`ErrorCode::http_status`]).
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Invalid(_) => ErrorCode::InvalidRequest,
            EngineError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            EngineError::Forbidden(_) => ErrorCode::Forbidden,
            EngineError::Throttled { .. } => ErrorCode::TooManyAttempts,
            EngineError::NotFound { .. } => ErrorCode::NotFound,
            EngineError::InvalidSql { .. } => ErrorCode::InvalidSql,
            EngineError::Conflict(_) => ErrorCode::Conflict,
            EngineError::Busy { .. } => ErrorCode::OperationInProgress,
            EngineError::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            EngineError::Unavailable(_) => ErrorCode::Unavailable,
            EngineError::Failed(_) => ErrorCode::OperationFailed,
            EngineError::Cluster { .. } => ErrorCode::ClusterError,
            EngineError::Database(_) | EngineError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// What a client is told. Weir's own failures (the database, an internal error) are logged here with
    /// their detail and answered with a generic message: database text never reaches a client.
    pub fn public_message(&self) -> String {
        match self {
            EngineError::Database(_) | EngineError::Internal(_) => {
                let reference = crate::new_flink_id();
                tracing::error!(reference = %reference[..8], error = %self, "request failed");
                format!("Weir failed to answer this request; its log has the details (reference {})", &reference[..8])
            }
            other => other.to_string(),
        }
    }
}
