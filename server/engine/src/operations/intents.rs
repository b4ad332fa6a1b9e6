//! What each step records: its intent (written before it acts, with every id chosen in advance) and, once
//! done, what it found. These are the step log's JSON (`operation_steps.data`), shown as they are in the
//! operation history; a resumed step reads its own record back as the same type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weir_model::{FlinkJobState, ObservedState, RestoreChoice};

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
