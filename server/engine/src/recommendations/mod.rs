//! Resource recommendations: a deployment's advised parallelism and memory from its metrics history.
//!
//! - [`algorithm`]: the decision (pure, table tests on recorded series): the autoscaler's true-processing-rate
//!   method per vertex, memory from observed peaks, the explanation in words and numbers.
//! - this module: the orchestration — the environment's settings (`environments.recommendation_settings`,
//!   defaults otherwise), the running job's vertices and parallelism as the sampler last read them
//!   (`job_metrics`; the API asks the cluster when the sampler has not, pages never do), the figures through [`Engine::deployment_metrics`] (so an
//!   environment read from Prometheus works the same), the pool cost, dismissals and the history
//!   (`recommendation_history`: every recommendation shown — recorded once per distinct advice —, applied or
//!   dismissed).
//!
//! Applying: the quota is checked with the new demand first (nothing is written when refused), then a new
//! version is saved (the deployed version with the recommended parallelism; a hotfix `parallelism.default`,
//! which would override it, is dropped from the overrides), then ONE deploy operation redeploys it restoring
//! `latest-savepoint` (stop with savepoint, restore), the history entry's id in its parameters
//! (`DeployParams::recommendation`). The deploy's own refusals (no SQL runner, no plan) are checked before the
//! version is written; only an operation admitted concurrently in between can still refuse the deploy after
//! the version was saved (the version then stays, unused, like any saved version). Memory advice is shown, not
//! applied.

pub mod algorithm;

use chrono::Utc;
use serde_json::{Map, Value};
use weir_model::metrics::{MetricName, MetricSeries};
use weir_model::recommendations::{
    AppliedRecommendation, DismissRequest, Dismissal, PendingRecommendation, Recommendation, RecommendationAction,
    RecommendationCost, RecommendationRecord, RecommendationSettings, RecommendationStatus,
};
use weir_model::{DesiredState, ObservedState, OperationStatus, RestoreChoice, Role};

use crate::deployments::{parse_map, Placed};
use crate::operations::deploy::DeployRequest;
use crate::operations::plan::PlanRequest;
use crate::pools::demand_of;
use crate::store::entities::{environment, recommendation_record, version};
use crate::store::recommendations::NewRecord;
use crate::store::Insert;
use crate::{Caller, Engine, EngineError};
use algorithm::{Inputs, Series, VertexInput};

/// Flink's default max parallelism when the cluster does not say (128 key groups).
const DEFAULT_MAX_PARALLELISM: u32 = 128;
/// How many history entries are read back.
const HISTORY_LIMIT: u64 = 200;

