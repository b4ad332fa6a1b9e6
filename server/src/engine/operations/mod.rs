//! Operations: requested actions on a deployment. Each is admitted only if no other operation is in flight
//! on the same deployment (a second request gets [`EngineError::Busy`]), then runs in the background as a
//! sequence of named steps. Every step is recorded with what it is about to do (ids chosen in advance, such as
//! the Flink job id and the savepoint trigger id) BEFORE it touches the cluster, so a `weir` restarted
//! mid-operation resumes from the record instead of acting twice.
//!
//! - [`deploy`]: deploy, rollback, restart and recover (one flow: stop the running job with a savepoint, then
//!   submit the chosen version restoring the chosen state).
//! - [`stop`]: stop with a savepoint, or cancel.
//! - [`savepoint`]: a savepoint while the job keeps running, and the savepoint wait shared by all of them.

pub mod deploy;
pub mod savepoint;
pub mod stop;

use std::future::Future;

use serde_json::{json, Value};
use weir_app::model::{Event, Operation};

use super::deployments::{step_view, Placed};
use super::{Engine, EngineError};
use crate::store::entities::{operation, operation_step};
use crate::store::operations::Admission;

/// The kinds of operation.
pub mod kind {
    pub const DEPLOY: &str = "deploy";
    pub const ROLLBACK: &str = "rollback";
    pub const RESTART: &str = "restart";
    pub const RECOVER: &str = "recover";
    pub const STOP: &str = "stop";
    pub const SAVEPOINT: &str = "savepoint";
}

/// A running operation: its row, the steps recorded so far, and the names it is shown with.
pub(super) struct OpCtx {
    pub op: operation::Model,
    pub steps: Vec<operation_step::Model>,
    /// (namespace, job, environment)
    pub names: (String, String, String),
}

impl OpCtx {
    /// The operation as subscribers see it, built from memory (no query on the hot path).
    fn view(&self) -> Operation {
        Operation {
            id: self.op.id,
            namespace: self.names.0.clone(),
            job: self.names.1.clone(),
            environment: self.names.2.clone(),
            kind: self.op.kind.clone(),
            requested_by: self.op.requested_by.clone(),
            params: serde_json::from_str(&self.op.params).unwrap_or(Value::Null),
            status: "running".into(),
            error: None,
            steps: self.steps.iter().map(step_view).collect(),
            created_at: self.op.created_at,
            started_at: self.op.started_at.or(Some(self.op.created_at)),
            finished_at: None,
        }
    }
}

impl Engine {
    /// Admits an operation (or answers Busy) and starts it in the background; returns its id.
    pub(super) async fn admit(
        &self,
        placed: &Placed,
        kind: &str,
        requested_by: &str,
        params: &Value,
    ) -> Result<i64, EngineError> {
        let params_json = params.to_string();
        match self.store.admit_operation(placed.deployment.id, kind, requested_by, &params_json).await? {
            Admission::Busy(operation) => Err(EngineError::Busy { operation }),
            Admission::Admitted(op) => {
                tracing::info!(operation = op.id, kind, job = %placed.job.name, environment = %placed.environment.name,
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
    pub(super) async fn resume_operations(&self) -> Result<(), EngineError> {
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
        let deployment_id = match self.store.operation_by_id(id).await {
            Ok(Some(op)) => op.deployment_id,
            _ => return,
        };
        let error = result.as_ref().err().map(|e| e.to_string());
        match &error {
            None => tracing::info!(operation = id, "operation succeeded"),
            Some(e) => tracing::warn!(operation = id, error = %e, "operation failed"),
        }
        if let Err(e) = self.store.finish_operation(id, deployment_id, error.as_deref()).await {
            // The database is gone; the operation stays unfinished and resumes at the next start.
            tracing::error!(operation = id, "cannot record the end of the operation: {e}");
            return;
        }
        self.publish_operation(id).await;
        self.publish_deployment(deployment_id).await;
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
        let mut ctx = OpCtx { op, steps, names };
        let params: Value = serde_json::from_str(&ctx.op.params).unwrap_or(Value::Null);
        match ctx.op.kind.as_str() {
            kind::DEPLOY | kind::ROLLBACK | kind::RESTART | kind::RECOVER => {
                self.run_deploy(&mut ctx, placed, params).await
            }
            kind::STOP => self.run_stop(&mut ctx, placed, params).await,
            kind::SAVEPOINT => self.run_savepoint(&mut ctx, placed).await,
            other => Err(EngineError::Internal(format!("unknown operation kind '{other}'"))),
        }
    }

    /// Runs one named step: recorded with `intent` before `act` runs; skipped when it already succeeded; resumed
    /// with its recorded data when a previous run was cut off inside it (`act` is then told `resumed`, and must
    /// find out what the cut-off run already did). Returns the step's final data.
    pub(super) async fn step<F, Fut>(
        &self,
        ctx: &mut OpCtx,
        name: &str,
        intent: Value,
        act: F,
    ) -> Result<Value, EngineError>
    where
        F: FnOnce(Value, bool) -> Fut,
        Fut: Future<Output = Result<Value, EngineError>>,
    {
        let (step_id, data, resumed) = match ctx.steps.iter().find(|s| s.name == name) {
            Some(s) if s.status == "succeeded" => return Ok(serde_json::from_str(&s.data).unwrap_or(Value::Null)),
            Some(s) => (s.id, serde_json::from_str(&s.data).unwrap_or(intent), true),
            None => {
                let seq = ctx.steps.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
                let s = self.store.begin_step(ctx.op.id, seq, name, &intent.to_string()).await?;
                let id = s.id;
                ctx.steps.push(s);
                (id, intent, false)
            }
        };
        self.publish_progress(ctx);
        let result = act(data.clone(), resumed).await;
        let (status, out) = match &result {
            Ok(out) => ("succeeded", out.clone()),
            Err(e) => {
                let mut failed = data;
                if let Value::Object(m) = &mut failed {
                    m.insert("error".into(), json!(e.to_string()));
                }
                ("failed", failed)
            }
        };
        self.store.record_step(step_id, status, &out.to_string()).await?;
        if let Some(s) = ctx.steps.iter_mut().find(|s| s.id == step_id) {
            s.status = status.to_owned();
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

    pub(super) async fn publish_operation(&self, id: i64) {
        if !self.has_subscribers() {
            return;
        }
        if let Ok(Some(op)) = self.store.operation_by_id(id).await {
            if let Ok(view) = self.operation_view(op).await {
                self.publish(Event::Operation { operation: view });
            }
        }
    }

    pub(super) async fn publish_deployment(&self, deployment_id: i64) {
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
