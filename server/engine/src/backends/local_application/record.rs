//! The record a per-job cluster keeps on disk (`<cluster dir>/jobs/<job id>/job.json`): its ports and processes,
//! the savepoints asked of it, and how it ended. Written before each change it describes (ports before the
//! processes start, a trigger before the savepoint is asked for), so a restarted Weir finds every cluster it
//! started and what it was doing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use weir_model::FlinkJobState;

use super::process::io_error;
use crate::backends::{BackendError, CheckpointInfo, SavepointStatus};

pub const FILE: &str = "job.json";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: String,
    pub rest_port: u16,
    pub rpc_port: u16,
    pub started_at: Option<DateTime<Utc>>,
    /// The JobManager's command line after `java <jvm flags>` (kept to start it again with HA).
    pub jobmanager_args: Vec<String>,
    pub jobmanager_pid: Option<u32>,
    pub taskmanager_pids: Vec<u32>,
    /// How often Weir started a process of this cluster again after it died.
    pub jobmanager_restarts: u32,
    pub taskmanager_restarts: u32,
    /// Savepoints asked of the job, by trigger id.
    pub triggers: BTreeMap<String, Trigger>,
    /// Set once the job has ended and the cluster is shut down.
    pub ended: Option<Ended>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// A stop with savepoint (the job ends with it).
    pub stop: bool,
    /// Its outcome, once known: the location, or why it failed.
    pub location: Option<String>,
    pub failure: Option<String>,
}

impl Trigger {
    pub fn status(&self) -> Option<SavepointStatus> {
        match (&self.location, &self.failure) {
            (Some(location), _) => Some(SavepointStatus::Completed { location: location.clone() }),
            (None, Some(cause)) => Some(SavepointStatus::Failed { cause: cause.clone() }),
            (None, None) => None,
        }
    }

    pub fn settle(&mut self, status: &SavepointStatus) {
        match status {
            SavepointStatus::Completed { location } => self.location = Some(location.clone()),
            SavepointStatus::Failed { cause } => self.failure = Some(cause.clone()),
            SavepointStatus::InProgress => {}
        }
    }
}

/// How the job ended, kept after its cluster is gone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    /// The job's last state; none: its JobManager died and took the job with it (lost).
    pub state: Option<FlinkJobState>,
    pub at: DateTime<Utc>,
    pub latest_checkpoint: Option<String>,
    pub restored_from: Option<String>,
    pub restored_is_savepoint: bool,
    pub failure_cause: Option<String>,
}

impl Ended {
    pub fn checkpoints(&self) -> CheckpointInfo {
        CheckpointInfo {
            latest_completed: self.latest_checkpoint.clone(),
            restored_from: self.restored_from.clone(),
            restored_is_savepoint: self.restored_is_savepoint,
        }
    }
}

impl JobRecord {
    pub fn read(dir: &Path) -> Result<Option<JobRecord>, BackendError> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| BackendError::Decode(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Writes the record atomically (a temporary file renamed over the old one).
    pub fn write(&self, dir: &Path) -> Result<(), BackendError> {
        let path = dir.join(FILE);
        let tmp: PathBuf = dir.join(format!("{FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| BackendError::Decode(e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))
    }

    pub fn pids(&self) -> Vec<u32> {
        self.jobmanager_pid.iter().chain(&self.taskmanager_pids).copied().collect()
    }
}
