//! Cluster backends: one [`ClusterBackend`] trait for every kind of cluster, one module per kind.
//!
//! - [`flink_session`]: a Flink session cluster (standalone or remote) driven over its REST API.

pub mod flink_session;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use weir_model::{ClusterOverview, FlinkJobState, TaskManagerMetrics};

/// The kinds of cluster Weir can drive, as written in the API and the database.
pub const KINDS: &[&str] = &[flink_session::KIND];

/// What went wrong with a cluster, typed, so the engine decides on the kind of failure and never on the
/// cluster's own error text (which is only carried along to be shown).
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// No answer: connection refused, DNS failure, timeout.
    #[error("not reachable: {0}")]
    Unreachable(String),
    /// A job with this id was already submitted (a repeated submission after a crash).
    #[error("already runs a job with id {job_id}")]
    DuplicateJob { job_id: String },
    /// The program to run (an uploaded jar) is not on the cluster (e.g. the cluster restarted).
    #[error("does not have the program: {message}")]
    ProgramMissing { message: String },
    /// The cluster does not know this savepoint trigger id (never triggered, or forgotten).
    #[error("does not know savepoint trigger {trigger_id}")]
    UnknownTrigger { trigger_id: String },
    /// The cluster refused the request with an error status.
    #[error("answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// The cluster answered something Weir does not understand.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

/// How to start a job from an uploaded jar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Submission {
    /// The jar's main class; `None` uses the jar manifest's.
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    pub parallelism: Option<u32>,
    /// Restore from this savepoint or retained checkpoint.
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
    /// Flink configuration for this job only.
    pub flink_config: BTreeMap<String, String>,
    /// The Flink job id to use (32 hex digits), chosen before submitting so a repeated submission after a crash
    /// is recognised instead of starting a second job.
    pub job_id: Option<String>,
}

/// One job as the cluster lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSummary {
    pub id: String,
    pub name: String,
    pub state: FlinkJobState,
    /// Tasks running, of all the job's tasks: a streaming job is fully up when they are equal.
    pub tasks_running: u32,
    pub tasks_total: u32,
}

/// Where an asynchronous savepoint is.
#[derive(Clone, Debug, PartialEq)]
pub enum SavepointStatus {
    InProgress,
    Completed { location: String },
    Failed { cause: String },
}

/// A job's checkpoint facts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckpointInfo {
    /// The last completed checkpoint's external path (retained checkpoints can be restored from).
    pub latest_completed: Option<String>,
    /// What the job was restored from when it started, and whether that was a savepoint.
    pub restored_from: Option<String>,
    pub restored_is_savepoint: bool,
}

/// One vertex's figures, read from its subtasks' metrics: ratios and rates are the maximum over its
/// subtasks, counts the sum. `None`: the cluster did not report it (yet, or ever: `pending_records` only for
/// sources whose connector reports it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VertexMetrics {
    pub id: String,
    pub name: String,
    /// No other vertex feeds it.
    pub source: bool,
    /// It feeds no other vertex.
    pub sink: bool,
    pub parallelism: u32,
    /// Busy time per second / 1000 (max over subtasks).
    pub busy_ratio: Option<f64>,
    /// Back-pressured time per second / 1000 (max over subtasks).
    pub backpressure_ratio: Option<f64>,
    /// Records in and out per second (sum over subtasks).
    pub records_in_per_s: Option<f64>,
    pub records_out_per_s: Option<f64>,
    /// Records waiting in the source's external system (sum over subtasks).
    pub pending_records: Option<f64>,
    /// The vertex's max parallelism (its key groups), when the cluster says.
    pub max_parallelism: Option<u32>,
}

/// A running job's figures, read at once: every vertex, restarts and checkpoints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobMetrics {
    pub vertices: Vec<VertexMetrics>,
    pub restarts: Option<f64>,
    pub checkpoints_failed: Option<f64>,
    pub last_checkpoint_duration_ms: Option<f64>,
    pub last_checkpoint_size_bytes: Option<f64>,
    /// When the last completed checkpoint was acknowledged (unix ms).
    pub last_checkpoint_at_ms: Option<i64>,
    /// The heap of the JobManager running the job, in use and available.
    pub jobmanager_heap_used_bytes: Option<f64>,
    pub jobmanager_heap_max_bytes: Option<f64>,
}

/// What Weir asks of any cluster: one implementation per kind of cluster.
#[async_trait]
pub trait ClusterBackend: Send + Sync {
    /// The cluster's summary: version, TaskManagers, slots, job counts.
    async fn overview(&self) -> Result<ClusterOverview, BackendError>;
    /// Slots, CPU load and heap of every TaskManager.
    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError>;
    /// Every job the cluster knows, in one call (the reconciler's poll).
    async fn jobs(&self) -> Result<Vec<JobSummary>, BackendError>;
    /// Uploads a jar; returns the cluster's id for it.
    async fn upload_jar(&self, path: &Path) -> Result<String, BackendError>;
    /// Starts a job from an uploaded jar; returns the Flink job id.
    async fn submit(&self, jar_id: &str, submission: &Submission) -> Result<String, BackendError>;
    /// Stops the job with a savepoint (into `target_dir`, or the cluster's default). `trigger_id` (32 hex
    /// digits) is chosen by the caller and recorded first, so repeating the call after a crash is idempotent.
    async fn stop_with_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        target_dir: Option<&str>,
        drain: bool,
    ) -> Result<(), BackendError>;
    /// Takes a savepoint while the job keeps running (idempotent per `trigger_id`, as above).
    async fn trigger_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>)
        -> Result<(), BackendError>;
    /// Where the savepoint started by `trigger_id` is.
    async fn savepoint_status(&self, job_id: &str, trigger_id: &str) -> Result<SavepointStatus, BackendError>;
    /// Cancels the job without a savepoint.
    async fn cancel(&self, job_id: &str) -> Result<(), BackendError>;
    /// The job's checkpoint facts.
    async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError>;
    /// Why the job failed: the root exception, in one line, if the cluster recorded one.
    async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError>;
    /// A running job's figures for the metrics history (in as few calls as the cluster allows).
    async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError>;
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
