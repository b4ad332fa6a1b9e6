//! Deploy, rollback, restart and recover: one flow, following the [`plan`](super::plan) made at admission.
//!
//! 1. Stop what runs as planned: with a savepoint (or, for `latest-checkpoint`, cancel it and keep its last
//!    checkpoint). If the savepoint fails, the operation fails here and the old job keeps running.
//! 2. Choose the state to restore (recorded as a step, with its reason, so the history says what was
//!    restored).
//! 3. Make sure the program's jar is on the cluster (uploaded once per cluster, by content hash).
//! 4. Submit with a Flink job id chosen and recorded in advance: a resumed step finds the job instead of
//!    submitting a second one. Submissions wait in a queue per cluster.
//! 5. Wait until the new job is RUNNING (or FINISHED, for batch), within a deadline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use weir_model::operation_log::{DeployParams, DeployPlan, JarIntent, RestoreRecord, StopPlan, SubmitIntent, WaitIntent};
use weir_model::{
    DesiredState, ExecutionMode, FlinkJobState, JobKind, OperationKind, RestoreChoice, SnapshotKind,
    SnapshotOrigin, Step,
};

use super::plan::{plan, resolve, DeployFacts, PlanRequest, Unplannable};
use super::OpCtx;
use crate::backends::{BackendError, JobStart, Program};
use crate::deployments::{parse_map, Placed};
use crate::environments::flink_config;
use crate::store::entities::version;
use crate::store::operations::Desired;
use crate::{new_flink_id, Caller, Engine, EngineError, Role};

/// The SQL runner's main class (see runner/).
pub const SQL_RUNNER_CLASS: &str = "dev.weir.runner.SqlRunner";

/// What a caller gives to deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// The version to deploy; the latest when absent.
    pub version: Option<i32>,
    /// A [`RestoreChoice`]; `latest-savepoint` when absent.
    pub restore: Option<String>,
    pub restore_path: Option<String>,
    pub allow_non_restored_state: Option<bool>,
    /// Config hotfix: Flink configuration for this deployment, on top of the version's. Absent keeps the
    /// deployment's current overrides; `{}` clears them.
    pub config_overrides: Option<Map<String, Value>>,
}

/// What a caller gives to roll back.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    pub version: i32,
    /// `latest-savepoint` (keep current state, the default) or `version-snapshot`.
    pub restore: Option<String>,
    pub allow_non_restored_state: Option<bool>,
}

impl Engine {
    pub async fn request_deploy(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        req: DeployRequest,
    ) -> Result<i64, EngineError> {
        caller.act(OperationKind::Deploy.as_str(), format!("{ns}/{job}@{env}"));
        // A config hotfix changes settings: an owner's call.
        let hotfix = req.config_overrides.as_ref().is_some_and(|o| !o.is_empty());
        let placed = self.place(caller, ns, job, env, if hotfix { Role::Owner } else { Role::Editor }).await?;
        self.check_environment_use(&placed.namespace, &placed.environment).await?;
        self.admit_deploy(placed, OperationKind::Deploy, req, &caller.name()).await
    }

