//! Weir's model: the vocabulary of the domain as enums ([`vocabulary`]), the API's error codes ([`error`]),
//! and the serde types the engine, the REST API and the browser exchange. Only this crate's types are
//! serialized onto the wire. It compiles for the browser (wasm32) too: no I/O, no server dependencies.

#[macro_use]
pub mod vocabulary;
pub mod alerts;
pub mod clusters;
pub mod error;
pub mod lineage;
pub mod metrics;
pub mod operation_log;
pub mod pools;
pub mod recommendations;

pub use clusters::{ClusterKind, ClusterSettings};
pub use error::ErrorCode;
pub use vocabulary::{
    Concern, DesiredState, ExecutionMode, FlinkJobState, JobKind, ObservedState, OperationKind, OperationStatus,
    RestoreChoice, Role, SnapshotKind, SnapshotOrigin, Step, StepStatus, TokenScopeKind, UnknownWord,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A registered cluster together with what its REST API said when the reconciler last looked at it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    pub name: String,
    /// The kind of backend.
    pub kind: ClusterKind,
    /// Where Weir reaches the cluster's REST API (empty for kinds with one JobManager per job).
    pub rest_url: String,
    /// The Flink version it runs: declared in its settings, else what it said of itself.
    #[serde(default)]
    pub flink_version: Option<String>,
    /// Environments bound to this cluster, by name.
    pub environments: Vec<String>,
    pub reachable: bool,
    /// Present when the cluster answered.
    pub overview: Option<ClusterOverview>,
    /// Why the cluster could not be reached, in words.
    pub error: Option<String>,
    /// When the reconciler last looked at it (the figures are this old).
    pub checked_at: DateTime<Utc>,
    /// When it last answered (earlier than `checked_at` while it is unreachable); none: never.
    #[serde(default)]
    pub last_answer_at: Option<DateTime<Utc>>,
    /// How old the observation was when this status was read, in seconds (none: never looked at).
    #[serde(default)]
    pub age_s: Option<u64>,
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
    /// Nothing running yet: a cluster of this Flink version with no TaskManager and no job.
    pub fn empty(flink_version: &str) -> Self {
        ClusterOverview {
            flink_version: flink_version.to_owned(),
            taskmanagers: 0,
            slots_total: 0,
            slots_available: 0,
            jobs_running: 0,
            jobs_finished: 0,
            jobs_cancelled: 0,
            jobs_failed: 0,
        }
    }

    pub fn slots_used(&self) -> u32 {
        self.slots_total.saturating_sub(self.slots_available)
    }
}

/// Resource figures of one TaskManager, from Flink's metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskManagerMetrics {
    pub id: String,
    pub slots_total: u32,
    pub slots_free: u32,
    /// JVM CPU load, 0.0 to 1.0 (of the machine's cores).
    pub cpu_load: Option<f64>,
    pub heap_used_bytes: Option<u64>,
    pub heap_max_bytes: Option<u64>,
    /// Garbage collection time, milliseconds per second (all collectors).
    #[serde(default)]
    pub gc_time_ms_per_s: Option<f64>,
    /// Flink managed memory in use and in all.
    #[serde(default)]
    pub managed_used_bytes: Option<u64>,
    #[serde(default)]
    pub managed_total_bytes: Option<u64>,
    /// JVM metaspace in use.
    #[serde(default)]
    pub metaspace_used_bytes: Option<u64>,
}

/// A registered cluster as stored (no live data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub kind: ClusterKind,
    /// Where Weir reaches the cluster's REST API (empty for kinds with one JobManager per job).
    pub rest_url: String,
    /// The kind's settings (`clusters::*Settings`), as registered.
    #[serde(default)]
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Where jobs run: a name bound to a cluster, with default Flink configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub cluster: String,
    pub flink_config: serde_json::Map<String, serde_json::Value>,
    /// Where this environment's metrics history is read from (PromQL); none: Weir samples it itself.
    pub prometheus_url: Option<String>,
    /// The resource pool it draws from; none: no limit.
    #[serde(default)]
    pub pool: Option<String>,
    /// How resource recommendations are computed here; none: the defaults.
    #[serde(default)]
    pub recommendations: Option<recommendations::RecommendationSettings>,
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

/// A team's space; owns jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The caller's role in it; administrators are owners everywhere.
    pub role: Option<Role>,
}

/// A local account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
}

/// A user's role in a namespace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user: String,
    pub role: Role,
    pub since: DateTime<Utc>,
}

/// An API token as listed (the secret itself is shown once, at creation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub user: String,
    /// Scope: only this namespace, with at most `role`; none: the user's own rights.
    pub namespace: Option<String>,
    pub role: Option<Role>,
    /// `api` (the REST API) or `metrics` (only `GET /metrics`).
    pub scope: TokenScopeKind,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created: the secret, shown this once, and its record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    pub info: ApiToken,
}

/// One state-changing request, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The user, `user (token label)`, or `anonymous`.
    pub actor: String,
    pub action: String,
    pub request: String,
    pub namespace: Option<String>,
    pub target: Option<String>,
    pub address: Option<String>,
    pub status: i32,
    /// ok, denied, failed.
    pub outcome: String,
}

