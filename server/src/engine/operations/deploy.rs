//! Deploy, rollback, restart and recover: one flow.
//!
//! 1. If the deployment's job is alive: stop it with a savepoint (or, for `latest-checkpoint`, cancel it and
//!    keep its last checkpoint). If the savepoint fails, the operation fails here and the old job keeps running.
//! 2. Choose the state to restore (recorded as a step, so the history says what was restored).
//! 3. Make sure the program's jar is on the cluster (uploaded once per cluster, by content hash).
//! 4. Submit with a Flink job id chosen and recorded in advance: a resumed step finds the job instead of
//!    submitting a second one. Submissions wait in a queue per cluster.
//! 5. Wait until the new job is RUNNING (or FINISHED, for batch), within a deadline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use sea_orm::Set;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::super::deployments::{parse_map, Placed};
use super::super::environments::flink_config;
use super::super::{new_flink_id, Caller, Engine, EngineError, Role};
use super::savepoint::{value_str, ACTIVE_STATES, TERMINAL_STATES};
use super::{kind, OpCtx};
use crate::backends::{BackendError, Submission};
use crate::store::entities::{deployment, version};

/// The SQL runner's main class (see runner/).
pub const SQL_RUNNER_CLASS: &str = "dev.weir.runner.SqlRunner";

/// What state a new job starts from.
pub mod restore {
    /// The savepoint taken when stopping the running job, else the deployment's newest savepoint (default).
    pub const LATEST_SAVEPOINT: &str = "latest-savepoint";
    /// The running job's last completed checkpoint (it is cancelled, not savepointed), else the last one recorded.
    pub const LATEST_CHECKPOINT: &str = "latest-checkpoint";
    /// Empty state (a running job is still stopped with a savepoint first, so nothing is lost).
    pub const NONE: &str = "none";
    /// The savepoint or checkpoint at `restore_path`.
    pub const PATH: &str = "path";
    /// The newest snapshot taken from the version being deployed (for rollbacks).
    pub const VERSION_SNAPSHOT: &str = "version-snapshot";
    pub const ALL: &[&str] = &[LATEST_SAVEPOINT, LATEST_CHECKPOINT, NONE, PATH, VERSION_SNAPSHOT];
}

/// What a caller gives to deploy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// The version to deploy; the latest when absent.
    pub version: Option<i32>,
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

