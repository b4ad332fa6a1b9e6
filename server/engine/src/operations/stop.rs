//! Stop: with a savepoint (one call; the deployment becomes suspended), or without (cancel; the deployment
//! becomes cancelled and its last retained checkpoint is recorded).

use std::time::Duration;

use weir_model::{DesiredState, OperationKind, SnapshotKind, SnapshotOrigin, Step};

use weir_model::operation_log::{CancelIntent, StopParams};
use super::savepoint::require_active;
use super::OpCtx;
use crate::deployments::Placed;
use crate::store::operations::Desired;
use crate::{Caller, Engine, EngineError, Role};

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
        caller.act(if req.savepoint { OperationKind::Stop.as_str() } else { "cancel" }, format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        require_active(&placed)?;
        if req.drain && !req.savepoint {
            return Err(EngineError::Invalid("'drain' needs 'savepoint': true".into()));
        }
        let desired = Desired {
            state: if req.savepoint { DesiredState::Suspended } else { DesiredState::Cancelled },
            ..Desired::of(&placed.deployment)
        };
        let params = StopParams { savepoint: req.savepoint, drain: req.drain };
        self.admit(&placed, OperationKind::Stop, &caller.name(), &params, Some(desired)).await
    }

    pub(crate) async fn run_stop(&self, ctx: &mut OpCtx, placed: Placed) -> Result<(), EngineError> {
        let req: StopParams = ctx.params()?;
        let job_id = placed
            .deployment
            .flink_job_id
            .clone()
            .ok_or_else(|| EngineError::Failed("the deployment has no job to stop".into()))?;
        if req.savepoint {
            self.savepoint_step(ctx, Step::StopWithSavepoint, &placed, &job_id, Some(req.drain), SnapshotOrigin::Stop)
                .await?;
        } else {
            self.cancel_step(ctx, Step::Cancel, &placed, &job_id).await?;
        }
        Ok(())
    }

    /// A step that cancels `job_id` and records its last completed checkpoint (retained on cancellation) as a
    /// snapshot. Returns that checkpoint's path, if the job had completed one. When the operation replaces
    /// the job (a deploy restoring the latest checkpoint), a job without any checkpoint is not cancelled: its
    /// state could not be restored afterwards.
    pub(crate) async fn cancel_step(
        &self,
        ctx: &mut OpCtx,
        name: Step,
        placed: &Placed,
        job_id: &str,
    ) -> Result<Option<String>, EngineError> {
        let backend = self.backend(&placed.cluster)?;
        let resuming = ctx.has(name);
        // Read the checkpoint before cancelling: the REST API forgets it once the job is archived.
        let checkpoint = match resuming {
            true => None,
            false => backend.checkpoints(job_id).await.ok().and_then(|c| c.latest_completed),
        }
        .or_else(|| placed.deployment.latest_checkpoint.clone());
        if ctx.op.kind.starts_a_job() && !resuming && checkpoint.is_none() {
            return Err(EngineError::Failed(format!(
                "job {job_id} has not completed a checkpoint yet, so it was not cancelled and keeps running; \
                 retry later or deploy with restore 'latest-savepoint'"
            )));
        }
        let intent = CancelIntent { flink_job_id: job_id.to_owned(), checkpoint, final_state: None };
        let cluster = placed.cluster.name.clone();
        let out = self
            .step(ctx, name, intent, |mut data, _| async move {
                let state = self.job_state(placed, backend.as_ref(), job_id).await?;
                if state.is_some_and(|s| s.is_alive()) {
                    backend.cancel(job_id).await.map_err(|source| EngineError::Cluster { cluster, source })?;
                }
                data.final_state =
                    self.wait_job_ended(placed, backend.as_ref(), job_id, Duration::from_secs(60)).await.ok();
                Ok(data)
            })
            .await?;
        if let Some(state) = out.final_state {
            self.report_observed(placed.deployment.id, job_id, state.into(), None).await?;
        }
        if let Some(path) = &out.checkpoint {
            self.record_snapshot(ctx, placed, SnapshotKind::Checkpoint, SnapshotOrigin::Retained, path, job_id).await?;
        }
        Ok(out.checkpoint)
    }
}
