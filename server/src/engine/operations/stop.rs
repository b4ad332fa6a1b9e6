//! Stop: with a savepoint (one call; the deployment becomes suspended), or without (cancel; the deployment
//! becomes cancelled and its last retained checkpoint is recorded).

use std::time::Duration;

use sea_orm::Set;
use serde_json::{json, Value};

use super::super::deployments::Placed;
use super::super::{Caller, Engine, EngineError, Role};
use super::savepoint::{require_active, TERMINAL_STATES};
use super::{kind, OpCtx};
use crate::store::entities::deployment;

/// What a caller gives to stop a deployment.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopRequest {
    /// Take a savepoint while stopping (default). `false` cancels: state since the last checkpoint is lost.
    #[serde(default = "yes")]
    pub savepoint: bool,
    /// Drain the pipeline (emit final watermarks) before stopping.
    #[serde(default)]
    pub drain: bool,
}

impl Default for StopRequest {
    fn default() -> Self {
        Self { savepoint: true, drain: false }
    }
}

fn yes() -> bool {
    true
}

impl Engine {
    pub async fn request_stop(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        req: StopRequest,
    ) -> Result<i64, EngineError> {
        caller.act(if req.savepoint { kind::STOP } else { "cancel" }, format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        require_active(&placed)?;
        if req.drain && !req.savepoint {
            return Err(EngineError::Invalid("'drain' needs 'savepoint': true".into()));
        }
        self.admit(&placed, kind::STOP, &caller.name(), &json!({"savepoint": req.savepoint, "drain": req.drain})).await
    }

    pub(super) async fn run_stop(&self, ctx: &mut OpCtx, placed: Placed, params: Value) -> Result<(), EngineError> {
        let job_id = placed
            .deployment
            .flink_job_id
            .clone()
            .ok_or_else(|| EngineError::Failed("the deployment has no job to stop".into()))?;
        let with_savepoint = params["savepoint"].as_bool().unwrap_or(true);
        let desired = if with_savepoint {
            let drain = params["drain"].as_bool().unwrap_or(false);
            self.savepoint_step(ctx, "stop-with-savepoint", &placed, &job_id, Some(drain), "stop").await?;
            "suspended"
        } else {
            self.cancel_step(ctx, "cancel", &placed, &job_id).await?;
            "cancelled"
        };
        let mut active: deployment::ActiveModel = placed.deployment.clone().into();
        active.desired_state = Set(desired.into());
        self.store.update_deployment(active).await?;
        Ok(())
    }

    /// A step that cancels `job_id` and records its last completed checkpoint (retained on cancellation) as a
    /// snapshot. Returns that checkpoint's path, if the job had completed one.
    pub(super) async fn cancel_step(
        &self,
        ctx: &mut OpCtx,
        name: &str,
        placed: &Placed,
        job_id: &str,
    ) -> Result<Option<String>, EngineError> {
        let backend = self.backend(&placed.cluster)?;
        // Read the checkpoint before cancelling: the REST API forgets it once the job is archived.
        let checkpoint = match ctx.steps.iter().any(|s| s.name == name) {
            true => None,
            false => backend.checkpoints(job_id).await.ok().and_then(|c| c.latest_completed),
        }
        .or_else(|| placed.deployment.latest_checkpoint.clone());
        let intent = json!({ "flink_job_id": job_id, "checkpoint": checkpoint });
        let cluster = placed.cluster.name.clone();
        let out = self
            .step(ctx, name, intent, |data, _| async move {
                let state = self.job_state(placed, backend.as_ref(), job_id).await?;
                if state.as_deref().map(|s| !TERMINAL_STATES.contains(&s)).unwrap_or(false) {
                    backend.cancel(job_id).await.map_err(|source| EngineError::Cluster { cluster, source })?;
                }
                let end = self
                    .wait_job_ended(placed, backend.as_ref(), job_id, Duration::from_secs(60))
                    .await
                    .ok();
                let mut out = data.clone();
                out["final_state"] = json!(end);
                Ok(out)
            })
            .await?;
        if let Some(state) = out["final_state"].as_str() {
            self.store.observe_deployment(placed.deployment.id, state, None).await?;
        }
        let checkpoint = out["checkpoint"].as_str().map(str::to_owned);
        if let Some(path) = &checkpoint {
            self.record_snapshot(placed, "checkpoint", "retained", path, job_id, Some(ctx.op.id)).await?;
        }
        Ok(checkpoint)
    }
}
