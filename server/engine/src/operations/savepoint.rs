//! Savepoints: the manual "savepoint now" operation, and the savepoint step every flow shares (trigger with a
//! trigger id recorded in advance, wait with a deadline, record the snapshot).

use std::time::{Duration, Instant};

use weir_model::{FlinkJobState, ObservedState, OperationKind, SnapshotKind, SnapshotOrigin, Step};

use weir_model::operation_log::SavepointIntent;
use super::OpCtx;
use crate::backends::{BackendError, ClusterBackend, JobSummary, SavepointStatus};
use crate::deployments::{parse_map, Placed};
use crate::store::operations::Desired;
use crate::store::snapshots::NewSnapshot;
use crate::{new_flink_id, Caller, Engine, EngineError, Role};

/// Polling a cluster while waiting: fast at first (most waits end within a second), then gentler.
fn poll_delay(waited: Duration) -> Duration {
    if waited < Duration::from_secs(3) {
        Duration::from_millis(20)
    } else {
        Duration::from_millis(250)
    }
}

impl Engine {
    /// "Savepoint now": a savepoint while the job keeps running.
    pub async fn request_savepoint(&self, caller: &Caller, ns: &str, job: &str, env: &str) -> Result<i64, EngineError> {
        caller.act(OperationKind::Savepoint.as_str(), format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        require_active(&placed)?;
        self.admit(&placed, OperationKind::Savepoint, &caller.name(), &serde_json::json!({}), None).await
    }

    pub(crate) async fn run_savepoint(&self, ctx: &mut OpCtx, placed: Placed) -> Result<(), EngineError> {
        let job_id = placed
            .deployment
            .flink_job_id
            .clone()
            .ok_or_else(|| EngineError::Failed("the deployment has no job to take a savepoint of".into()))?;
        self.savepoint_step(ctx, Step::Savepoint, &placed, &job_id, None, SnapshotOrigin::Manual).await?;
        Ok(())
    }

    /// The Flink state of one job now (`None` when the cluster does not list it).
    pub(crate) async fn job_state(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
    ) -> Result<Option<FlinkJobState>, EngineError> {
        let job = backend.job(job_id).await.map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?;
        Ok(job.map(|j| j.state))
    }

    /// Waits until the job is RUNNING with every task running (or ends), for at most `limit`. Only then can a
    /// savepoint be taken, so only then does a deploy count as done.
    pub(crate) async fn wait_job_up(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
        limit: Duration,
    ) -> Result<FlinkJobState, EngineError> {
        self.wait_job(placed, backend, job_id, limit, "have all its tasks running", |j| {
            j.state == FlinkJobState::Running && j.tasks_total > 0 && j.tasks_running == j.tasks_total
        })
        .await
    }

    /// Waits until the job has ended (FINISHED, CANCELED or FAILED), for at most `limit`.
    pub(crate) async fn wait_job_ended(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
        limit: Duration,
    ) -> Result<FlinkJobState, EngineError> {
        self.wait_job(placed, backend, job_id, limit, "end", |_| false).await
    }

    /// Polls the cluster's job list until the job ends or `reached` holds, for at most `limit`; returns the state.
    async fn wait_job(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
        limit: Duration,
        goal: &str,
        reached: impl Fn(&JobSummary) -> bool,
    ) -> Result<FlinkJobState, EngineError> {
        let started = Instant::now();
        loop {
            let job = backend
                .job(job_id)
                .await
                .map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?;
            if let Some(j) = job {
                if j.state.is_terminal() || reached(&j) {
                    return Ok(j.state);
                }
            }
            if started.elapsed() >= limit {
                return Err(EngineError::Failed(format!("job {job_id} did not {goal} within {}s", limit.as_secs())));
            }
            tokio::time::sleep(poll_delay(started.elapsed())).await;
        }
    }

    /// A step that takes a savepoint of `job_id` (stopping the job when `stop_drain` is set) and waits for it.
    /// The trigger id is chosen and recorded before the call, so a resumed step finds the same savepoint.
    /// Returns the savepoint's location, recorded as a snapshot with the given origin — or `None` when the
    /// step was to stop a job that had already ended by the time it ran (`stop_drain` set; nothing to save).
    pub(crate) async fn savepoint_step(
        &self,
        ctx: &mut OpCtx,
        name: Step,
        placed: &Placed,
        job_id: &str,
        stop_drain: Option<bool>,
        origin: SnapshotOrigin,
    ) -> Result<Option<String>, EngineError> {
        let intent = SavepointIntent {
            flink_job_id: job_id.to_owned(),
            trigger_id: new_flink_id(),
            target_directory: self.savepoint_dir(placed, &ctx.running).await?,
            stop: stop_drain.is_some(),
            drain: stop_drain.unwrap_or(false),
            location: None,
            already_ended: None,
        };
        let backend = self.backend(&placed.cluster)?;
        let timeout = self.settings.savepoint_timeout;
        let cluster = placed.cluster.name.clone();
        let deploying = ctx.op.kind.starts_a_job();
        let out = self
            .step(ctx, name, intent, |mut data, resumed| async move {
                let cluster_err = |source| EngineError::Cluster { cluster: cluster.clone(), source };
                // A resumed step may have triggered already: ask first.
                let known = resumed
                    && match backend.savepoint_status(job_id, &data.trigger_id).await {
                        Ok(_) => true,
                        Err(BackendError::UnknownTrigger { .. }) => false,
                        Err(e) => return Err(cluster_err(e)),
                    };
                if !known && data.stop && deploying {
                    // The plan was made from the last observation: the job may have ended since. Then there
                    // is nothing to stop and nothing to save; the restore plan falls back.
                    match self.job_state(placed, backend.as_ref(), job_id).await? {
                        Some(state) if state.is_alive() => {}
                        ended => {
                            data.already_ended = Some(ended.map_or(ObservedState::Lost, ObservedState::from));
                            return Ok(data);
                        }
                    }
                }
                if !known {
                    let target = data.target_directory.as_deref();
                    let call = match stop_drain {
                        Some(drain) => backend.stop_with_savepoint(job_id, &data.trigger_id, target, drain).await,
                        None => backend.trigger_savepoint(job_id, &data.trigger_id, target).await,
                    };
                    call.map_err(|e| EngineError::Failed(format!("the savepoint could not be started: {e}")))?;
                }
                let started = Instant::now();
                let location = loop {
                    match backend.savepoint_status(job_id, &data.trigger_id).await.map_err(cluster_err)? {
                        SavepointStatus::Completed { location } => break location,
                        SavepointStatus::Failed { cause } => {
                            return Err(EngineError::Failed(format!(
                                "the savepoint failed: {cause}. Job {job_id} keeps running."
                            )))
                        }
                        SavepointStatus::InProgress if started.elapsed() >= timeout => {
                            return Err(EngineError::Failed(format!(
                                "the savepoint did not complete within {}s; job {job_id} keeps running",
                                timeout.as_secs()
                            )))
                        }
                        SavepointStatus::InProgress => tokio::time::sleep(poll_delay(started.elapsed())).await,
                    }
                };
                data.location = Some(location);
                Ok(data)
            })
            .await?;
        if let Some(ended) = out.already_ended {
            self.report_observed(placed.deployment.id, job_id, ended, None).await?;
            return Ok(None);
        }
        let location = out
            .location
            .ok_or_else(|| EngineError::Internal(format!("step {name} succeeded without a savepoint location")))?;
        if stop_drain.is_some() {
            let backend = self.backend(&placed.cluster)?;
            let state = self.wait_job_ended(placed, backend.as_ref(), job_id, Duration::from_secs(60)).await?;
            self.report_observed(placed.deployment.id, job_id, state.into(), None).await?;
        }
        self.record_snapshot(ctx, placed, SnapshotKind::Savepoint, origin, &location, job_id).await?;
        Ok(Some(location))
    }

    /// Records a snapshot of the job the operation found running, as taken from the version it ran.
    pub(crate) async fn record_snapshot(
        &self,
        ctx: &OpCtx,
        placed: &Placed,
        kind: SnapshotKind,
        origin: SnapshotOrigin,
        path: &str,
        job_id: &str,
    ) -> Result<(), EngineError> {
        let Some(version_id) = ctx.running.version_id else {
            tracing::warn!(path, "snapshot of a deployment without version: not recorded");
            return Ok(());
        };
        self.store
            .insert_snapshot(NewSnapshot {
                deployment_id: placed.deployment.id,
                version_id,
                kind,
                origin,
                path,
                flink_job_id: job_id,
                operation_id: Some(ctx.op.id),
            })
            .await?;
        Ok(())
    }

    /// The savepoint folder configured for the running job (`state.savepoints.dir` in the environment, its
    /// version or its overrides), or `None` for the cluster's default.
    pub(crate) async fn savepoint_dir(&self, placed: &Placed, running: &Desired) -> Result<Option<String>, EngineError> {
        let mut dir = parse_map(&placed.environment.flink_config).get("state.savepoints.dir").cloned();
        if let Some(vid) = running.version_id {
            if let Some(v) = self.store.version_by_id(vid).await? {
                if let Some(d) = parse_map(&v.flink_config).get("state.savepoints.dir") {
                    dir = Some(d.clone());
                }
            }
        }
        if let Some(d) = parse_map(&running.config_overrides).get("state.savepoints.dir") {
            dir = Some(d.clone());
        }
        Ok(dir.and_then(|v| v.as_str().map(str::to_owned)).filter(|s: &String| !s.is_empty()))
    }
}

/// The deployment must have a live job (as last observed).
pub(crate) fn require_active(placed: &Placed) -> Result<(), EngineError> {
    let alive = placed.deployment.flink_job_id.is_some() && placed.deployment.observed_state.is_alive();
    if alive {
        Ok(())
    } else {
        Err(EngineError::Conflict(format!(
            "job '{}' is not running in '{}' (observed: {})",
            placed.job.name, placed.environment.name, placed.deployment.observed_state
        )))
    }
}

