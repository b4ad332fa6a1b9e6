//! Observe: one look at a cluster per tick, kept as a value. The latest look at each cluster lives in the
//! [`ObservationBook`]; pages, the dashboard and the health endpoint read it (with its age) and never ask a
//! cluster themselves. Every look is also published on the engine's internal bus, so later consumers (metrics
//! history, alert rules) subscribe to observations instead of polling clusters again.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use weir_model::{ClusterOverview, TaskManagerMetrics};

use crate::backends::{ClusterBackend, JobSummary};

/// How many looks the bus keeps for a slow subscriber.
const BUS_BUFFER: usize = 256;

/// What the cluster answered in one look.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSeen {
    pub overview: ClusterOverview,
    /// Every job the cluster lists (`/jobs/overview`).
    pub jobs: Vec<JobSummary>,
    /// Jobs whose own JobManager did not answer (kinds with a cluster per job).
    pub unreachable_jobs: Vec<String>,
    /// The TaskManagers' resources: read on slow ticks, carried over from the previous look otherwise.
    pub taskmanagers: Vec<TaskManagerMetrics>,
}

/// One look at one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterObservation {
    pub cluster_id: i64,
    pub cluster: String,
    /// When the look was taken.
    pub at: DateTime<Utc>,
    /// The answer, or why there was none (the cluster is unreachable).
    pub seen: Result<ClusterSeen, String>,
    /// When the cluster last answered: this look, or an earlier one.
    pub last_answer_at: Option<DateTime<Utc>>,
}

impl ClusterObservation {
    pub fn reachable(&self) -> bool {
        self.seen.is_ok()
    }
}

/// The latest look at every cluster, and the bus every look is published on.
pub struct ObservationBook {
    latest: RwLock<HashMap<i64, ClusterObservation>>,
    bus: broadcast::Sender<Arc<ClusterObservation>>,
}

impl Default for ObservationBook {
    fn default() -> Self {
        Self { latest: RwLock::new(HashMap::new()), bus: broadcast::channel(BUS_BUFFER).0 }
    }
}

impl ObservationBook {
    /// The latest look at a cluster, if it was ever looked at.
    pub fn latest(&self, cluster_id: i64) -> Option<ClusterObservation> {
        self.latest.read().ok().and_then(|m| m.get(&cluster_id).cloned())
    }

    /// Keeps a look as the latest and publishes it; returns the previous one.
    pub fn record(&self, observation: ClusterObservation) -> Option<ClusterObservation> {
        let previous = match self.latest.write() {
            Ok(mut m) => m.insert(observation.cluster_id, observation.clone()),
            Err(_) => None,
        };
        // No subscriber is not an error: the bus is for whoever listens.
        let _ = self.bus.send(Arc::new(observation));
        previous
    }

    /// Forgets clusters that are no longer registered.
    pub fn retain(&self, cluster_ids: &[i64]) {
        if let Ok(mut m) = self.latest.write() {
            m.retain(|id, _| cluster_ids.contains(id));
        }
    }

    /// Every look from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ClusterObservation>> {
        self.bus.subscribe()
    }
}

/// Looks at a cluster once: its overview and job list, and its TaskManagers' resources when
/// `with_taskmanagers` or when its slots changed (otherwise those of `previous` are carried over).
pub async fn look(
    cluster_id: i64,
    cluster: &str,
    backend: &dyn ClusterBackend,
    with_taskmanagers: bool,
    previous: Option<&ClusterObservation>,
) -> ClusterObservation {
    let before = previous.and_then(|p| p.seen.as_ref().ok());
    let (overview, jobs) = futures::join!(backend.overview(), backend.jobs());
    let at = Utc::now();
    let seen = match (overview, jobs) {
        (Ok(overview), Ok(list)) => {
            // The TaskManagers are read again on slow ticks, and whenever slots moved (so both agree).
            let slots = |o: &ClusterOverview| (o.taskmanagers, o.slots_total, o.slots_available);
            let taskmanagers = match before {
                Some(b) if !with_taskmanagers && slots(&b.overview) == slots(&overview) => b.taskmanagers.clone(),
                _ => {
                    let carried = before.map(|b| b.taskmanagers.clone());
                    backend.taskmanager_metrics().await.ok().or(carried).unwrap_or_default()
                }
            };
            Ok(ClusterSeen { overview, jobs: list.jobs, unreachable_jobs: list.unreachable, taskmanagers })
        }
        (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
    };
    let last_answer_at = if seen.is_ok() { Some(at) } else { previous.and_then(|p| p.last_answer_at) };
    ClusterObservation { cluster_id, cluster: cluster.to_owned(), at, seen, last_answer_at }
}
