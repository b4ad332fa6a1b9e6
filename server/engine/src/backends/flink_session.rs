//! `flink-session`: a Flink session cluster (standalone or remote) reached over its REST API. Jars are uploaded
//! once per cluster, then each job is started from its jar with a chosen job id.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use weir_model::{ClusterKind, ClusterOverview, TaskManagerMetrics};

use super::flink_rest::FlinkRest;
use super::{
    BackendError, Capabilities, CheckpointInfo, ClusterBackend, JobList, JobMetrics, JobStart, JobSummary, Program,
    SavepointStatus,
};

pub struct FlinkSession {
    rest: FlinkRest,
}

impl FlinkSession {
    pub fn new(http: reqwest::Client, rest_url: &str, timeout: Duration) -> Self {
        Self { rest: FlinkRest::new(http, rest_url, timeout) }
    }
}

#[async_trait]
impl ClusterBackend for FlinkSession {
    fn kind(&self) -> ClusterKind {
        ClusterKind::FlinkSession
    }

    fn capabilities(&self) -> Capabilities {
        // A standalone session cluster restarts a failed job only by its own restart strategy, which Flink
        // reports as RESTARTING; a job it lost is Weir's to recover.
        Capabilities { needs_upload: true, cluster_per_job: false, heals_jobs: false, high_availability: false }
    }

    async fn overview(&self) -> Result<ClusterOverview, BackendError> {
        self.rest.overview().await
    }

    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError> {
        self.rest.taskmanager_metrics().await
    }

    async fn jobs(&self) -> Result<JobList, BackendError> {
        Ok(JobList { jobs: self.rest.jobs().await?, unreachable: Vec::new() })
    }

    async fn job(&self, job_id: &str) -> Result<Option<JobSummary>, BackendError> {
        Ok(self.rest.jobs().await?.into_iter().find(|j| j.id == job_id))
    }

    async fn upload(&self, jar: &Path) -> Result<String, BackendError> {
        self.rest.upload_jar(jar).await
    }

    async fn start(&self, program: &Program, start: &JobStart) -> Result<(), BackendError> {
        let jar_id = program
            .uploaded_id
            .as_deref()
            .ok_or_else(|| BackendError::ProgramMissing { message: "the jar was not uploaded".into() })?;
        self.rest.run_jar(jar_id, &program.args, program.entry_class.as_deref(), start).await
    }

    async fn stop_with_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        target_dir: Option<&str>,
        drain: bool,
    ) -> Result<(), BackendError> {
        self.rest.stop_with_savepoint(job_id, trigger_id, target_dir, drain).await
    }

    async fn trigger_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>) -> Result<(), BackendError> {
        self.rest.trigger_savepoint(job_id, trigger_id, target_dir).await
    }

    async fn savepoint_status(&self, job_id: &str, trigger_id: &str) -> Result<SavepointStatus, BackendError> {
        self.rest.savepoint_status(job_id, trigger_id).await
    }

    async fn cancel(&self, job_id: &str) -> Result<(), BackendError> {
        self.rest.cancel(job_id).await
    }

    async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError> {
        self.rest.checkpoints(job_id).await
    }

    async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError> {
        self.rest.failure_cause(job_id).await
    }

    async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError> {
        self.rest.job_metrics(job_id).await
    }
}
