//! The operation log's records: each operation's parameters (the request as resolved and planned at
//! admission) and what each of its steps records — its intent, written before it acts with every id chosen in
//! advance, and once done what it found. They are the JSON of `operations.params` and `operation_steps.data`,
//! shown as they are in the operation history; a resumed step reads its own record back as the same type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{FlinkJobState, ObservedState, RestoreChoice};

/// The resolved request and its plan: the operation's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeployParams {
    pub version: i32,
    pub version_id: i64,
    pub restore: RestoreChoice,
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
    pub config_overrides: Map<String, Value>,
    /// Absent only in operations admitted by a Weir from before plans were recorded; such an operation,
    /// resumed, is planned when it resumes.
    #[serde(default)]
    pub plan: Option<DeployPlan>,
    /// Set when the deploy applies a recommendation: its entry in the recommendation history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<i64>,
}

/// A stop operation's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopParams {
    /// With a savepoint; `false` cancels.
    pub savepoint: bool,
    /// Drain the pipeline (emit final watermarks) before stopping.
    pub drain: bool,
}

/// How the running job is stopped before the new one starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum StopPlan {
    /// Nothing runs.
    Nothing { reason: String },
    /// Stop with a savepoint; the new job restores from it when the restore plan says so.
    StopWithSavepoint { flink_job_id: String },
    /// Cancel, keeping the last completed checkpoint (never when the job has none).
    Cancel { flink_job_id: String },
}

/// What the new job starts from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum RestorePlan {
    /// The snapshot the stop takes; if the job had ended by then, `fallback` (with its own reason).
    WhatTheStopSaves { reason: String, fallback: Option<String>, fallback_reason: String },
    /// A known path (`None`: empty state).
    Known { path: Option<String>, reason: String },
}

/// The plan, as recorded in the operation's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeployPlan {
    pub stop: StopPlan,
    pub restore: RestorePlan,
}

/// `stop-with-savepoint` and `savepoint`: a savepoint of a job (stopping it or not) with its trigger id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavepointIntent {
    pub flink_job_id: String,
    pub trigger_id: String,
    pub target_directory: Option<String>,
    /// Stop the job with the savepoint.
    pub stop: bool,
    pub drain: bool,
    /// Where the savepoint was written, once it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The job had already ended (or was gone) when the step came to stop it: nothing was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already_ended: Option<ObservedState>,
}

/// `cancel` and `cancel-running-job`: cancel without a savepoint, keeping the last completed checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelIntent {
    pub flink_job_id: String,
    /// The last completed checkpoint, read before cancelling (the REST API forgets it once the job is gone).
    pub checkpoint: Option<String>,
    /// The state the job ended in.
    #[serde(default)]
    pub final_state: Option<FlinkJobState>,
}

/// `choose-restore`: what the new job starts from, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreRecord {
    pub restore: RestoreChoice,
    pub path: Option<String>,
    pub reason: String,
}

/// `upload-jar`: the program's jar on the cluster, by content hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JarIntent {
    pub sha256: String,
    pub file: String,
    /// The cluster's id for the jar, once it is there.
    #[serde(default)]
    pub jar_id: Option<String>,
}

/// `submit`: the new job, with the Flink job id chosen in advance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmitIntent {
    pub flink_job_id: String,
    pub jar_id: Option<String>,
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
    pub parallelism: Option<u32>,
    pub flink_config: BTreeMap<String, String>,
}

/// `wait-running`: until every task of the new job runs (or, for batch, it finished).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaitIntent {
    pub flink_job_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<FlinkJobState>,
}