/// Who the caller is, as the UI and `GET /api/v1/session` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub admin: bool,
    /// `session` or `token`.
    pub via: String,
    /// Each namespace the caller has a role in, with the role.
    pub namespaces: Vec<Namespace>,
    /// The session's CSRF token (send it as `X-CSRF-Token` on state-changing requests made with the cookie).
    pub csrf_token: Option<String>,
}

/// A named Flink program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub namespace: String,
    pub name: String,
    pub kind: JobKind,
    pub description: String,
    /// The highest version number, 0 when none was saved yet.
    pub latest_version: i32,
    pub created_at: DateTime<Utc>,
}

/// An immutable snapshot of a job's program and default settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub number: i32,
    pub sql: Option<String>,
    /// For JAR jobs: the artifact's sha256.
    pub artifact: Option<String>,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    pub parallelism: Option<i32>,
    pub flink_config: serde_json::Map<String, serde_json::Value>,
    pub mode: ExecutionMode,
    pub message: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// A stored JAR file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub id: String,
    pub sha256: String,
    pub size: i64,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
}

/// A job in one environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub cluster: String,
    pub desired_state: DesiredState,
    /// The version deployed (or last deployed).
    pub version: Option<i32>,
    pub config_overrides: serde_json::Map<String, serde_json::Value>,
    pub flink_job_id: Option<String>,
    /// What the cluster says, as the reconciler last saw it.
    pub observed_state: ObservedState,
    pub observed_at: Option<DateTime<Utc>>,
    pub latest_checkpoint: Option<String>,
    /// The operation in flight, if any.
    pub active_operation: Option<i64>,
    /// What it needs (from its version and hotfix) and from which pool.
    #[serde(default)]
    pub resources: Option<pools::DeploymentResources>,
    /// The latest time Flink restored its job by itself (a JobManager failover, a restart), if ever.
    #[serde(default)]
    pub last_failover: Option<Failover>,
}

/// A running job restored by Flink itself from another snapshot than it was started from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    pub flink_job_id: String,
    pub at: DateTime<Utc>,
    pub restored_from: Option<String>,
    /// The newest completed checkpoint Weir knew when it saw the restore.
    pub newest_known: Option<String>,
    /// The restored checkpoint is older than `newest_known`: the job went back to a stale position.
    pub stale: bool,
}

/// One step of an operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationStep {
    pub name: Step,
    pub status: StepStatus,
    pub data: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One requested action on a deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: i64,
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub kind: OperationKind,
    pub requested_by: String,
    pub params: serde_json::Value,
    pub status: OperationStatus,
    pub error: Option<String>,
    pub steps: Vec<OperationStep>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A savepoint or retained checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: i64,
    pub environment: String,
    pub kind: SnapshotKind,
    pub origin: SnapshotOrigin,
    /// The version the snapshot was taken from.
    pub version: i32,
    pub path: String,
    pub flink_job_id: String,
    pub operation: Option<i64>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A change published on the event stream (`GET /api/v1/events`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Deployment { deployment: Deployment },
    Operation { operation: Operation },
    Cluster { name: String, reachable: bool },
    /// Sent every few seconds while anyone listens, so figures that change without an event (CPU, heap,
    /// slots) are refreshed by the same stream.
    Heartbeat,
}

impl Event {
    /// Every event's name on the stream (its `event:` line, equal to its `type`).
    pub const NAMES: [&'static str; 4] = ["deployment", "operation", "cluster", "heartbeat"];

    /// The event's name on the stream.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Deployment { .. } => Self::NAMES[0],
            Event::Operation { .. } => Self::NAMES[1],
            Event::Cluster { .. } => Self::NAMES[2],
            Event::Heartbeat => Self::NAMES[3],
        }
    }

    /// The job the event is about, as (namespace, job), if it is about one.
    pub fn job(&self) -> Option<(&str, &str)> {
        match self {
            Event::Deployment { deployment } => Some((&deployment.namespace, &deployment.job)),
            Event::Operation { operation } => Some((&operation.namespace, &operation.job)),
            Event::Cluster { .. } | Event::Heartbeat => None,
        }
    }
}

/// Everything the job page shows, read in one go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: Job,
    /// Newest first.
    pub versions: Vec<Version>,
    /// One per environment the job was deployed to.
    pub deployments: Vec<Deployment>,
    /// Every environment (a job can be deployed to any).
    pub environments: Vec<String>,
    /// Newest first.
    pub snapshots: Vec<Snapshot>,
    /// Newest first.
    pub operations: Vec<Operation>,
    /// The caller's role in the job's namespace: what the page offers.
    pub role: Role,
}

/// One row of the jobs list: a job and its state in each environment it was deployed to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub job: Job,
    pub deployments: Vec<Deployment>,
}

/// What the deploy form sends, read from the form's text fields by [`DeployForm::from_fields`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployForm {
    pub version: Option<i32>,
    pub restore: Option<RestoreChoice>,
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
    /// Config hotfix; `None` keeps the deployment's current overrides.
    pub config_overrides: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One problem in a script, positioned in the whole script (1-based).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SqlProblem {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// The optimized plan of one INSERT or SELECT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SqlPlan {
    pub line: u32,
    pub statement: String,
    pub plan: String,
}

