//! Savepoints: the manual "savepoint now" operation, and the savepoint step every flow shares (trigger with a
//! trigger id recorded in advance, wait with a deadline, record the snapshot).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::super::deployments::{parse_map, Placed};
use super::super::{new_flink_id, Caller, Engine, EngineError, Role};
use super::{kind, OpCtx};
use crate::backends::{BackendError, ClusterBackend, JobSummary, SavepointStatus};
use crate::store::snapshots::NewSnapshot;

/// Flink job states in which a job is alive on the cluster.
pub const ACTIVE_STATES: &[&str] =
    &["INITIALIZING", "CREATED", "RUNNING", "FAILING", "CANCELLING", "RESTARTING", "RECONCILING", "SUSPENDED"];
/// Flink job states from which a job never comes back.
pub const TERMINAL_STATES: &[&str] = &["FINISHED", "CANCELED", "FAILED"];

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
        caller.act(kind::SAVEPOINT, format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        require_active(&placed)?;
        self.admit(&placed, kind::SAVEPOINT, &caller.name(), &json!({})).await
    }

    pub(super) async fn run_savepoint(&self, ctx: &mut OpCtx, placed: Placed) -> Result<(), EngineError> {
        let job_id = placed
            .deployment
            .flink_job_id
            .clone()
            .ok_or_else(|| EngineError::Failed("the deployment has no job to take a savepoint of".into()))?;
        self.savepoint_step(ctx, "savepoint", &placed, &job_id, None, "manual").await?;
        Ok(())
    }

    /// The Flink state of one job now (`None` when the cluster does not list it).
    pub(super) async fn job_state(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
    ) -> Result<Option<String>, EngineError> {
        let jobs = backend.jobs().await.map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?;
        Ok(jobs.into_iter().find(|j| j.id == job_id).map(|j| j.state))
    }

    /// Waits until the job is RUNNING with every task running (or ends), for at most `limit`. Only then can a
    /// savepoint be taken, so only then does a deploy count as done.
    pub(super) async fn wait_job_up(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
        limit: Duration,
    ) -> Result<String, EngineError> {
        self.wait_job(placed, backend, job_id, limit, "have all its tasks running", |j| {
            j.state == "RUNNING" && j.tasks_total > 0 && j.tasks_running == j.tasks_total
        })
        .await
    }

    /// Waits until the job has ended (FINISHED, CANCELED or FAILED), for at most `limit`.
    pub(super) async fn wait_job_ended(
        &self,
        placed: &Placed,
        backend: &dyn ClusterBackend,
        job_id: &str,
        limit: Duration,
    ) -> Result<String, EngineError> {
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
    ) -> Result<String, EngineError> {
        let started = Instant::now();
        loop {
            let jobs = backend
                .jobs()
                .await
                .map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?;
            if let Some(j) = jobs.into_iter().find(|j| j.id == job_id) {
                if TERMINAL_STATES.contains(&j.state.as_str()) || reached(&j) {
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
    /// Returns the savepoint's location, recorded as a snapshot with the given origin.
    pub(super) async fn savepoint_step(
        &self,
        ctx: &mut OpCtx,
        name: &str,
        placed: &Placed,
        job_id: &str,
        stop_drain: Option<bool>,
        origin: &str,
    ) -> Result<String, EngineError> {
        let target = self.savepoint_dir(placed).await?;
        let intent = json!({
            "flink_job_id": job_id,
            "trigger_id": new_flink_id(),
            "target_directory": target,
            "stop": stop_drain.is_some(),
            "drain": stop_drain.unwrap_or(false),
        });
        let backend = self.backend(&placed.cluster)?;
        let timeout = self.settings.savepoint_timeout;
        let cluster = placed.cluster.name.clone();
        let out = self
            .step(ctx, name, intent, |data, resumed| async move {
                let cluster_err = |source| EngineError::Cluster { cluster: cluster.clone(), source };
                let trigger = data["trigger_id"].as_str().unwrap_or_default().to_owned();
                let target = data["target_directory"].as_str().map(str::to_owned);
                // A resumed step may have triggered already: ask first (an unknown trigger id is a 4xx).
                let known = resumed
                    && match backend.savepoint_status(job_id, &trigger).await {
                        Ok(_) => true,
                        Err(BackendError::Http { status, .. }) if (400..500).contains(&status) => false,
                        Err(e) => return Err(cluster_err(e)),
                    };
                if !known {
                    let call = match stop_drain {
                        Some(drain) => backend.stop_with_savepoint(job_id, &trigger, target.as_deref(), drain).await,
                        None => backend.trigger_savepoint(job_id, &trigger, target.as_deref()).await,
                    };
                    call.map_err(|e| EngineError::Failed(format!("the savepoint could not be started: {e}")))?;
                }
                let started = Instant::now();
                let location = loop {
                    match backend.savepoint_status(job_id, &trigger).await.map_err(cluster_err)? {
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
                let mut out = data.clone();
                out["location"] = json!(location);
                Ok(out)
            })
            .await?;
        let location = out["location"].as_str().unwrap_or_default().to_owned();
        if stop_drain.is_some() {
            let backend = self.backend(&placed.cluster)?;
            let state = self.wait_job_ended(placed, backend.as_ref(), job_id, Duration::from_secs(60)).await?;
            self.store.observe_deployment(placed.deployment.id, &state, None).await?;
        }
        self.record_snapshot(placed, "savepoint", origin, &location, job_id, Some(ctx.op.id)).await?;
        Ok(location)
    }

    pub(super) async fn record_snapshot(
        &self,
        placed: &Placed,
        kind: &str,
        origin: &str,
        path: &str,
        job_id: &str,
        operation_id: Option<i64>,
    ) -> Result<(), EngineError> {
        let Some(version_id) = placed.deployment.version_id else {
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
                operation_id,
            })
            .await?;
        Ok(())
    }

    /// The savepoint folder configured for this deployment (`state.savepoints.dir` in the environment, the
    /// version or the overrides), or `None` for the cluster's default.
    pub(super) async fn savepoint_dir(&self, placed: &Placed) -> Result<Option<String>, EngineError> {
        let mut dir = parse_map(&placed.environment.flink_config).get("state.savepoints.dir").cloned();
        if let Some(vid) = placed.deployment.version_id {
            if let Some(v) = self.store.version_by_id(vid).await? {
                if let Some(d) = parse_map(&v.flink_config).get("state.savepoints.dir") {
                    dir = Some(d.clone());
                }
            }
        }
        if let Some(d) = parse_map(&placed.deployment.config_overrides).get("state.savepoints.dir") {
            dir = Some(d.clone());
        }
        Ok(dir.and_then(|v| v.as_str().map(str::to_owned)).filter(|s: &String| !s.is_empty()))
    }
}

/// The deployment must have a live job (as last observed).
pub(super) fn require_active(placed: &Placed) -> Result<(), EngineError> {
    let alive = placed.deployment.flink_job_id.is_some()
        && ACTIVE_STATES.contains(&placed.deployment.observed_state.as_str());
    if alive {
        Ok(())
    } else {
        Err(EngineError::Conflict(format!(
            "job '{}' is not running in '{}' (observed: {})",
            placed.job.name, placed.environment.name, placed.deployment.observed_state
        )))
    }
}

pub(super) fn value_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}
