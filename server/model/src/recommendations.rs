//! Resource recommendations on the wire: a deployment's advised parallelism (per vertex and for the job) and
//! memory, from its metrics history, with the reasons in words and numbers; the settings they are computed
//! with (per environment); and the history of what was shown, applied and dismissed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::pools::Demand;

vocabulary! {
    /// Where a deployment's recommendation is.
    RecommendationStatus, "recommendation status" {
        /// Advice to change something.
        Ready = "ready",
        /// Not enough data yet (the job has not run past the stabilization window and one full window).
        Collecting = "collecting",
        /// The numbers say nothing should change (or the same advice was dismissed).
        NoChange = "no_change",
    }
}

vocabulary! {
    /// What happened to a recommendation, as its history records it.
    RecommendationAction, "recommendation action" {
        Shown = "shown",
        Applied = "applied",
        Dismissed = "dismissed",
    }
}

/// How recommendations are computed in an environment (every field has a default; the autoscaler's are
/// 300 / 900 / 3600 / 0.7 / 1800 / 1.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecommendationSettings {
    /// Seconds after a (re)start whose figures are ignored (the job warms up).
    pub stabilization_s: u32,
    /// Seconds of figures a recommendation is computed from (and must have seen).
    pub window_s: u32,
    /// A decrease is only advised once the job has been watched this long (after the stabilization).
    pub scale_down_after_s: u32,
    /// The busy ratio a vertex should run at (0 < t <= 1).
    pub target_utilization: f64,
    /// A vertex whose busy ratio is within `target_utilization ± utilization_tolerance` is left as it is.
    pub utilization_tolerance: f64,
    /// Seconds in which a source's lag should be caught up.
    pub catch_up_s: u32,
    /// Memory: observed peak x headroom (>= 1).
    pub headroom: f64,
}

impl Default for RecommendationSettings {
    fn default() -> Self {
        RecommendationSettings {
            stabilization_s: 300,
            window_s: 900,
            scale_down_after_s: 3600,
            target_utilization: 0.7,
            utilization_tolerance: 0.2,
            catch_up_s: 1800,
            headroom: 1.2,
        }
    }
}

impl RecommendationSettings {
    /// Why these settings cannot be used, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if self.window_s == 0 {
            return Some("recommendations.window_s must be at least 1".into());
        }
        if self.catch_up_s == 0 {
            return Some("recommendations.catch_up_s must be at least 1".into());
        }
        if !(self.target_utilization > 0.0 && self.target_utilization <= 1.0) {
            return Some(format!(
                "recommendations.target_utilization must be above 0 and at most 1, not {}",
                self.target_utilization
            ));
        }
        if !(self.utilization_tolerance >= 0.0 && self.utilization_tolerance < 1.0) {
            return Some(format!(
                "recommendations.utilization_tolerance must be at least 0 and below 1, not {}",
                self.utilization_tolerance
            ));
        }
        if !(self.headroom >= 1.0 && self.headroom <= 10.0) {
            return Some(format!("recommendations.headroom must be between 1 and 10, not {}", self.headroom));
        }
        None
    }
}

/// One vertex's figures over the window and the parallelism advised for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VertexAdvice {
    pub name: String,
    pub current: u32,
    pub recommended: u32,
    /// Mean busy ratio (busiest subtask) over the window.
    pub busy_ratio: Option<f64>,
    /// True processing rate (records/s the vertex could handle at 100% busy, at its current parallelism).
    pub processing_rate: Option<f64>,
    /// Mean rate of records it handles (records in; records out for a source).
    pub input_rate: Option<f64>,
    /// The rate it should be able to handle (input + lag growth + catch-up), records/s.
    pub target_rate: Option<f64>,
    pub max_parallelism: u32,
    /// The formula, with its numbers.
    pub reason: String,
}

/// The job's parallelism: as it runs, as advised (the largest vertex advice: SQL jobs set one parallelism).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParallelismAdvice {
    pub current: u32,
    pub recommended: u32,
    pub vertices: Vec<VertexAdvice>,
}

/// One memory component: current size (when known), observed peak and the advice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryComponent {
    /// `taskmanager_heap`, `taskmanager_managed`, `taskmanager_metaspace`, `jobmanager_heap`.
    pub component: String,
    pub current_bytes: Option<u64>,
    pub observed_peak_bytes: Option<u64>,
    pub recommended_bytes: Option<u64>,
    pub reason: String,
}

/// Memory advice: shown always; applied only where each job has its own cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryAdvice {
    /// Whether applying the recommendation changes memory (false on a session cluster, whose TaskManagers
    /// are shared).
    pub applies: bool,
    pub note: String,
    pub components: Vec<MemoryComponent>,
}

/// The figures a recommendation is based on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BasedOn {
    /// Unix milliseconds.
    pub from: i64,
    pub to: i64,
    /// Samples of the busiest vertex's busy ratio in the window.
    pub samples: u32,
}

/// What applying it would do to the pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecommendationCost {
    pub pool: Option<String>,
    pub current: Demand,
    pub recommended: Demand,
    /// Slots it would need more (positive) or free (negative).
    pub slots_delta: i64,
}

/// A dismissal that hides this advice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dismissal {
    pub by: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The answer of `GET .../deployments/{env}/recommendation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub status: RecommendationStatus,
    /// Why this status, in one sentence.
    pub reason: String,
    pub parallelism: ParallelismAdvice,
    pub memory: MemoryAdvice,
    /// The whole advice in words and numbers.
    pub explanation: String,
    pub based_on: BasedOn,
    pub cost: Option<RecommendationCost>,
    /// A digest of the advised numbers: the same advice has the same fingerprint.
    pub fingerprint: String,
    /// Set when this same advice was dismissed (the status is then `no_change`).
    #[serde(default)]
    pub dismissed: Option<Dismissal>,
    pub settings: RecommendationSettings,
}

/// What a caller may give when dismissing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// The answer of `POST .../recommendation/apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedRecommendation {
    /// The version saved with the recommended settings.
    pub version: i32,
    /// The deploy operation that redeploys it keeping state.
    pub operation: i64,
    pub recommendation: Recommendation,
}

/// One entry of a deployment's recommendation history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecommendationRecord {
    pub id: i64,
    pub action: RecommendationAction,
    pub fingerprint: String,
    pub recommendation: Recommendation,
    pub reason: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The operation an applied recommendation started.
    #[serde(default)]
    pub operation: Option<i64>,
}

/// A deployment with advice waiting (the dashboard's list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRecommendation {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub current_parallelism: u32,
    pub recommended_parallelism: u32,
    /// Slots it would need more (positive) or free (negative).
    pub slots_delta: i64,
    pub reason: String,
}
