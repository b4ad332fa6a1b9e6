//! The reconciler: one loop for every cluster (no task per job), split as the Flink Kubernetes Operator is:
//!
//! - [`observe`]: each tick, one look at each registered cluster (its overview and `/jobs/overview`; its
//!   TaskManagers' resources every few ticks), kept in the [`observe::ObservationBook`] and published on the
//!   engine's internal bus;
//! - [`decide`]: a pure function from a deployment's facts and what the look found to [`decide::Action`]s;
//! - act (here): record the observed state, read a running job's checkpoint, start a `recover` operation.
//!
//! Only this module writes a deployment's observed state ([`Engine::report_observed`]); operations report
//! what they saw through it. Each cluster is looked at on its own: a cluster that does not answer costs its
//! own look a timeout, never another cluster's tick.

pub mod decide;
pub mod failover;
pub mod observe;

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use weir_model::{Event, ObservedState};

use crate::store::entities::{cluster, deployment};
use crate::{Engine, EngineError};
use decide::{Action, DeploymentFacts, JobSeen};
use observe::ClusterObservation;

/// Read running jobs' checkpoints, the TaskManagers' resources (and send a heartbeat event) every this many
/// ticks.
const SLOW_EVERY: u64 = 5;

/// Clusters whose look is still in flight (a slow cluster is not looked at twice at once).
#[derive(Default)]
pub(crate) struct InFlight(Mutex<HashSet<i64>>);

impl InFlight {
    fn start(&self, cluster_id: i64) -> bool {
        self.0.lock().map(|mut s| s.insert(cluster_id)).unwrap_or(false)
    }

    fn end(&self, cluster_id: i64) {
        if let Ok(mut s) = self.0.lock() {
            s.remove(&cluster_id);
        }
    }
}

