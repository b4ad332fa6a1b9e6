//! The API's error contract: each stable `code` of `{"error": {"code", "message"}}` and the HTTP status it is
//! answered with. The engine names the code of each of its errors; the REST API and the UI's server functions
//! answer with this status — one mapping, used by both doors.

/// A machine-readable error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request itself is wrong; nothing was written.
    InvalidRequest,
    InvalidSql,
    Unauthenticated,
    Forbidden,
    NotFound,
    /// A duplicate name, or a state that does not allow the request.
    Conflict,
    /// Another operation on the same deployment is in flight.
    OperationInProgress,
    /// The namespace's quota or the pool's free capacity cannot hold the deployment; nothing was written.
    QuotaExceeded,
    TooManyAttempts,
    PayloadTooLarge,
    /// A part Weir needs is not available right now (e.g. the SQL validator).
    Unavailable,
    /// A step of an operation failed.
    OperationFailed,
    /// A cluster did not do what was asked.
    ClusterError,
    /// Weir itself failed; the detail is in its log, never in the answer.
    InternalError,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidSql => "invalid_sql",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::OperationInProgress => "operation_in_progress",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::OperationFailed => "operation_failed",
            ErrorCode::ClusterError => "cluster_error",
            ErrorCode::InternalError => "internal_error",
        }
    }

    /// The HTTP status answered with this code.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest | ErrorCode::InvalidSql => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict | ErrorCode::OperationInProgress | ErrorCode::QuotaExceeded => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::OperationFailed | ErrorCode::ClusterError => 502,
            ErrorCode::Unavailable => 503,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn serde_name_is_the_code() {
        for code in [ErrorCode::InvalidRequest, ErrorCode::OperationInProgress, ErrorCode::QuotaExceeded, ErrorCode::InternalError] {
            assert_eq!(serde_json::to_string(&code).expect("serialize"), format!("\"{}\"", code.as_str()));
        }
    }
}
