//! Operations: requested actions on a deployment. Each is admitted only if no other operation is in flight
//! on the same deployment (a second request gets [`EngineError::Busy`]); the admission writes, in the same
//! transaction, what the deployment should now be (desired state, version, configuration), so the database
//! always says what should run and the operation is the plan that converges to it. It then runs in the
//! background as a sequence of [`Step`]s. Every step is recorded with its typed intent
//! (`weir_model::operation_log`) (ids chosen in
//! advance, such as the Flink job id and the savepoint trigger id) BEFORE it touches the cluster, so a `weir`
//! restarted mid-operation resumes from the record instead of acting twice.
//!
//! - [`plan`]: the deploy plan (stop or cancel, and what to restore), a pure function of facts and request.
//! - [`deploy`]: deploy, rollback, restart and recover (one flow: stop what runs, then submit the chosen
//!   version restoring the chosen state).
//! - [`stop`]: stop with a savepoint, or cancel.
//! - [`savepoint`]: a savepoint while the job keeps running, and the savepoint step the others share.

pub mod deploy;
pub mod plan;
pub mod savepoint;
pub mod stop;

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use weir_model::{Event, Operation, OperationKind, OperationStatus, Step, StepStatus};

use crate::deployments::{step_view, Placed};
use crate::store::entities::{operation, operation_step};
use crate::store::operations::{Admission, Desired};
use crate::{Engine, EngineError};

/// A running operation: its row, the steps recorded so far, and the names it is shown with.
pub(crate) struct OpCtx {
    pub op: operation::Model,
    pub steps: Vec<operation_step::Model>,
    /// (namespace, job, environment)
    pub names: (String, String, String),
    /// What the deployment ran when the operation was admitted (its desired state before the admission wrote
    /// the new one): the version and configuration of the job this operation stops or saves.
    pub running: Desired,
}

impl OpCtx {
    /// The operation as subscribers see it, built from memory (no query on the hot path).
    fn view(&self) -> Operation {
        Operation {
            id: self.op.id,
            namespace: self.names.0.clone(),
            job: self.names.1.clone(),
            environment: self.names.2.clone(),
            kind: self.op.kind,
            requested_by: self.op.requested_by.clone(),
            params: serde_json::from_str(&self.op.params).unwrap_or(Value::Null),
            status: OperationStatus::Running,
            error: None,
            steps: self.steps.iter().map(step_view).collect(),
            created_at: self.op.created_at,
            started_at: self.op.started_at.or(Some(self.op.created_at)),
            finished_at: None,
        }
    }

    /// Whether a step was recorded (in any status).
    pub fn has(&self, step: Step) -> bool {
        self.steps.iter().any(|s| s.name == step)
    }

    /// The operation's parameters, as admitted.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, EngineError> {
        serde_json::from_str(&self.op.params)
            .map_err(|e| EngineError::Internal(format!("operation {}: unreadable parameters: {e}", self.op.id)))
    }
}

/// Whether an operation that failed leaves the deployment's desired state as admitted, or puts back what it
/// was: only once the operation changed what runs (submitted the new job, or stopped the old one for good)
/// does its desired state stand. Before that, the old instance keeps running as it was.
pub fn failure_keeps_desired(kind: OperationKind, steps: &[(Step, StepStatus)]) -> bool {
    let reached = |step: Step| steps.iter().any(|(s, _)| *s == step);
    let done = |step: Step| steps.iter().any(|(s, st)| *s == step && *st == StepStatus::Succeeded);
    match kind {
        k if k.starts_a_job() => reached(Step::Submit),
        OperationKind::Stop => done(Step::StopWithSavepoint) || done(Step::Cancel),
        _ => false,
    }
}

/// A typed value as a step's recorded data.
fn to_json<T: Serialize>(value: &T) -> Result<Value, EngineError> {
    serde_json::to_value(value).map_err(|e| EngineError::Internal(format!("cannot record a step: {e}")))
}