    pub async fn request_rollback(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        req: RollbackRequest,
    ) -> Result<i64, EngineError> {
        caller.act(OperationKind::Rollback.as_str(), format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        self.check_environment_use(&placed.namespace, &placed.environment).await?;
        let restore = match req.restore.as_deref() {
            None => RestoreChoice::LatestSavepoint,
            Some(r) => r.trim().parse()?,
        };
        if restore != RestoreChoice::LatestSavepoint && restore != RestoreChoice::VersionSnapshot {
            return Err(EngineError::Invalid(format!(
                "a rollback restores '{}' (keep current state) or '{}', not '{restore}'",
                RestoreChoice::LatestSavepoint,
                RestoreChoice::VersionSnapshot
            )));
        }
        let deploy = DeployRequest {
            version: Some(req.version),
            restore: Some(restore.to_string()),
            restore_path: None,
            allow_non_restored_state: req.allow_non_restored_state,
            config_overrides: None,
        };
        self.admit_deploy(placed, OperationKind::Rollback, deploy, &caller.name()).await
    }

    /// Restarts the deployed version, keeping its state (stop with savepoint, start from it).
    pub async fn request_restart(&self, caller: &Caller, ns: &str, job: &str, env: &str) -> Result<i64, EngineError> {
        caller.act(OperationKind::Restart.as_str(), format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        let Some(vid) = placed.deployment.version_id else {
            return Err(EngineError::Conflict(format!("job '{job}' was never deployed to '{env}'")));
        };
        let version = self.store.version_by_id(vid).await?.map(|v| v.number);
        let deploy = DeployRequest { version, ..Default::default() };
        self.admit_deploy(placed, OperationKind::Restart, deploy, &caller.name()).await
    }

    /// The reconciler's answer to a job the cluster lost: start the deployed version again from its latest
    /// checkpoint (or savepoint), as a recorded operation.
    pub(crate) async fn request_recover(&self, deployment_id: i64) -> Result<i64, EngineError> {
        let placed = self.place_by_id(deployment_id).await?;
        let Some(vid) = placed.deployment.version_id else {
            return Err(EngineError::Conflict("never deployed".into()));
        };
        let version = self.store.version_by_id(vid).await?.map(|v| v.number);
        let has_checkpoint = self.known_checkpoint(&placed).await?.is_some();
        let has_savepoint =
            self.store.latest_snapshot(placed.deployment.id, Some(SnapshotKind::Savepoint), None).await?.is_some();
        if !has_checkpoint && !has_savepoint {
            // Starting from empty state behind the user's back would lose their data silently.
            return Err(EngineError::Conflict("no checkpoint or savepoint to recover from".into()));
        }
        let restore = if has_checkpoint { RestoreChoice::LatestCheckpoint } else { RestoreChoice::LatestSavepoint };
        let deploy = DeployRequest { version, restore: Some(restore.to_string()), ..Default::default() };
        self.admit_deploy(placed, OperationKind::Recover, deploy, "weir-reconciler").await
    }

    /// Validates a deploy request completely and plans it (nothing is written when it is refused), then
    /// admits it, writing the desired version, configuration and state in the same transaction.
    async fn admit_deploy(
        &self,
        placed: Placed,
        kind: OperationKind,
        req: DeployRequest,
        by: &str,
    ) -> Result<i64, EngineError> {
        self.admit_deploy_with(placed, kind, req, by, None, None).await
    }

    /// [`Self::admit_deploy`], for a caller that already holds the pool's admission (`admitted`: the lock it
    /// got from [`Engine::admit_to_pool`] for this same version and overrides) and, when the deploy applies a
    /// recommendation, its history entry (recorded in the parameters).
    pub(crate) async fn admit_deploy_with(
        &self,
        placed: Placed,
        kind: OperationKind,
        req: DeployRequest,
        by: &str,
        admitted: Option<Option<tokio::sync::OwnedMutexGuard<()>>>,
        recommendation: Option<i64>,
    ) -> Result<i64, EngineError> {
        let number = match req.version {
            Some(n) => n,
            None => match self.store.latest_version_number(placed.job.id).await? {
                0 => return Err(EngineError::Conflict(format!("job '{}' has no version yet: save one first", placed.job.name))),
                n => n,
            },
        };
        let version = self.version_model(&placed.job, number).await?;
        let restore = match req.restore.as_deref() {
            None => RestoreChoice::LatestSavepoint,
            Some(r) => r.trim().parse()?,
        };
        let restore_path = req.restore_path.clone().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        match (restore, &restore_path) {
            (RestoreChoice::Path, None) => return Err(EngineError::Invalid("restore 'path' needs 'restore_path'".into())),
            (r, Some(_)) if r != RestoreChoice::Path => {
                return Err(EngineError::Invalid("'restore_path' is only used with restore 'path'".into()))
            }
            _ => {}
        }
        let overrides = match req.config_overrides {
            Some(o) => serde_json::from_str(&flink_config(&o)?).unwrap_or_default(),
            None => parse_map(&placed.deployment.config_overrides),
        };
        if placed.job.kind == JobKind::Sql && !self.runner_available() {
            return Err(EngineError::Unavailable(
                "SQL jobs need the SQL runner jar (runner/build/weir-sql-runner.jar): run scripts/setup".into(),
            ));
        }
        // A SQL version is checked by the planner of the Flink version it will run on (when it is not the one
        // that checked it at save).
        if placed.job.kind == JobKind::Sql {
            self.check_sql_on_cluster(&placed.cluster, version.sql.as_deref().unwrap_or_default(), version.mode).await?;
        }
        let request = PlanRequest { version: number, restore, restore_path: restore_path.clone() };
        let plan = self.plan_deploy(&placed, version.id, &request).await?.map_err(|why| {
            EngineError::Conflict(format!("{} (job '{}' in '{}')", why.0, placed.job.name, placed.environment.name))
        })?;
        let params = DeployParams {
            version: number,
            version_id: version.id,
            restore,
            restore_path,
            allow_non_restored_state: req.allow_non_restored_state.unwrap_or(false),
            config_overrides: overrides.clone(),
            plan: Some(plan),
            recommendation,
        };
        // Quota and pool capacity, before anything is written; the pool's lock is held until the admission
        // transaction is committed, so a concurrent admission counts this one. A recovery restarts what was
        // already admitted: it is not weighed again.
        let _pool = match (kind, admitted) {
            (_, Some(held)) => held,
            (OperationKind::Recover, None) => None,
            _ => self.admit_to_pool(&placed, &version, &overrides).await?,
        };
        let desired = Desired {
            state: DesiredState::Running,
            version_id: Some(version.id),
            config_overrides: Value::Object(overrides).to_string(),
        };
        self.admit(&placed, kind, by, &params, Some(desired)).await
    }

    /// Plans a deploy of `version_id` from what is known of the deployment (no cluster call). The outer error
    /// is Weir's own failure to read the facts; the inner one says why the request cannot be planned.
    pub(crate) async fn plan_deploy(
        &self,
        placed: &Placed,
        version_id: i64,
        request: &PlanRequest,
    ) -> Result<Result<DeployPlan, Unplannable>, EngineError> {
        let facts = self.deploy_facts(placed, version_id).await?;
        Ok(plan(&facts, request))
    }

    /// What the plan is made from: the deployment as the reconciler last saw it, and its recorded snapshots.
    async fn deploy_facts(&self, placed: &Placed, version_id: i64) -> Result<DeployFacts, EngineError> {
        let d = &placed.deployment;
        let latest_savepoint =
            self.store.latest_snapshot(d.id, Some(SnapshotKind::Savepoint), None).await?.map(|s| s.path);
        let version_snapshot = self.store.latest_snapshot(d.id, None, Some(version_id)).await?.map(|s| (s.kind, s.path));
        Ok(DeployFacts {
            job: d.flink_job_id.clone(),
            observed: Some(d.observed_state),
            latest_savepoint,
            known_checkpoint: self.known_checkpoint(placed).await?,
            version_snapshot,
        })
    }

    pub(crate) fn runner_available(&self) -> bool {
        self.settings.runner_jar.as_ref().map(|p| p.exists()).unwrap_or(false)
    }

    /// The last checkpoint known for a deployment: seen while it ran, or recorded as a retained snapshot.
    async fn known_checkpoint(&self, placed: &Placed) -> Result<Option<String>, EngineError> {
        if let Some(p) = &placed.deployment.latest_checkpoint {
            return Ok(Some(p.clone()));
        }
        Ok(self.store.latest_snapshot(placed.deployment.id, Some(SnapshotKind::Checkpoint), None).await?.map(|s| s.path))
    }

    pub(crate) async fn run_deploy(&self, ctx: &mut OpCtx, placed: Placed) -> Result<(), EngineError> {
        let params: DeployParams = ctx.params()?;
        let deploy_plan = match params.plan.clone() {
            Some(p) => p,
            None => {
                let request =
                    PlanRequest { version: params.version, restore: params.restore, restore_path: params.restore_path.clone() };
                self.plan_deploy(&placed, params.version_id, &request).await?.map_err(|why| EngineError::Failed(why.0))?
            }
        };
        let version = self
            .store
            .version_by_id(params.version_id)
            .await?
            .ok_or_else(|| EngineError::Failed(format!("version {} no longer exists", params.version)))?;

        // 1. Stop what runs, as planned. Never after the submit step: by then the deployment's job is the new one.
        let mut saved: Option<String> = None;
        if !ctx.has(Step::Submit) {
            saved = match &deploy_plan.stop {
                StopPlan::Nothing { .. } => None,
                StopPlan::StopWithSavepoint { flink_job_id } => {
                    self.savepoint_step(ctx, Step::StopWithSavepoint, &placed, flink_job_id, Some(false), SnapshotOrigin::Upgrade)
                        .await?
                }
                StopPlan::Cancel { flink_job_id } => {
                    let checkpoint = self.cancel_step(ctx, Step::CancelRunningJob, &placed, flink_job_id).await?;
                    Some(checkpoint.ok_or_else(|| {
                        EngineError::Failed("the running job had no completed checkpoint; it was cancelled".into())
                    })?)
                }
            };
        }

        // 2. The state to restore, as planned, resolved with what the stop saved.
        let (path, reason) = resolve(&deploy_plan.restore, saved);
        let record = RestoreRecord { restore: params.restore, path, reason };
        let chosen = self.step(ctx, Step::ChooseRestore, record, |data, _| async move { Ok(data) }).await?;

        // 3. The program, and on kinds that need it, its jar uploaded to the cluster.
        let backend = self.backend(&placed.cluster)?;
        let needs_upload = backend.capabilities().needs_upload;
        let (jar_file, entry_class, args) = self.program(&placed, &version).await?;
        let jar = match needs_upload {
            true => Some(self.ensure_jar(ctx, &placed, &jar_file).await?),
            false => None,
        };

        // 4. Start, with the job id chosen in advance.
        let intent = SubmitIntent {
            flink_job_id: new_flink_id(),
            jar_id: jar.as_ref().and_then(|j| j.jar_id.clone()),
            restore_path: chosen.path,
            allow_non_restored_state: params.allow_non_restored_state,
            // The parallelism admission counted (the hotfix's `parallelism.default` wins over the version's).
            parallelism: crate::pools::declared_parallelism(&placed.environment, &version, &params.config_overrides),
            flink_config: self.job_config(&placed, &version, &params.config_overrides),
        };
        let cluster_name = placed.cluster.name.clone();
        let placed_ref = &placed;
        let backend_ref = backend.as_ref();
        let jar_ref = jar.as_ref();
        let submitted = self
            .step(ctx, Step::Submit, intent, |mut data, resumed| async move {
                let placed = placed_ref;
                if resumed && self.job_state(placed, backend_ref, &data.flink_job_id).await?.is_some() {
                    return Ok(data); // started before a restart: never twice
                }
                let mut program = Program {
                    jar: jar_file.clone(),
                    uploaded_id: data.jar_id.clone(),
                    entry_class: Some(entry_class).filter(|c| !c.is_empty()),
                    args,
                };
                let start = JobStart {
                    job_id: data.flink_job_id.clone(),
                    parallelism: data.parallelism,
                    restore_path: data.restore_path.clone(),
                    allow_non_restored_state: data.allow_non_restored_state,
                    flink_config: data.flink_config.clone(),
                };
                let gate = self.submit_gate(placed.cluster.id).await;
                let _permit = gate.acquire().await.map_err(|e| EngineError::Internal(e.to_string()))?;
                match backend_ref.start(&program, &start).await {
                    Ok(()) => {}
                    // Started by a run cut off before it could record the answer: the id is ours, keep it.
                    Err(BackendError::DuplicateJob { .. }) => {
                        tracing::info!(job = %data.flink_job_id, "the job was already started: not starting it again");
                    }
                    // The cluster lost the jar (e.g. it restarted): upload again, once.
                    Err(BackendError::ProgramMissing { .. }) if jar_ref.is_some() => {
                        let sha = jar_ref.map(|j| j.sha256.clone()).unwrap_or_default();
                        self.store.forget_cluster_jar(placed.cluster.id, &sha).await?;
                        let new_jar = self.upload_jar(placed, &jar_file, &sha).await?;
                        program.uploaded_id = Some(new_jar.clone());
                        backend_ref.start(&program, &start).await.map_err(|e| submit_error(&cluster_name, e))?;
                        data.jar_id = Some(new_jar);
                    }
                    Err(e) => return Err(submit_error(&cluster_name, e)),
                }
                Ok(data)
            })
            .await?;
        let new_job = submitted.flink_job_id;
        // The deployment now tracks the new job (its observed state is the reconciler's to write).
        let updated = self.report_new_job(placed.deployment.id, &new_job, submitted.restore_path.as_deref()).await?;

        // 5. Wait for RUNNING.
        let placed = Placed { deployment: updated, ..placed };
        let limit = self.settings.start_timeout;
        let batch = version.mode == ExecutionMode::Batch;
        let job_for_wait = new_job.clone();
        let waited = self
            .step(ctx, Step::WaitRunning, WaitIntent { flink_job_id: new_job.clone(), state: None }, |mut data, _| async move {
                let state = self.wait_job_up(&placed, backend_ref, &job_for_wait, limit).await?;
                let ok = state == FlinkJobState::Running || (batch && state == FlinkJobState::Finished);
                if !ok {
                    let cause = backend_ref.failure_cause(&job_for_wait).await.ok().flatten();
                    return Err(EngineError::Failed(match cause {
                        Some(c) => format!("job {job_for_wait} ended {state}: {c}"),
                        None => format!("job {job_for_wait} ended {state}"),
                    }));
                }
                data.state = Some(state);
                Ok(data)
            })
            .await?;
        if let Some(state) = waited.state {
            self.report_observed(ctx.op.deployment_id, &new_job, state.into(), None).await?;
        }
        Ok(())
    }

    /// The jar file, entry class and program arguments of a version.
    async fn program(&self, placed: &Placed, v: &version::Model) -> Result<(PathBuf, String, Vec<String>), EngineError> {
        if placed.job.kind == JobKind::Sql {
            // The runner built against the cluster's Flink version.
            let jar = self
                .runtime_for_cluster(&placed.cluster)
                .and_then(|r| r.runner_jar)
                .or_else(|| self.settings.runner_jar.clone())
                .ok_or_else(|| EngineError::Failed("the SQL runner jar is not configured".into()))?;
            let sql = v.sql.clone().unwrap_or_default();
            let args = vec![
                "--mode".into(),
                v.mode.to_string(),
                "--script".into(),
                base64::engine::general_purpose::STANDARD.encode(sql),
            ];
            return Ok((jar, SQL_RUNNER_CLASS.into(), args));
        }
        let artifact_id = v.artifact_id.ok_or_else(|| EngineError::Failed("the version has no artifact".into()))?;
        let artifact = self
            .store
            .artifact_by_id(artifact_id)
            .await?
            .ok_or_else(|| EngineError::Failed(format!("artifact {artifact_id} is missing")))?;
        let args: Vec<String> = serde_json::from_str(&v.args).unwrap_or_default();
        let class = v.entry_class.clone().unwrap_or_default();
        Ok((self.artifact_path(&artifact.sha256), class, args))
    }

    /// The Flink configuration of the job: environment < version < overrides, with Weir's defaults.
    fn job_config(&self, placed: &Placed, v: &version::Model, overrides: &Map<String, Value>) -> BTreeMap<String, String> {
        let mut config = BTreeMap::new();
        config.insert("execution.checkpointing.externalized-checkpoint-retention".into(), "RETAIN_ON_CANCELLATION".into());
        config.insert("pipeline.name".into(), format!("{}/{}", placed.namespace.name, placed.job.name));
        for layer in [parse_map(&placed.environment.flink_config), parse_map(&v.flink_config), overrides.clone()] {
            for (k, val) in layer {
                if let Some(s) = val.as_str() {
                    config.insert(k, s.to_owned());
                }
            }
        }
        config
    }

    /// A step that makes sure the jar is on the cluster (its sha256 and the cluster's id for it).
    async fn ensure_jar(&self, ctx: &mut OpCtx, placed: &Placed, file: &PathBuf) -> Result<JarIntent, EngineError> {
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| EngineError::Failed(format!("cannot read the jar {}: {e}", file.display())))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        let intent = JarIntent { sha256: sha.clone(), file: file.display().to_string(), jar_id: None };
        self.step(ctx, Step::UploadJar, intent, |mut data, _| async move {
            let jar_id = match self.store.cluster_jar(placed.cluster.id, &sha).await? {
                Some(id) => id,
                None => self.upload_jar(placed, file, &sha).await?,
            };
            data.jar_id = Some(jar_id);
            Ok(data)
        })
        .await
    }

    async fn upload_jar(&self, placed: &Placed, file: &std::path::Path, sha: &str) -> Result<String, EngineError> {
        let gate = self.submit_gate(placed.cluster.id).await;
        let _permit = gate.acquire().await.map_err(|e| EngineError::Internal(e.to_string()))?;
        let backend = self.backend(&placed.cluster)?;
        let jar_id = backend
            .upload(file)
            .await
            .map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?;
        self.store.remember_cluster_jar(placed.cluster.id, sha, &jar_id).await?;
        Ok(jar_id)
    }

    /// The queue of submissions to one cluster: at most `submit_concurrency` at a time.
    async fn submit_gate(&self, cluster_id: i64) -> std::sync::Arc<tokio::sync::Semaphore> {
        let mut gates = self.submit_gates.lock().await;
        gates
            .entry(cluster_id)
            .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(self.settings.submit_concurrency.max(1))))
            .clone()
    }
}

fn submit_error(cluster: &str, e: BackendError) -> EngineError {
    EngineError::Failed(format!("cluster '{cluster}' refused the job: {e}"))
}

#[cfg(test)]
mod tests {
    use weir_model::operation_log::DeployParams;

    #[test]
    fn parameters_recorded_before_plans_still_read() {
        let before = r#"{"version":2,"version_id":7,"restore":"latest-savepoint","restore_path":null,
            "allow_non_restored_state":false,"config_overrides":{"a":"1"}}"#;
        let p: DeployParams = serde_json::from_str(before).expect("old parameters");
        assert_eq!((p.version, p.version_id, p.plan.is_none()), (2, 7, true));
        assert!(serde_json::from_str::<DeployParams>(&before.replace("latest-savepoint", "sideways")).is_err());
    }
}
