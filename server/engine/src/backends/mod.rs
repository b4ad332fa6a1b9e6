//! Cluster backends: one [`ClusterBackend`] trait for every kind of cluster, one module per kind. The trait is
//! a job's lifecycle on a cluster (start a program with a chosen job id and state to restore, observe many jobs
//! at once, savepoints, stop, cancel, checkpoints, failure cause, resources) plus what the kind can do
//! ([`Capabilities`]), so the engine never asks which kind it drives.
//!
//! - [`flink_rest`]: one JobManager's REST API (Flink 1.20 and 2.x), shared by the kinds below.
//! - [`flink_session`]: a Flink session cluster (standalone or remote): jars are uploaded, then run.
//! - [`local_application`]: one application-mode Flink cluster per job, started on this machine by Weir.

pub mod flink_rest;
pub mod flink_session;
pub mod kubernetes_operator;
pub mod local_application;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use weir_model::{ClusterKind, ClusterOverview, ClusterSettings, FlinkJobState, TaskManagerMetrics};

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

/// What a kind of cluster can do; the engine's operations and the reconciler read these instead of the kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The program must be uploaded to the cluster before a job can start from it ([`ClusterBackend::upload`]).
    pub needs_upload: bool,
    /// Each job runs on a Flink cluster of its own, started with the job and shut down when it ends.
    pub cluster_per_job: bool,
    /// The cluster restarts failed or lost jobs itself: Weir must not start a second one.
    pub heals_jobs: bool,
    /// JobManager high availability: a lost JobManager is replaced and its jobs resume without Weir.
    pub high_availability: bool,
}

/// The program a job runs: a jar on Weir's disk, its entry class and arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub jar: PathBuf,
    /// The cluster's id for the jar once uploaded (kinds that need an upload).
    pub uploaded_id: Option<String>,
    /// The jar's main class; `None` uses the jar manifest's.
    pub entry_class: Option<String>,
    pub args: Vec<String>,
}

/// How to start a job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobStart {
    /// The Flink job id to use (32 hex digits), chosen before starting so a repeated start after a crash
    /// is recognised instead of starting a second job.
    pub job_id: String,
    pub parallelism: Option<u32>,
    /// Restore from this savepoint or retained checkpoint.
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
    /// Flink configuration for this job only (on a cluster per job, also its resources: TaskManager memory,
    /// slots, JobManager memory).
    pub flink_config: BTreeMap<String, String>,
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

/// Every job a cluster knows, from one look.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
    /// Jobs whose own JobManager did not answer (kinds with a cluster per job): neither listed nor lost, their
    /// state is unknown for now.
    pub unreachable: Vec<String>,
}

/// One log file of a job's own processes (kinds with a cluster per job).
#[derive(Clone, Debug, PartialEq)]
pub struct LogFile {
    /// e.g. `jobmanager.log`, `taskmanager-0.log`.
    pub name: String,
    pub size_bytes: u64,
    /// The file's end (at most the bytes asked for).
    pub tail: String,
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

/// What Weir asks of any cluster: one implementation per kind, one object per registered cluster (built once
/// and kept by the engine).
#[async_trait]
pub trait ClusterBackend: Send + Sync {
    fn kind(&self) -> ClusterKind;
    fn capabilities(&self) -> Capabilities;
    /// The cluster's summary: version, TaskManagers, slots, job counts.
    async fn overview(&self) -> Result<ClusterOverview, BackendError>;
    /// Slots, CPU load and heap of every TaskManager.
    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError>;
    /// Every job the cluster knows, in one look (the reconciler's poll).
    async fn jobs(&self) -> Result<JobList, BackendError>;
    /// One job, as [`ClusterBackend::jobs`] would list it (none: not known). Kinds with a cluster per job ask
    /// only that job's JobManager.
    async fn job(&self, job_id: &str) -> Result<Option<JobSummary>, BackendError> {
        Ok(self.jobs().await?.jobs.into_iter().find(|j| j.id == job_id))
    }
    /// Puts a jar on the cluster ahead of a start; returns the cluster's id for it. Only for kinds whose
    /// capabilities say `needs_upload`.
    async fn upload(&self, jar: &Path) -> Result<String, BackendError>;
    /// Starts the program as the job `start.job_id`, restoring `start.restore_path` if given. A job with that id
    /// already known answers [`BackendError::DuplicateJob`].
    async fn start(&self, program: &Program, start: &JobStart) -> Result<(), BackendError>;
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
    /// The job's own log files, each's last `tail_bytes` (kinds with a cluster per job; others have none).
    async fn job_logs(&self, _job_id: &str, _tail_bytes: u64) -> Result<Vec<LogFile>, BackendError> {
        Ok(Vec::new())
    }
}

/// What building a backend needs from the engine.
#[derive(Clone)]
pub struct BackendContext {
    pub http: reqwest::Client,
    /// How long one request to a REST API may take.
    pub timeout: Duration,
    /// The Flink distributions Weir knows (for kinds that start Flink themselves).
    pub runtimes: Arc<Vec<FlinkRuntime>>,
    /// Where kinds that start processes keep their files (one folder per cluster inside).
    pub work_dir: PathBuf,
}

/// An installed Flink distribution, and the SQL runner compiled against it.
#[derive(Clone, Debug, PartialEq)]
pub struct FlinkRuntime {
    /// e.g. `2.3.0`, read from its `lib/flink-dist-<version>.jar`.
    pub version: String,
    /// The distribution's folder (with `lib/`, `plugins/`, `bin/bash-java-utils.jar`).
    pub home: PathBuf,
    /// The SQL runner jar built against it (none: SQL jobs cannot run on it).
    pub runner_jar: Option<PathBuf>,
}

impl FlinkRuntime {
    /// The Flink version of a distribution folder, from its `flink-dist` jar's name.
    pub fn version_of(home: &Path) -> Option<String> {
        let entries = std::fs::read_dir(home.join("lib")).ok()?;
        entries.flatten().find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("flink-dist-").and_then(|r| r.strip_suffix(".jar")).map(str::to_owned)
        })
    }
}