impl Engine {
    /// Admits an operation (or answers Busy), writing `desired` in the same transaction, and starts it in
    /// the background; returns its id.
    pub(crate) async fn admit<P: Serialize>(
        &self,
        placed: &Placed,
        kind: OperationKind,
        requested_by: &str,
        params: &P,
        desired: Option<Desired>,
    ) -> Result<i64, EngineError> {
        let params_json = to_json(params)?.to_string();
        match self.store.admit_operation(placed.deployment.id, kind, requested_by, &params_json, desired).await? {
            Admission::Busy(operation) => Err(EngineError::Busy { operation }),
            Admission::Admitted(op) => {
                tracing::info!(operation = op.id, %kind, job = %placed.job.name, environment = %placed.environment.name,
                    by = requested_by, "operation admitted");
                self.publish_operation(op.id).await;
                self.publish_deployment(placed.deployment.id).await;
                let id = op.id;
                let engine = self.clone();
                tokio::spawn(async move { engine.run_operation(id).await });
                Ok(id)
            }
        }
    }

    /// Resumes every operation a previous `weir` left queued or running.
    pub(crate) async fn resume_operations(&self) -> Result<(), EngineError> {
        for op in self.store.unfinished_operations().await? {
            tracing::info!(operation = op.id, kind = %op.kind, "resuming an unfinished operation");
            let engine = self.clone();
            tokio::spawn(async move { engine.run_operation(op.id).await });
        }
        Ok(())
    }

    /// Runs (or resumes) an operation to its end, then releases the deployment.
    async fn run_operation(&self, id: i64) {
        let result = self.run_operation_inner(id).await;
        let Ok(Some(op)) = self.store.operation_by_id(id).await else { return };
        let error = result.as_ref().err().map(|e| e.to_string());
        match &error {
            None => tracing::info!(operation = id, "operation succeeded"),
            Some(e) => tracing::warn!(operation = id, error = %e, "operation failed"),
        }
        let steps = match self.store.steps_of(id).await {
            Ok(steps) => steps.into_iter().map(|s| (s.name, s.status)).collect::<Vec<_>>(),
            Err(e) => {
                tracing::error!(operation = id, "cannot read the steps of the operation: {e}");
                return;
            }
        };
        let restore_prior = error.is_some() && !failure_keeps_desired(op.kind, &steps);
        if let Err(e) = self.store.finish_operation(id, op.deployment_id, error.as_deref(), restore_prior).await {
            // The database is gone; the operation stays unfinished and resumes at the next start.
            tracing::error!(operation = id, "cannot record the end of the operation: {e}");
            return;
        }
        let took = (chrono::Utc::now() - op.created_at).num_milliseconds().max(0) as f64 / 1000.0;
        self.telemetry.operation_finished(op.kind.as_str(), error.is_none(), took);
        self.publish_operation(id).await;
        self.publish_deployment(op.deployment_id).await;
    }