/// The answer of a SQL check by the Flink planner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SqlCheck {
    pub valid: bool,
    pub errors: Vec<SqlProblem>,
    /// Not errors: e.g. a connector whose jar Weir does not have (the cluster may).
    pub warnings: Vec<SqlProblem>,
    pub plans: Vec<SqlPlan>,
    /// How many INSERT statements the script has (a job needs at least one).
    pub inserts: u32,
    pub elapsed_ms: u64,
    /// What the script reads and writes, column by column (none when it has errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<lineage::VersionLineage>,
    /// Why there is no lineage for a script without errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage_error: Option<String>,
}

impl DeployForm {
    /// Reads the deploy form: `version` empty means the latest; `overrides` holds one `key = value` per line
    /// (empty keeps the current overrides, `-` clears them).
    pub fn from_fields(version: &str, restore: &str, restore_path: &str, overrides: &str) -> Result<Self, String> {
        let version = match version.trim() {
            "" => None,
            v => Some(v.trim_start_matches('v').parse::<i32>().map_err(|_| format!("'{v}' is not a version number"))?),
        };
        let config_overrides = match overrides.trim() {
            "" => None,
            "-" => Some(serde_json::Map::new()),
            text => Some(parse_config_lines(text)?),
        };
        let restore_path = Some(restore_path.trim().to_owned()).filter(|p| !p.is_empty());
        Ok(Self {
            version,
            restore: match restore.trim() {
                "" => None,
                r => Some(r.parse::<RestoreChoice>().map_err(|e| e.to_string())?),
            },
            restore_path,
            allow_non_restored_state: false,
            config_overrides,
        })
    }
}

/// Flink configuration typed as one `key = value` (or `key: value`) per line; blank lines are skipped.
pub fn parse_config_lines(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut map = serde_json::Map::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (k, v) = line
            .split_once('=')
            .or_else(|| line.split_once(':'))
            .ok_or_else(|| format!("configuration line {} is not 'key = value': {line}", i + 1))?;
        map.insert(k.trim().to_owned(), serde_json::Value::String(v.trim().to_owned()));
    }
    Ok(map)
}

/// The inverse of [`parse_config_lines`]: one `key = value` per line.
pub fn config_lines(config: &serde_json::Map<String, serde_json::Value>) -> String {
    config.iter().map(|(k, v)| format!("{k} = {}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::DeployForm;

    #[test]
    fn config_lines_round_trip() {
        let map = super::parse_config_lines("a = 1\nb: two").expect("valid");
        assert_eq!(super::config_lines(&map), "a = 1\nb = two");
        assert_eq!(super::parse_config_lines(&super::config_lines(&map)).expect("valid"), map);
    }

    #[test]
    fn deploy_form_fields() {
        let f = DeployForm::from_fields("v2", "path", " /sp/1 ", "a = 1\n\nb: x").expect("valid");
        assert_eq!(f.version, Some(2));
        assert_eq!(f.restore, Some(super::RestoreChoice::Path));
        assert!(DeployForm::from_fields("", "yesterday", "", "").is_err());
        assert_eq!(f.restore_path.as_deref(), Some("/sp/1"));
        let o = f.config_overrides.expect("overrides");
        assert_eq!(o["a"], "1");
        assert_eq!(o["b"], "x");
        assert_eq!(DeployForm::from_fields("", "", "", "").expect("valid").config_overrides, None);
        assert_eq!(DeployForm::from_fields("", "", "", "-").expect("valid").config_overrides.map(|m| m.len()), Some(0));
        assert!(DeployForm::from_fields("two", "", "", "").is_err());
        assert!(DeployForm::from_fields("", "", "", "no separator").is_err());
    }
}

/// One cluster on the dashboard: its status, its TaskManagers' resources and its jobs by Flink state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterPanel {
    pub status: ClusterStatus,
    pub taskmanagers: Vec<TaskManagerMetrics>,
    /// Flink state -> number of jobs the cluster lists in it.
    pub jobs_by_state: std::collections::BTreeMap<String, u32>,
}

/// One environment on the dashboard: its deployments counted by what they are doing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentPanel {
    pub name: String,
    pub cluster: String,
    pub running: u32,
    pub failed: u32,
    pub restarting: u32,
    /// Deployments in any other state (suspended, finished, never deployed, unreachable, ...).
    pub other: u32,
}

/// Something a person should look at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub what: Concern,
    pub detail: String,
}

/// The dashboard's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub clusters: Vec<ClusterPanel>,
    pub environments: Vec<EnvironmentPanel>,
    pub attention: Vec<Attention>,
}

/// A comparison of two versions: which fields changed, and the SQL as a line diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    pub changed: Vec<String>,
    /// Unified-style lines: " " same, "-" only in `from`, "+" only in `to`.
    pub sql_diff: Vec<String>,
    pub from_version: Version,
    pub to_version: Version,
}