/// The runtime for a Flink version: the same version, else the newest of the same major version.
pub fn runtime_for<'a>(runtimes: &'a [FlinkRuntime], version: &str) -> Option<&'a FlinkRuntime> {
    let major = |v: &str| v.split('.').next().unwrap_or_default().to_owned();
    runtimes.iter().find(|r| r.version == version).or_else(|| {
        runtimes
            .iter()
            .filter(|r| major(&r.version) == major(version))
            .max_by(|a, b| version_key(&a.version).cmp(&version_key(&b.version)))
    })
}

/// A version's numbers, for ordering (`1.20.5` < `2.3.0`).
pub fn version_key(version: &str) -> Vec<u32> {
    version.split(['.', '-']).map_while(|p| p.parse().ok()).collect()
}

/// Builds the backend of a registered cluster from its settings.
pub fn build(name: &str, settings: &ClusterSettings, ctx: &BackendContext) -> Result<Arc<dyn ClusterBackend>, String> {
    Ok(match settings {
        ClusterSettings::FlinkSession(s) => {
            Arc::new(flink_session::FlinkSession::new(ctx.http.clone(), &s.rest_url, ctx.timeout))
        }
        ClusterSettings::LocalApplication(s) => {
            let runtime = runtime_for(&ctx.runtimes, &s.flink_version)
                .filter(|r| r.version == s.flink_version)
                .cloned()
                .ok_or_else(|| format!("Flink {} is not installed (known: {})", s.flink_version, known(&ctx.runtimes)))?;
            Arc::new(local_application::LocalApplication::new(
                s.clone(),
                runtime,
                ctx.work_dir.join(name),
                ctx.http.clone(),
                ctx.timeout,
            ))
        }
        ClusterSettings::KubernetesOperator(s) => {
            Arc::new(kubernetes_operator::KubernetesOperator::new(s.clone(), ctx.http.clone(), ctx.timeout))
        }
    })
}

/// The versions Weir knows, for messages.
pub fn known(runtimes: &[FlinkRuntime]) -> String {
    if runtimes.is_empty() {
        return "none".into();
    }
    runtimes.iter().map(|r| r.version.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(v: &str) -> FlinkRuntime {
        FlinkRuntime { version: v.into(), home: PathBuf::from(v), runner_jar: None }
    }

    #[test]
    fn runtime_for_a_version() {
        let runtimes = vec![rt("2.3.0"), rt("1.20.5"), rt("2.2.1")];
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            ("2.3.0", Some("2.3.0")),   // the same version
            ("1.20.5", Some("1.20.5")),
            ("1.20.1", Some("1.20.5")), // the same major version
            ("2.1.0", Some("2.3.0")),   // the newest of the major version
            ("1.19.3", Some("1.20.5")),
            ("3.0.0", None),            // nothing of that major version
        ];
        for (asked, expected) in table {
            assert_eq!(runtime_for(&runtimes, asked).map(|r| r.version.as_str()), *expected, "{asked}");
        }
        assert!(version_key("1.20.5") < version_key("2.3.0"));
        assert!(version_key("1.9.0") < version_key("1.20.0"));
    }
}