    async fn run_operation_inner(&self, id: i64) -> Result<(), EngineError> {
        let op = self
            .store
            .operation_by_id(id)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("operation {id} is missing")))?;
        self.store.mark_operation_running(id).await?;
        let steps = self.store.steps_of(id).await?;
        let placed = self.place_by_id(op.deployment_id).await?;
        let names = (placed.namespace.name.clone(), placed.job.name.clone(), placed.environment.name.clone());
        let running = match &op.prior_desired {
            Some(prior) => serde_json::from_str(prior)
                .map_err(|e| EngineError::Internal(format!("operation {id}: unreadable prior desired state: {e}")))?,
            None => Desired::of(&placed.deployment),
        };
        let mut ctx = OpCtx { op, steps, names, running };
        match ctx.op.kind {
            k if k.starts_a_job() => self.run_deploy(&mut ctx, placed).await,
            OperationKind::Stop => self.run_stop(&mut ctx, placed).await,
            OperationKind::Savepoint => self.run_savepoint(&mut ctx, placed).await,
            other => Err(EngineError::Internal(format!("no flow for operation kind '{other}'"))),
        }
    }

    /// Runs one step: recorded with its typed `intent` before `act` runs; skipped (its recorded result
    /// returned) when it already succeeded; resumed with its recorded intent when a previous run was cut off
    /// inside it (`act` is then told `resumed`, and must find out what the cut-off run already did).
    pub(crate) async fn step<T, F, Fut>(&self, ctx: &mut OpCtx, name: Step, intent: T, act: F) -> Result<T, EngineError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(T, bool) -> Fut,
        Fut: Future<Output = Result<T, EngineError>>,
    {
        let op_id = ctx.op.id;
        let read = |data: &str| {
            serde_json::from_str::<T>(data)
                .map_err(|e| EngineError::Internal(format!("operation {op_id}: unreadable step {name}: {e}")))
        };
        let (step_id, data, resumed) = match ctx.steps.iter().find(|s| s.name == name) {
            Some(s) if s.status == StepStatus::Succeeded => return read(&s.data),
            Some(s) => (s.id, read(&s.data)?, true),
            None => {
                let seq = ctx.steps.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
                let s = self.store.begin_step(ctx.op.id, seq, name, &to_json(&intent)?.to_string()).await?;
                let id = s.id;
                ctx.steps.push(s);
                (id, intent, false)
            }
        };
        self.publish_progress(ctx);
        let recorded = to_json(&data)?;
        let result = act(data, resumed).await;
        let (status, out) = match &result {
            Ok(out) => (StepStatus::Succeeded, to_json(out)?),
            Err(e) => {
                let mut failed = recorded;
                if let Value::Object(m) = &mut failed {
                    m.insert("error".into(), Value::String(e.to_string()));
                }
                (StepStatus::Failed, failed)
            }
        };
        self.store.record_step(step_id, status, &out.to_string()).await?;
        if let Some(s) = ctx.steps.iter_mut().find(|s| s.id == step_id) {
            s.status = status;
            s.data = out.to_string();
            s.finished_at = Some(chrono::Utc::now());
        }
        self.publish_progress(ctx);
        result
    }

    /// Publishes a running operation's progress from memory.
    fn publish_progress(&self, ctx: &OpCtx) {
        if self.has_subscribers() {
            self.publish(Event::Operation { operation: ctx.view() });
        }
    }

    pub(crate) async fn publish_operation(&self, id: i64) {
        if !self.has_subscribers() {
            return;
        }
        if let Ok(Some(op)) = self.store.operation_by_id(id).await {
            if let Ok(view) = self.operation_view(op).await {
                self.publish(Event::Operation { operation: view });
            }
        }
    }

    pub(crate) async fn publish_deployment(&self, deployment_id: i64) {
        if !self.has_subscribers() {
            return;
        }
        if let Ok(placed) = self.place_by_id(deployment_id).await {
            if let Ok(view) = self.deployment_view(&placed).await {
                self.publish(Event::Deployment { deployment: view });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::failure_keeps_desired;
    use weir_model::{OperationKind as K, Step as S, StepStatus as St};

    type Row = (&'static str, K, Vec<(S, St)>, bool);

    #[test]
    fn a_failure_keeps_the_desired_state_only_once_what_runs_changed() {
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("deploy failed at the savepoint: the old job runs, desired goes back", K::Deploy,
                vec![(S::StopWithSavepoint, St::Failed)], false),
            ("deploy failed uploading the jar: the old job was stopped, nothing new runs", K::Deploy,
                vec![(S::StopWithSavepoint, St::Succeeded), (S::ChooseRestore, St::Succeeded), (S::UploadJar, St::Failed)], false),
            ("deploy failed after submitting: the new version stands", K::Deploy,
                vec![(S::ChooseRestore, St::Succeeded), (S::UploadJar, St::Succeeded), (S::Submit, St::Succeeded), (S::WaitRunning, St::Failed)], true),
            ("submit cut off or refused: it may have reached the cluster, the new version stands", K::Rollback,
                vec![(S::Submit, St::Failed)], true),
            ("recover that never submitted", K::Recover, vec![(S::ChooseRestore, St::Failed)], false),
            ("stop whose savepoint failed: the job keeps running, desired goes back", K::Stop,
                vec![(S::StopWithSavepoint, St::Failed)], false),
            ("stop that stopped the job", K::Stop, vec![(S::StopWithSavepoint, St::Succeeded)], true),
            ("cancel that cancelled", K::Stop, vec![(S::Cancel, St::Succeeded)], true),
            ("a savepoint changes no desired state", K::Savepoint, vec![(S::Savepoint, St::Failed)], false),
        ];
        for (name, kind, steps, keeps) in table {
            assert_eq!(failure_keeps_desired(kind, &steps), keeps, "{name}");
        }
    }
}