/// The resolved request, stored as the operation's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct DeployPlan {
    version: i32,
    version_id: i64,
    restore: String,
    restore_path: Option<String>,
    allow_non_restored_state: bool,
    config_overrides: Map<String, Value>,
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
        caller.act(kind::DEPLOY, format!("{ns}/{job}@{env}"));
        // A config hotfix changes settings: an owner's call.
        let hotfix = req.config_overrides.as_ref().is_some_and(|o| !o.is_empty());
        let placed = self.place(caller, ns, job, env, if hotfix { Role::Owner } else { Role::Editor }).await?;
        self.check_environment_use(&placed.namespace, &placed.environment).await?;
        self.admit_deploy(placed, kind::DEPLOY, req, &caller.name()).await
    }

    pub async fn request_rollback(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        req: RollbackRequest,
    ) -> Result<i64, EngineError> {
        caller.act(kind::ROLLBACK, format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        self.check_environment_use(&placed.namespace, &placed.environment).await?;
        let restore = req.restore.unwrap_or_else(|| restore::LATEST_SAVEPOINT.into());
        if restore != restore::LATEST_SAVEPOINT && restore != restore::VERSION_SNAPSHOT {
            return Err(EngineError::Invalid(format!(
                "a rollback restores '{}' (keep current state) or '{}', not '{restore}'",
                restore::LATEST_SAVEPOINT,
                restore::VERSION_SNAPSHOT
            )));
        }
        let deploy = DeployRequest {
            version: Some(req.version),
            restore: Some(restore),
            restore_path: None,
            allow_non_restored_state: req.allow_non_restored_state,
            config_overrides: None,
        };
        self.admit_deploy(placed, kind::ROLLBACK, deploy, &caller.name()).await
    }

    /// Restarts the deployed version, keeping its state (stop with savepoint, start from it).
    pub async fn request_restart(&self, caller: &Caller, ns: &str, job: &str, env: &str) -> Result<i64, EngineError> {
        caller.act(kind::RESTART, format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        let Some(vid) = placed.deployment.version_id else {
            return Err(EngineError::Conflict(format!("job '{job}' was never deployed to '{env}'")));
        };
        let version = self.store.version_by_id(vid).await?.map(|v| v.number);
        let deploy = DeployRequest { version, ..Default::default() };
        self.admit_deploy(placed, kind::RESTART, deploy, &caller.name()).await
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
        let has_savepoint = self.store.latest_snapshot(placed.deployment.id, Some("savepoint"), None).await?.is_some();
        if !has_checkpoint && !has_savepoint {
            // Starting from empty state behind the user's back would lose their data silently.
            return Err(EngineError::Conflict("no checkpoint or savepoint to recover from".into()));
        }
        let deploy = DeployRequest {
            version,
            restore: Some(if has_checkpoint { restore::LATEST_CHECKPOINT } else { restore::LATEST_SAVEPOINT }.into()),
            ..Default::default()
        };
        self.admit_deploy(placed, kind::RECOVER, deploy, "weir-reconciler").await
    }

    /// Validates a deploy request completely (nothing is written when it is refused), then admits it.
    async fn admit_deploy(
        &self,
        placed: Placed,
        kind: &str,
        req: DeployRequest,
        by: &str,
    ) -> Result<i64, EngineError> {
        let number = match req.version {
            Some(n) => n,
            None => match self.store.latest_version_number(placed.job.id).await? {
                0 => return Err(EngineError::Conflict(format!("job '{}' has no version yet: save one first", placed.job.name))),
                n => n,
            },
        };
        let version = self.version_model(&placed.job, number).await?;
        let restore = req.restore.clone().unwrap_or_else(|| restore::LATEST_SAVEPOINT.into());
        if !restore::ALL.contains(&restore.as_str()) {
            return Err(EngineError::Invalid(format!(
                "unknown restore '{restore}': use one of {}",
                restore::ALL.join(", ")
            )));
        }
        let restore_path = req.restore_path.clone().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        match (restore.as_str(), &restore_path) {
            (restore::PATH, None) => return Err(EngineError::Invalid("restore 'path' needs 'restore_path'".into())),
            (r, Some(_)) if r != restore::PATH => {
                return Err(EngineError::Invalid("'restore_path' is only used with restore 'path'".into()))
            }
            _ => {}
        }
        let alive = placed.deployment.flink_job_id.is_some()
            && ACTIVE_STATES.contains(&placed.deployment.observed_state.as_str());
        if restore == restore::VERSION_SNAPSHOT
            && self.store.latest_snapshot(placed.deployment.id, None, Some(version.id)).await?.is_none()
        {
            return Err(EngineError::Conflict(format!(
                "no snapshot was taken from version {number} in '{}'",
                placed.environment.name
            )));
        }
        if restore == restore::LATEST_CHECKPOINT && !alive && self.known_checkpoint(&placed).await?.is_none() {
            return Err(EngineError::Conflict(format!(
                "no checkpoint of job '{}' in '{}' is known to restore from",
                placed.job.name, placed.environment.name
            )));
        }
        let overrides = match req.config_overrides {
            Some(o) => serde_json::from_str(&flink_config(&o)?).unwrap_or_default(),
            None => parse_map(&placed.deployment.config_overrides),
        };
        if placed.job.kind == "sql" && !self.runner_available() {
            return Err(EngineError::Unavailable(
                "SQL jobs need the SQL runner jar (runner/build/weir-sql-runner.jar): run scripts/setup".into(),
            ));
        }
        let plan = DeployPlan {
            version: number,
            version_id: version.id,
            restore,
            restore_path,
            allow_non_restored_state: req.allow_non_restored_state.unwrap_or(false),
            config_overrides: overrides,
        };
        let params = serde_json::to_value(&plan).map_err(|e| EngineError::Internal(e.to_string()))?;
        self.admit(&placed, kind, by, &params).await
    }

    fn runner_available(&self) -> bool {
        self.settings.runner_jar.as_ref().map(|p| p.exists()).unwrap_or(false)
    }

    /// The last checkpoint known for a deployment: seen while it ran, or recorded as a retained snapshot.
    async fn known_checkpoint(&self, placed: &Placed) -> Result<Option<String>, EngineError> {
        if let Some(p) = &placed.deployment.latest_checkpoint {
            return Ok(Some(p.clone()));
        }
        Ok(self.store.latest_snapshot(placed.deployment.id, Some("checkpoint"), None).await?.map(|s| s.path))
    }

    pub(super) async fn run_deploy(&self, ctx: &mut OpCtx, placed: Placed, params: Value) -> Result<(), EngineError> {
        let plan: DeployPlan = serde_json::from_value(params)
            .map_err(|e| EngineError::Internal(format!("unreadable deploy parameters: {e}")))?;
        let version = self
            .store
            .version_by_id(plan.version_id)
            .await?
            .ok_or_else(|| EngineError::Failed(format!("version {} no longer exists", plan.version)))?;
        let backend = self.backend(&placed.cluster)?;

        // 1. Stop the job that runs now, saving its state. Never after the submit step: by then the
        //    deployment's job is the new one.
        let mut stopped_at: Option<(String, &'static str)> = None; // (path, kind)
        let submitted = ctx.steps.iter().any(|s| s.name == "submit");
        if !submitted {
            let old = placed.deployment.flink_job_id.clone();
            let resuming_stop = ctx.steps.iter().any(|s| s.name == "stop-with-savepoint" || s.name == "cancel-running-job");
            let alive = match &old {
                // A job seen FINISHED, CANCELED or FAILED never runs again: no need to ask.
                Some(_) if TERMINAL_STATES.contains(&placed.deployment.observed_state.as_str()) && !resuming_stop => false,
                Some(id) if !resuming_stop => self
                    .job_state(&placed, backend.as_ref(), id)
                    .await?
                    .map(|s| !TERMINAL_STATES.contains(&s.as_str()))
                    .unwrap_or(false),
                Some(_) => true,
                None => false,
            };
            if let (Some(old), true) = (old, alive) {
                if plan.restore == restore::LATEST_CHECKPOINT {
                    // Never cancel a job whose state could not be restored afterwards.
                    if !resuming_stop {
                        let has = backend.checkpoints(&old).await.ok().and_then(|c| c.latest_completed).is_some()
                            || placed.deployment.latest_checkpoint.is_some();
                        if !has {
                            return Err(EngineError::Failed(format!(
                                "job {old} has not completed a checkpoint yet, so it was not cancelled and keeps \
                                 running; retry later or deploy with restore 'latest-savepoint'"
                            )));
                        }
                    }
                    let checkpoint = self.cancel_step(ctx, "cancel-running-job", &placed, &old).await?;
                    let path = checkpoint.ok_or_else(|| {
                        EngineError::Failed("the running job had no completed checkpoint; it was cancelled".into())
                    })?;
                    stopped_at = Some((path, "checkpoint"));
                } else {
                    let location =
                        self.savepoint_step(ctx, "stop-with-savepoint", &placed, &old, Some(false), "upgrade").await?;
                    stopped_at = Some((location, "savepoint"));
                }
            }
        }

        // 2. Choose the state to restore.
        let chosen = self.choose_restore(&placed, &plan, stopped_at.clone()).await?;
        let chosen_step = self.step(ctx, "choose-restore", chosen, |data, _| async move { Ok(data) }).await?;
        let restore_path = value_str(&chosen_step, "path");

        // 3. The jar on the cluster.
        let (jar_file, entry_class, args) = self.program(&placed, &version).await?;
        let jar_step = self.ensure_jar(ctx, &placed, &jar_file).await?;
        let sha = value_str(&jar_step, "sha256").unwrap_or_default();

        // 4. Submit, with the job id chosen in advance.
        let config = self.job_config(&placed, &version, &plan.config_overrides);
        let parallelism = version.parallelism.map(|p| p as u32);
        let intent = json!({
            "flink_job_id": new_flink_id(),
            "jar_id": value_str(&jar_step, "jar_id"),
            "restore_path": restore_path,
            "allow_non_restored_state": plan.allow_non_restored_state,
            "parallelism": parallelism,
            "flink_config": config,
        });
        let cluster_name = placed.cluster.name.clone();
        let placed_ref = &placed;
        let submitted = self
            .step(ctx, "submit", intent, |data, resumed| async move {
                let placed = placed_ref;
                let job_id = value_str(&data, "flink_job_id").unwrap_or_default();
                if resumed && self.job_state(placed, backend.as_ref(), &job_id).await?.is_some() {
                    return Ok(data); // submitted before a restart: never twice
                }
                let submission = Submission {
                    entry_class: Some(entry_class).filter(|c| !c.is_empty()),
                    args,
                    parallelism,
                    restore_path: value_str(&data, "restore_path"),
                    allow_non_restored_state: plan.allow_non_restored_state,
                    flink_config: config,
                    job_id: Some(job_id.clone()),
                };
                let gate = self.submit_gate(placed.cluster.id).await;
                let _permit = gate.acquire().await.map_err(|e| EngineError::Internal(e.to_string()))?;
                let jar_id = value_str(&data, "jar_id").unwrap_or_default();
                let mut out = data.clone();
                match backend.submit(&jar_id, &submission).await {
                    Ok(_) => {}
                    // Submitted by a run cut off before it could record the answer: the id is ours, keep it.
                    Err(BackendError::Http { message, .. }) if is_duplicate_submission(&message) => {
                        tracing::info!(job = %job_id, "the job was already submitted: not submitting it again");
                    }
                    // The cluster lost the jar (e.g. it restarted): upload again, once.
                    Err(BackendError::Http { message, .. }) if message.contains("does not exist") || message.contains("not found") => {
                        self.store.forget_cluster_jar(placed.cluster.id, &sha).await?;
                        let new_jar = self.upload_jar(placed, &jar_file, &sha).await?;
                        backend.submit(&new_jar, &submission).await.map_err(|e| submit_error(&cluster_name, e))?;
                        out["jar_id"] = json!(new_jar);
                    }
                    Err(e) => return Err(submit_error(&cluster_name, e)),
                }
                Ok(out)
            })
            .await?;
        let new_job = value_str(&submitted, "flink_job_id").unwrap_or_default();
        let mut active: deployment::ActiveModel = placed.deployment.clone().into();
        active.flink_job_id = Set(Some(new_job.clone()));
        active.version_id = Set(Some(version.id));
        active.desired_state = Set("running".into());
        active.config_overrides = Set(Value::Object(plan.config_overrides.clone()).to_string());
        active.observed_state = Set("CREATED".into());
        active.latest_checkpoint = Set(None);
        let updated = self.store.update_deployment(active).await?;
        self.publish_deployment(updated.id).await;

        // 5. Wait for RUNNING.
        let placed = Placed { deployment: updated, ..placed };
        let limit = self.settings.start_timeout;
        let batch = version.mode == "batch";
        let backend = self.backend(&placed.cluster)?;
        let job_for_wait = new_job.clone();
        let waited = self
            .step(ctx, "wait-running", json!({"flink_job_id": new_job}), |data, _| async move {
                let state = self.wait_job_up(&placed, backend.as_ref(), &job_for_wait, limit).await?;
                let ok = state == "RUNNING" || (batch && state == "FINISHED");
                if !ok {
                    let cause = backend.failure_cause(&job_for_wait).await.ok().flatten();
                    return Err(EngineError::Failed(match cause {
                        Some(c) => format!("job {job_for_wait} ended {state}: {c}"),
                        None => format!("job {job_for_wait} ended {state}"),
                    }));
                }
                let mut out = data.clone();
                out["state"] = json!(state);
                Ok(out)
            })
            .await?;
        if let Some(state) = waited["state"].as_str() {
            self.store.observe_deployment(ctx.op.deployment_id, state, None).await?;
        }
        Ok(())
    }

    /// Decides what to restore from, with the reason, as the "choose-restore" step's record.
    async fn choose_restore(
        &self,
        placed: &Placed,
        plan: &DeployPlan,
        stopped_at: Option<(String, &'static str)>,
    ) -> Result<Value, EngineError> {
        let (path, reason): (Option<String>, String) = match plan.restore.as_str() {
            restore::PATH => (plan.restore_path.clone(), "the given path".into()),
            restore::NONE => (None, "empty state, as asked".into()),
            restore::LATEST_CHECKPOINT => match stopped_at {
                Some((p, "checkpoint")) => (Some(p), "the running job's last checkpoint".into()),
                _ => (self.known_checkpoint(placed).await?, "the last recorded checkpoint".into()),
            },
            restore::VERSION_SNAPSHOT => {
                let s = self.store.latest_snapshot(placed.deployment.id, None, Some(plan.version_id)).await?;
                let s = s.ok_or_else(|| EngineError::Failed(format!("no snapshot of version {}", plan.version)))?;
                (Some(s.path), format!("the newest {} taken from version {}", s.kind, plan.version))
            }
            _ => match stopped_at {
                Some((p, _)) => (Some(p), "the savepoint taken when stopping the running job".into()),
                None => match self.store.latest_snapshot(placed.deployment.id, Some("savepoint"), None).await? {
                    Some(s) => (Some(s.path), "the deployment's newest savepoint".into()),
                    None => (None, "no savepoint yet: empty state".into()),
                },
            },
        };
        Ok(json!({"restore": plan.restore, "path": path, "reason": reason}))
    }

    /// The jar file, entry class and program arguments of a version.
    async fn program(&self, placed: &Placed, v: &version::Model) -> Result<(PathBuf, String, Vec<String>), EngineError> {
        if placed.job.kind == "sql" {
            let jar = self
                .settings
                .runner_jar
                .clone()
                .ok_or_else(|| EngineError::Failed("the SQL runner jar is not configured".into()))?;
            let sql = v.sql.clone().unwrap_or_default();
            let args = vec![
                "--mode".into(),
                v.mode.clone(),
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

    /// A step that makes sure the jar is on the cluster; returns {sha256, jar_id}.
    async fn ensure_jar(&self, ctx: &mut OpCtx, placed: &Placed, file: &PathBuf) -> Result<Value, EngineError> {
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| EngineError::Failed(format!("cannot read the jar {}: {e}", file.display())))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        let intent = json!({"sha256": sha, "file": file.display().to_string()});
        self.step(ctx, "upload-jar", intent, |data, _| async move {
            let mut out = data.clone();
            let jar_id = match self.store.cluster_jar(placed.cluster.id, &sha).await? {
                Some(id) => id,
                None => self.upload_jar(placed, file, &sha).await?,
            };
            out["jar_id"] = json!(jar_id);
            Ok(out)
        })
        .await
    }

    async fn upload_jar(&self, placed: &Placed, file: &std::path::Path, sha: &str) -> Result<String, EngineError> {
        let gate = self.submit_gate(placed.cluster.id).await;
        let _permit = gate.acquire().await.map_err(|e| EngineError::Internal(e.to_string()))?;
        let backend = self.backend(&placed.cluster)?;
        let jar_id = backend
            .upload_jar(file)
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

/// Flink's answer to a second submission of the same job id (DuplicateJobSubmissionException, or
/// DuplicateApplicationSubmissionException in Flink 2.x).
fn is_duplicate_submission(message: &str) -> bool {
    message.contains("Duplicate") && message.contains("already been submitted")
}

fn submit_error(cluster: &str, e: BackendError) -> EngineError {
    EngineError::Failed(format!("cluster '{cluster}' refused the job: {e}"))
}