/// An environment's settings: its own, or the defaults.
pub(crate) fn settings_of(env: &environment::Model) -> RecommendationSettings {
    env.recommendation_settings
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// Settings as given to an environment, checked; answers the JSON to store.
pub(crate) fn checked_settings(settings: &RecommendationSettings) -> Result<String, EngineError> {
    if let Some(problem) = settings.problem() {
        return Err(EngineError::Invalid(problem));
    }
    serde_json::to_string(settings).map_err(|e| EngineError::Internal(e.to_string()))
}

fn record_view(r: recommendation_record::Model) -> Result<RecommendationRecord, EngineError> {
    let recommendation = serde_json::from_str(&r.body)
        .map_err(|e| EngineError::Internal(format!("recommendation history {}: unreadable body: {e}", r.id)))?;
    Ok(RecommendationRecord {
        id: r.id,
        action: r.action,
        fingerprint: r.fingerprint,
        recommendation,
        reason: r.reason,
        by: r.by,
        at: r.at,
        operation: r.operation_id,
    })
}

impl Engine {
    /// A deployment's recommendation (viewers). A ready one is recorded in the history the first time this
    /// advice is shown.
    pub async fn recommendation(&self, caller: &Caller, ns: &str, job: &str, env: &str) -> Result<Recommendation, EngineError> {
        let placed = self.place(caller, ns, job, env, Role::Viewer).await?;
        let rec = self.compute_recommendation(caller, &placed, true).await?;
        if rec.status == RecommendationStatus::Ready {
            self.record_shown(&placed, &rec, &caller.name()).await?;
        }
        Ok(rec)
    }

    /// A deployment's recommendation history, newest first (viewers).
    pub async fn recommendation_history(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
    ) -> Result<Vec<RecommendationRecord>, EngineError> {
        let placed = self.place(caller, ns, job, env, Role::Viewer).await?;
        self.store.recommendation_history(placed.deployment.id, HISTORY_LIMIT).await?.into_iter().map(record_view).collect()
    }

    /// Dismisses the current advice (editors): it is not shown again until its numbers change.
    pub async fn dismiss_recommendation(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        req: DismissRequest,
    ) -> Result<Recommendation, EngineError> {
        caller.act("dismiss-recommendation", format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        let reason = req.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.len() > 1000) {
            return Err(EngineError::Invalid("a dismissal's reason is at most 1000 characters".into()));
        }
        let mut rec = self.compute_recommendation(caller, &placed, true).await?;
        if rec.status != RecommendationStatus::Ready {
            return Err(EngineError::Conflict(format!("nothing to dismiss: {}", rec.reason)));
        }
        let by = caller.name();
        let body = serde_json::to_string(&rec).map_err(|e| EngineError::Internal(e.to_string()))?;
        let saved = self
            .store
            .insert_recommendation_record(NewRecord {
                deployment_id: placed.deployment.id,
                action: RecommendationAction::Dismissed,
                fingerprint: &rec.fingerprint,
                body_json: &body,
                reason: reason.as_deref(),
                operation_id: None,
                by: &by,
            })
            .await?;
        tracing::info!(job = %placed.job.name, environment = %placed.environment.name, by = %by, "recommendation dismissed");
        hide_dismissed(&mut rec, &saved);
        Ok(rec)
    }

    /// Applies the current advice (editors): a new version with the recommended parallelism, redeployed
    /// keeping state as one deploy operation, within the pool's quota. Nothing is written when it is refused.
    pub async fn apply_recommendation(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
    ) -> Result<AppliedRecommendation, EngineError> {
        caller.act("apply-recommendation", format!("{ns}/{job}@{env}"));
        let placed = self.place(caller, ns, job, env, Role::Editor).await?;
        self.check_environment_use(&placed.namespace, &placed.environment).await?;
        let rec = self.compute_recommendation(caller, &placed, true).await?;
        if rec.status != RecommendationStatus::Ready {
            return Err(EngineError::Conflict(format!("nothing to apply: {}", rec.reason)));
        }
        if let Some(operation) = placed.deployment.active_operation_id {
            return Err(EngineError::Busy { operation });
        }
        let deployed = self.deployed_version(&placed).await?;
        // What the deploy's admission would refuse, checked before the version is written (the admission checks
        // again; only a concurrent operation admitted in between can still refuse it after the version is saved).
        if placed.job.kind == weir_model::JobKind::Sql && !self.runner_available() {
            return Err(EngineError::Unavailable(
                "SQL jobs need the SQL runner jar (runner/build/weir-sql-runner.jar): run scripts/setup".into(),
            ));
        }
        let request = PlanRequest { version: deployed.number, restore: RestoreChoice::LatestSavepoint, restore_path: None };
        self.plan_deploy(&placed, deployed.id, &request).await?.map_err(|why| {
            EngineError::Conflict(format!("{} (job '{}' in '{}')", why.0, placed.job.name, placed.environment.name))
        })?;
        let (from_p, to_p) = (rec.parallelism.current, rec.parallelism.recommended);
        let mut overrides = parse_map(&placed.deployment.config_overrides);
        overrides.remove("parallelism.default");
        let proposed = version::Model { parallelism: Some(to_p as i32), ..deployed.clone() };
        // The quota with the new demand, before anything is written; the pool's lock is held through the
        // admission of the deploy.
        let admitted = self.admit_to_pool(&placed, &proposed, &overrides).await?;
        let by = caller.name();
        let shown = self.record_shown(&placed, &rec, &by).await?;
        let message = format!("Apply recommendation: parallelism {from_p} -> {to_p}");
        let new_version = self.save_version_like(&placed, &deployed, to_p as i32, &message, &by).await?;
        let req = DeployRequest {
            version: Some(new_version.number),
            restore: Some(RestoreChoice::LatestSavepoint.to_string()),
            restore_path: None,
            allow_non_restored_state: None,
            config_overrides: Some(overrides),
        };
        let operation = self
            .admit_deploy_with(placed.clone(), weir_model::OperationKind::Deploy, req, &by, Some(admitted), Some(shown))
            .await?;
        let body = serde_json::to_string(&rec).map_err(|e| EngineError::Internal(e.to_string()))?;
        self.store
            .insert_recommendation_record(NewRecord {
                deployment_id: placed.deployment.id,
                action: RecommendationAction::Applied,
                fingerprint: &rec.fingerprint,
                body_json: &body,
                reason: None,
                operation_id: Some(operation),
                by: &by,
            })
            .await?;
        tracing::info!(job = %placed.job.name, environment = %placed.environment.name, version = new_version.number,
            operation, "recommendation applied: parallelism {from_p} -> {to_p}");
        Ok(AppliedRecommendation { version: new_version.number, operation, recommendation: rec })
    }

    /// The deployments the caller may see with advice waiting (the dashboard): running ones whose
    /// recommendation is ready. Computed from the metrics history and the sampler's newest figures of each job;
    /// no cluster is asked (pages never wait on a cluster).
    pub async fn pending_recommendations(&self, caller: &Caller) -> Result<Vec<PendingRecommendation>, EngineError> {
        self.require_signed_in(caller)?;
        let visible: Option<Vec<i64>> =
            self.visible_namespaces(caller).await?.map(|list| list.into_iter().map(|n| n.id).collect());
        let mut out = Vec::new();
        for d in self.store.running_deployments().await? {
            let placed = self.place_by_id(d.id).await?;
            if visible.as_ref().is_some_and(|v| !v.contains(&placed.namespace.id)) {
                continue;
            }
            // One unreachable cluster must not empty the list.
            let Ok(rec) = self.compute_recommendation(caller, &placed, false).await else { continue };
            if rec.status != RecommendationStatus::Ready {
                continue;
            }
            out.push(PendingRecommendation {
                namespace: rec.namespace.clone(),
                job: rec.job.clone(),
                environment: rec.environment.clone(),
                current_parallelism: rec.parallelism.current,
                recommended_parallelism: rec.parallelism.recommended,
                slots_delta: rec.cost.as_ref().map(|c| c.slots_delta).unwrap_or(0),
                reason: rec.reason.clone(),
            });
        }
        Ok(out)
    }

    async fn deployed_version(&self, placed: &Placed) -> Result<version::Model, EngineError> {
        let Some(vid) = placed.deployment.version_id else {
            return Err(EngineError::Conflict(format!("job '{}' was never deployed to '{}'", placed.job.name, placed.environment.name)));
        };
        self.store.version_by_id(vid).await?.ok_or_else(|| EngineError::Internal(format!("version {vid} is missing")))
    }

    /// Saves the next version: `base`'s program and configuration with a new parallelism.
    async fn save_version_like(
        &self,
        placed: &Placed,
        base: &version::Model,
        parallelism: i32,
        message: &str,
        by: &str,
    ) -> Result<version::Model, EngineError> {
        let active = version::ActiveModel {
            sql: sea_orm::Set(base.sql.clone()),
            artifact_id: sea_orm::Set(base.artifact_id),
            entry_class: sea_orm::Set(base.entry_class.clone()),
            args: sea_orm::Set(base.args.clone()),
            parallelism: sea_orm::Set(Some(parallelism)),
            flink_config: sea_orm::Set(base.flink_config.clone()),
            mode: sea_orm::Set(base.mode),
            message: sea_orm::Set(message.to_owned()),
            author: sea_orm::Set(by.to_owned()),
            created_at: sea_orm::Set(Utc::now()),
            ..Default::default()
        };
        for _ in 0..5 {
            if let Insert::Inserted(m) = self.store.insert_version(active.clone(), placed.job.id).await? {
                self.store.copy_version_lineage(base.id, m.id).await?;
                return Ok(m);
            }
        }
        Err(EngineError::Conflict(format!("job '{}' is being saved by someone else; retry", placed.job.name)))
    }

    /// Records a ready recommendation as shown, once per distinct advice; answers the entry's id.
    async fn record_shown(&self, placed: &Placed, rec: &Recommendation, by: &str) -> Result<i64, EngineError> {
        if let Some(last) = self.store.latest_recommendation_record(placed.deployment.id, RecommendationAction::Shown).await? {
            if last.fingerprint == rec.fingerprint {
                return Ok(last.id);
            }
        }
        let body = serde_json::to_string(rec).map_err(|e| EngineError::Internal(e.to_string()))?;
        let saved = self
            .store
            .insert_recommendation_record(NewRecord {
                deployment_id: placed.deployment.id,
                action: RecommendationAction::Shown,
                fingerprint: &rec.fingerprint,
                body_json: &body,
                reason: None,
                operation_id: None,
                by,
            })
            .await?;
        Ok(saved.id)
    }

    /// When the running job started: the end of the last operation that started it (or the deployment's
    /// creation).
    async fn started_at_ms(&self, placed: &Placed) -> Result<i64, EngineError> {
        let ops = self.store.list_operations(vec![placed.deployment.id]).await?;
        let started = ops
            .iter()
            .filter(|o| o.kind.starts_a_job() && o.status == OperationStatus::Succeeded)
            .filter_map(|o| o.finished_at)
            .max();
        Ok(started.unwrap_or(placed.deployment.created_at).timestamp_millis())
    }

    /// `ask_cluster`: read the job's vertices from its cluster when the sampler has not (pages pass false: they
    /// never call a cluster, and a deployment without sampled figures is "collecting" there).
    async fn compute_recommendation(
        &self,
        caller: &Caller,
        placed: &Placed,
        ask_cluster: bool,
    ) -> Result<Recommendation, EngineError> {
        let settings = settings_of(&placed.environment);
        let now = Utc::now().timestamp_millis();
        let base = |status: RecommendationStatus, reason: String| Recommendation {
            namespace: placed.namespace.name.clone(),
            job: placed.job.name.clone(),
            environment: placed.environment.name.clone(),
            status,
            explanation: format!("Not enough data: {reason}"),
            reason,
            parallelism: Default::default(),
            memory: Default::default(),
            based_on: Default::default(),
            cost: None,
            fingerprint: String::new(),
            dismissed: None,
            settings: settings.clone(),
        };
        let d = &placed.deployment;
        let flink_job = match (&d.flink_job_id, d.desired_state, d.observed_state) {
            (Some(id), DesiredState::Running, ObservedState::Running) if d.version_id.is_some() => id.clone(),
            _ => {
                return Ok(base(
                    RecommendationStatus::Collecting,
                    format!("the job is not running here (desired {}, observed {})", d.desired_state, d.observed_state),
                ))
            }
        };
        let started_ms = self.started_at_ms(placed).await?;
        let graph = match self.sampled_figures(d.id, &flink_job) {
            Some(g) => g,
            None if ask_cluster => self
                .backend(&placed.cluster)?
                .job_metrics(&flink_job)
                .await
                .map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?,
            None => {
                return Ok(base(RecommendationStatus::Collecting, "the job's vertices have not been sampled yet".into()))
            }
        };
        let from = now - settings.window_s as i64 * 1000 - 1000;
        let names = [
            MetricName::BusyRatio,
            MetricName::RecordsInPerSec,
            MetricName::RecordsOutPerSec,
            MetricName::LagRecords,
            MetricName::TmHeapUsedBytes,
            MetricName::TmHeapMaxBytes,
            MetricName::TmManagedMemoryUsedBytes,
            MetricName::TmMetaspaceUsedBytes,
            MetricName::JmHeapUsedBytes,
            MetricName::JmHeapMaxBytes,
        ]
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(",");
        let metrics = self
            .deployment_metrics(caller, &placed.namespace.name, &placed.job.name, &placed.environment.name, Some(&names), Some(from), Some(now))
            .await?;
        let of_vertex = |name: MetricName, vertex: &str| -> Series {
            metrics
                .series
                .iter()
                .find(|s| s.name == name && s.vertex.as_deref() == Some(vertex))
                .map(|s| s.points.clone())
                .unwrap_or_default()
        };
        let job_level = |name: MetricName| -> Vec<&MetricSeries> {
            metrics.series.iter().filter(|s| s.name == name && s.vertex.is_none() && s.task_manager.is_none()).collect()
        };
        // Per TaskManager when known (a TaskManager's heap is what is sized), else the job-level sum.
        let per_tm = |name: MetricName| -> Vec<Series> {
            let tms: Vec<Series> = metrics
                .series
                .iter()
                .filter(|s| s.name == name && s.task_manager.is_some())
                .map(|s| s.points.clone())
                .collect();
            if tms.is_empty() {
                job_level(name).into_iter().map(|s| s.points.clone()).collect()
            } else {
                tms
            }
        };
        let vertices = graph
            .vertices
            .iter()
            .map(|v| VertexInput {
                name: v.name.clone(),
                parallelism: v.parallelism.max(1),
                max_parallelism: v.max_parallelism.filter(|m| *m > 0).unwrap_or(DEFAULT_MAX_PARALLELISM),
                source: v.source,
                busy_ratio: of_vertex(MetricName::BusyRatio, &v.name),
                records_in_per_s: of_vertex(MetricName::RecordsInPerSec, &v.name),
                records_out_per_s: of_vertex(MetricName::RecordsOutPerSec, &v.name),
            })
            .collect();
        let inputs = Inputs {
            now_ms: now,
            started_ms,
            vertices,
            lag_records: job_level(MetricName::LagRecords).first().map(|s| s.points.clone()).unwrap_or_default(),
            heap_used: per_tm(MetricName::TmHeapUsedBytes),
            heap_max: per_tm(MetricName::TmHeapMaxBytes),
            managed_used: per_tm(MetricName::TmManagedMemoryUsedBytes),
            metaspace_used: per_tm(MetricName::TmMetaspaceUsedBytes),
            jm_heap_used: per_tm(MetricName::JmHeapUsedBytes),
            jm_heap_max: per_tm(MetricName::JmHeapMaxBytes),
            settings: settings.clone(),
        };
        let advice = algorithm::recommend(&inputs);
        let cost = self.cost_of(placed, advice.parallelism.recommended).await?;
        let mut explanation = advice.explanation.clone();
        if let Some(c) = &cost {
            if advice.status == RecommendationStatus::Ready {
                let pool = c.pool.as_deref().map(|p| format!(" in pool '{p}'")).unwrap_or_default();
                explanation.push_str(&match c.slots_delta {
                    d if d > 0 => format!(" Cost: {d} more slot(s){pool} ({} -> {}).", c.current.slots, c.recommended.slots),
                    d if d < 0 => format!(" Frees {} slot(s){pool} ({} -> {}).", -d, c.current.slots, c.recommended.slots),
                    _ => format!(" Same slots{pool}."),
                });
            }
        }
        let mut rec = Recommendation {
            status: advice.status,
            reason: advice.reason,
            parallelism: advice.parallelism,
            memory: advice.memory,
            explanation,
            based_on: advice.based_on,
            cost,
            fingerprint: advice.fingerprint,
            ..base(advice.status, String::new())
        };
        if rec.status == RecommendationStatus::Ready {
            if let Some(last) = self.store.latest_recommendation_record(d.id, RecommendationAction::Dismissed).await? {
                if last.fingerprint == rec.fingerprint && last.at.timestamp_millis() >= started_ms {
                    hide_dismissed(&mut rec, &last);
                }
            }
        }
        Ok(rec)
    }

    /// What the deployment uses now and would use at `parallelism`, in its pool's currency.
    async fn cost_of(&self, placed: &Placed, parallelism: u32) -> Result<Option<RecommendationCost>, EngineError> {
        let Some(vid) = placed.deployment.version_id else { return Ok(None) };
        let Some(v) = self.store.version_by_id(vid).await? else { return Ok(None) };
        let overrides: Map<String, Value> = parse_map(&placed.deployment.config_overrides);
        let current = demand_of(&placed.cluster, &placed.environment, &v, &overrides);
        let mut after = overrides.clone();
        after.remove("parallelism.default");
        let proposed = version::Model { parallelism: Some(parallelism.max(1) as i32), ..v };
        let recommended = demand_of(&placed.cluster, &placed.environment, &proposed, &after);
        let pool = match placed.environment.pool_id {
            Some(id) => self.store.pool_by_id(id).await?.map(|p| p.name),
            None => None,
        };
        Ok(Some(RecommendationCost {
            pool,
            slots_delta: recommended.slots as i64 - current.slots as i64,
            current,
            recommended,
        }))
    }
}

/// Marks a recommendation as hidden by a dismissal of the same advice.
fn hide_dismissed(rec: &mut Recommendation, dismissal: &recommendation_record::Model) {
    rec.status = RecommendationStatus::NoChange;
    rec.reason = format!(
        "this advice ({}) was dismissed by {} at {}{}; it is shown again when the numbers change",
        rec.reason,
        dismissal.by,
        dismissal.at.format("%Y-%m-%d %H:%M:%S UTC"),
        dismissal.reason.as_deref().map(|r| format!(": \"{r}\"")).unwrap_or_default()
    );
    rec.dismissed = Some(Dismissal { by: dismissal.by.clone(), at: dismissal.at, reason: dismissal.reason.clone() });
}