impl Engine {
    pub(crate) fn spawn_reconciler(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(engine.settings.tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut tick: u64 = 0;
            loop {
                interval.tick().await;
                let slow_tick = tick.is_multiple_of(SLOW_EVERY);
                match engine.store.list_clusters().await {
                    Ok(clusters) => {
                        engine.observations.retain(&clusters.iter().map(|c| c.id).collect::<Vec<_>>());
                        for c in clusters {
                            if !engine.in_flight.start(c.id) {
                                continue;
                            }
                            let engine = engine.clone();
                            tokio::spawn(async move {
                                let id = c.id;
                                if let Err(e) = engine.reconcile_cluster(c, slow_tick).await {
                                    tracing::warn!("reconciler: {e}");
                                }
                                engine.in_flight.end(id);
                            });
                        }
                    }
                    Err(e) => tracing::warn!("reconciler: cannot list clusters: {e}"),
                }
                if slow_tick && engine.has_subscribers() {
                    engine.publish(Event::Heartbeat);
                }
                tick += 1;
            }
        });
    }

    /// A look at every cluster, concurrently, kept as each one's latest observation (no decision, no
    /// action); a cluster that does not answer within `limit` is skipped.
    pub(crate) async fn first_looks(&self, limit: std::time::Duration) -> Result<(), EngineError> {
        let clusters = self.store.list_clusters().await?;
        let looks = clusters.into_iter().map(|c| async move {
            let backend = self.backend(&c)?;
            if let Ok(look) = tokio::time::timeout(limit, observe::look(c.id, &c.name, backend.as_ref(), true, None)).await {
                self.observations.record(look);
            }
            Ok::<(), EngineError>(())
        });
        for result in futures::future::join_all(looks).await {
            result?;
        }
        Ok(())
    }

    /// One look at every cluster, concurrently, each decided and acted on: one tick of the reconciler, for
    /// tests and benchmarks to drive directly.
    pub async fn reconcile_once(&self, slow_tick: bool) -> Result<(), EngineError> {
        let clusters = self.store.list_clusters().await?;
        let passes = clusters.into_iter().map(|c| self.reconcile_cluster(c, slow_tick));
        for result in futures::future::join_all(passes).await {
            result?;
        }
        Ok(())
    }

    /// Observe one cluster, then decide and act for each of its watched deployments.
    async fn reconcile_cluster(&self, cluster: cluster::Model, slow_tick: bool) -> Result<(), EngineError> {
        let started = std::time::Instant::now();
        let name = cluster.name.clone();
        let result = self.reconcile_cluster_inner(cluster, slow_tick).await;
        self.telemetry.reconcile_pass(&name, started.elapsed().as_secs_f64());
        result
    }

    async fn reconcile_cluster_inner(&self, cluster: cluster::Model, slow_tick: bool) -> Result<(), EngineError> {
        let backend = self.backend(&cluster)?;
        // The deployments first, then the look: whatever an operation changes meanwhile is newer than both,
        // and a stale decision cannot overwrite it (observations are written only for the job they are of).
        let deployments = self.store.watched_deployments_on(cluster.id).await?;
        let previous = self.observations.latest(cluster.id);
        let look = observe::look(cluster.id, &cluster.name, backend.as_ref(), slow_tick, previous.as_ref()).await;
        let was_reachable = previous.as_ref().map(ClusterObservation::reachable);
        if was_reachable.is_some_and(|r| r != look.reachable()) || (was_reachable.is_none() && !look.reachable()) {
            self.publish(Event::Cluster { name: cluster.name.clone(), reachable: look.reachable() });
        }
        self.observations.record(look.clone());

        let states: Option<HashMap<&str, weir_model::FlinkJobState>> =
            look.seen.as_ref().ok().map(|s| s.jobs.iter().map(|j| (j.id.as_str(), j.state)).collect());
        let unreachable: &[String] = look.seen.as_ref().map(|s| s.unreachable_jobs.as_slice()).unwrap_or_default();
        let heals = backend.capabilities().heals_jobs;
        for d in deployments {
            let Some(job_id) = d.flink_job_id.clone() else { continue };
            let seen = match &states {
                None => JobSeen::ClusterUnreachable,
                Some(_) if unreachable.contains(&job_id) => JobSeen::ClusterUnreachable,
                Some(s) => s.get(job_id.as_str()).map_or(JobSeen::NotListed, |state| JobSeen::Listed(*state)),
            };
            for action in decide::decide(&facts_of(&d, heals), seen, slow_tick) {
                self.act(&d, &job_id, backend.as_ref(), action).await?;
            }
        }
        Ok(())
    }

    async fn act(
        &self,
        d: &deployment::Model,
        job_id: &str,
        backend: &dyn crate::backends::ClusterBackend,
        action: Action,
    ) -> Result<(), EngineError> {
        match action {
            Action::Record(state) => {
                tracing::info!(deployment = d.id, job = %job_id, from = %d.observed_state, to = %state, "observed state changed");
                self.report_observed(d.id, job_id, state, None).await?;
            }
            Action::ReadCheckpoint => {
                let Ok(info) = backend.checkpoints(job_id).await else { return Ok(()) };
                // What the job restored from: a change Flink made by itself is a failover, recorded (and
                // surfaced when it went back to an older checkpoint than the newest Weir knew).
                match d.restored_from.as_deref() {
                    None => self.store.set_restored_from(d.id, job_id, info.restored_from.as_deref().unwrap_or("")).await?,
                    Some(started) => {
                        if let Some(f) = failover::judge(started, info.restored_from.as_deref(), d.latest_checkpoint.as_deref()) {
                            self.store
                                .record_failover(d.id, job_id, &f.restored_from, d.latest_checkpoint.as_deref(), f.stale)
                                .await?;
                            if f.stale {
                                tracing::error!(deployment = d.id, job = %job_id, restored = %f.restored_from,
                                    newest_known = ?d.latest_checkpoint, "the job restored an OLDER checkpoint than the newest Weir knew");
                            } else {
                                tracing::warn!(deployment = d.id, job = %job_id, restored = %f.restored_from, "the job was restored by Flink (failover)");
                            }
                            self.publish_deployment(d.id).await;
                        }
                    }
                }
                let checkpoint = info.latest_completed;
                if checkpoint.is_some() && checkpoint != d.latest_checkpoint {
                    self.report_observed(d.id, job_id, ObservedState::Running, checkpoint.as_deref()).await?;
                }
            }
            Action::Recover => match self.request_recover(d.id).await {
                Ok(op) => tracing::warn!(deployment = d.id, operation = op, "job lost by the cluster: recovering"),
                Err(e) => tracing::warn!(deployment = d.id, "job lost by the cluster; cannot recover: {e}"),
            },
        }
        Ok(())
    }

    /// The one writer of a deployment's observed state (and its latest checkpoint): the reconciler's own
    /// looks, and what operations saw while acting (a job they submitted, a job they saw end). Written only
    /// while `job_id` is still the deployment's job. Publishes the change.
    pub(crate) async fn report_observed(
        &self,
        deployment_id: i64,
        job_id: &str,
        state: ObservedState,
        latest_checkpoint: Option<&str>,
    ) -> Result<(), EngineError> {
        self.store.observe_deployment(deployment_id, job_id, state, latest_checkpoint).await?;
        self.publish_deployment(deployment_id).await;
        self.openlineage_observed(deployment_id, job_id, state);
        Ok(())
    }

    /// An operation submitted a new job for a deployment (restoring `restored_from`): from now on the deployment
    /// tracks it, CREATED, with no checkpoint yet. Returns the updated deployment.
    pub(crate) async fn report_new_job(
        &self,
        deployment_id: i64,
        job_id: &str,
        restored_from: Option<&str>,
    ) -> Result<deployment::Model, EngineError> {
        let updated = self.store.track_job(deployment_id, job_id, restored_from.unwrap_or("")).await?;
        self.publish_deployment(deployment_id).await;
        self.openlineage_started(deployment_id, job_id);
        Ok(updated)
    }

    /// The latest look at a cluster (none before the first).
    pub fn latest_observation(&self, cluster_id: i64) -> Option<ClusterObservation> {
        self.observations.latest(cluster_id)
    }

    /// Every look at a cluster from now on: the internal bus that metrics history and alert rules read.
    pub fn subscribe_observations(&self) -> tokio::sync::broadcast::Receiver<Arc<ClusterObservation>> {
        self.observations.subscribe()
    }
}

/// A deployment row as the pure decision sees it.
fn facts_of(d: &deployment::Model, cluster_heals_jobs: bool) -> DeploymentFacts {
    DeploymentFacts {
        desired: d.desired_state,
        flink_job_id: d.flink_job_id.clone(),
        observed: d.observed_state,
        busy: d.active_operation_id.is_some(),
        cluster_heals_jobs,
    }
}
