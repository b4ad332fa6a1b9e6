//! Data shared by the engine, the REST API and the browser. Plain serde types, no behaviour.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A registered cluster together with what its REST API said when it was last asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    pub name: String,
    /// The kind of backend, e.g. `flink-session`.
    pub kind: String,
    pub rest_url: String,
    /// Environments bound to this cluster, by name.
    pub environments: Vec<String>,
    pub reachable: bool,
    /// Present when the cluster answered.
    pub overview: Option<ClusterOverview>,
    /// Why the cluster could not be reached, in words.
    pub error: Option<String>,
    pub checked_at: DateTime<Utc>,
}

/// A cluster's own summary, read from Flink's `GET /overview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterOverview {
    pub flink_version: String,
    pub taskmanagers: u32,
    pub slots_total: u32,
    pub slots_available: u32,
    pub jobs_running: u32,
    pub jobs_finished: u32,
    pub jobs_cancelled: u32,
    pub jobs_failed: u32,
}

impl ClusterOverview {
    pub fn slots_used(&self) -> u32 {
        self.slots_total.saturating_sub(self.slots_available)
    }
}

/// A registered cluster as stored (no live data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub kind: String,
    pub rest_url: String,
    pub created_at: DateTime<Utc>,
}

/// Where jobs run: a name bound to a cluster, with default Flink configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub cluster: String,
    pub flink_config: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// The answer of `GET /api/v1/health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when Weir and its database work; clusters being down does not make Weir unhealthy.
    pub status: String,
    pub version: String,
    pub database: DatabaseHealth,
    pub clusters: Vec<ClusterHealth>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub reachable: bool,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealth {
    pub name: String,
    pub reachable: bool,
    pub flink_version: Option<String>,
    pub error: Option<String>,
}
