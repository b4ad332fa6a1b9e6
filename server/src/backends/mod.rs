//! Cluster backends: one [`ClusterBackend`] trait for every kind of cluster, one module per kind.
//!
//! - [`flink_session`]: a Flink session cluster (standalone or remote) driven over its REST API.

pub mod flink_session;

use std::time::Duration;

use async_trait::async_trait;
use weir_app::model::ClusterOverview;

/// The kinds of cluster Weir can drive, as written in the API and the database.
pub const KINDS: &[&str] = &[flink_session::KIND];

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// No answer: connection refused, DNS failure, timeout.
    #[error("not reachable: {0}")]
    Unreachable(String),
    /// The cluster answered with an error status.
    #[error("answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// The cluster answered something Weir does not understand.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

/// What Weir asks of any cluster. Grows with the engine (submit, stop with savepoint, poll jobs, ...).
#[async_trait]
pub trait ClusterBackend: Send + Sync {
    /// The cluster's summary: version, TaskManagers, slots, job counts.
    async fn overview(&self) -> Result<ClusterOverview, BackendError>;
}

/// Builds the backend for a registered cluster. `kind` was validated against [`KINDS`] on registration.
pub fn for_cluster(
    kind: &str,
    rest_url: &str,
    http: &reqwest::Client,
    timeout: Duration,
) -> Option<Box<dyn ClusterBackend>> {
    match kind {
        flink_session::KIND => Some(Box::new(flink_session::FlinkSession::new(http.clone(), rest_url, timeout))),
        _ => None,
    }
}
