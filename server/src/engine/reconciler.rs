//! The reconciler: one loop for all deployments (no task per job). Each tick it asks every cluster that has
//! deployments for `/jobs/overview` ONCE, updates each deployment's observed state, and publishes changes.
//! Observe, then decide, then act (as the Flink Kubernetes Operator does):
//! - a cluster that does not answer marks its deployments UNREACHABLE; their desired state is kept;
//! - a job the cluster no longer knows is LOST; if it should be running (and no operation is in flight), a
//!   `recover` operation restarts it from its latest checkpoint or savepoint, recorded like any operation
//!   (once per loss: a failed recovery is left for a person, never retried in a loop);
//! - FAILED, RESTARTING and FINISHED are surfaced as they are, never hidden;
//! - every few ticks the last completed checkpoint of each running job is recorded, so a job can later be
//!   restored from it even after the cluster has forgotten it.

use std::collections::HashMap;

use futures::future::join_all;
use weir_app::model::Event;

use super::operations::savepoint::TERMINAL_STATES;
use super::{Engine, EngineError};
use crate::store::entities::deployment;

/// Read running jobs' checkpoints (and send a heartbeat event) every this many ticks.
const CHECKPOINT_EVERY: u64 = 5;

/// Observed states that are not Flink's own.
pub mod observed {
    pub const UNREACHABLE: &str = "UNREACHABLE";
    pub const LOST: &str = "LOST";
}

impl Engine {
    pub(super) fn spawn_reconciler(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(engine.settings.tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut tick: u64 = 0;
            loop {
                interval.tick().await;
                let slow_tick = tick.is_multiple_of(CHECKPOINT_EVERY);
                if let Err(e) = engine.reconcile_once(slow_tick).await {
                    tracing::warn!("reconciler: {e}");
                }
                if slow_tick && engine.has_subscribers() {
                    engine.publish(weir_app::model::Event::Heartbeat);
                }
                tick += 1;
            }
        });
    }

    /// One pass over every watched deployment. Public so tests and benchmarks can drive it directly.
    pub async fn reconcile_once(&self, read_checkpoints: bool) -> Result<(), EngineError> {
        let deployments = self.store.watched_deployments().await?;
        if deployments.is_empty() {
            return Ok(());
        }
        let envs = self.store.list_environments().await?;
        let cluster_of: HashMap<i64, _> = envs.into_iter().map(|(e, c)| (e.id, c)).collect();
        let mut by_cluster: HashMap<i64, (crate::store::entities::cluster::Model, Vec<deployment::Model>)> =
            HashMap::new();
        for d in deployments {
            if let Some(c) = cluster_of.get(&d.environment_id) {
                by_cluster.entry(c.id).or_insert_with(|| (c.clone(), Vec::new())).1.push(d);
            }
        }
        let passes = by_cluster.into_values().map(|(cluster, deps)| self.reconcile_cluster(cluster, deps, read_checkpoints));
        for result in join_all(passes).await {
            result?;
        }
        Ok(())
    }

    async fn reconcile_cluster(
        &self,
        cluster: crate::store::entities::cluster::Model,
        deployments: Vec<deployment::Model>,
        read_checkpoints: bool,
    ) -> Result<(), EngineError> {
        let backend = self.backend(&cluster)?;
        let jobs = backend.jobs().await;
        let reachable = jobs.is_ok();
        let states: HashMap<String, String> =
            jobs.unwrap_or_default().into_iter().map(|j| (j.id, j.state)).collect();
        let was_reachable = !deployments.iter().all(|d| d.observed_state == observed::UNREACHABLE);
        if reachable != was_reachable {
            self.publish(Event::Cluster { name: cluster.name.clone(), reachable });
        }
        for d in deployments {
            let Some(job_id) = d.flink_job_id.clone() else { continue };
            let seen = if !reachable {
                observed::UNREACHABLE.to_owned()
            } else {
                match states.get(&job_id) {
                    Some(s) => s.clone(),
                    // A finished job the cluster has archived away is still finished.
                    None if TERMINAL_STATES.contains(&d.observed_state.as_str()) => d.observed_state.clone(),
                    // Just submitted: the operation is still in charge.
                    None if d.active_operation_id.is_some() => d.observed_state.clone(),
                    None => observed::LOST.to_owned(),
                }
            };
            let checkpoint = if read_checkpoints && seen == "RUNNING" {
                backend.checkpoints(&job_id).await.ok().and_then(|c| c.latest_completed)
            } else {
                None
            };
            let checkpoint_changed = checkpoint.is_some() && checkpoint != d.latest_checkpoint;
            if seen != d.observed_state || checkpoint_changed {
                if seen != d.observed_state {
                    tracing::info!(deployment = d.id, job = %job_id, from = %d.observed_state, to = %seen, "observed state changed");
                }
                self.store.observe_deployment(d.id, &seen, checkpoint.as_deref()).await?;
                self.publish_deployment(d.id).await;
            }
            // Decide and act: a job that should run but is gone comes back, recorded as an operation — once, when
            // the loss is first seen; if that recovery fails, the deployment stays LOST for a person to look at.
            let newly_lost = seen == observed::LOST && d.observed_state != observed::LOST;
            if newly_lost && d.desired_state == "running" && d.active_operation_id.is_none() {
                match self.request_recover(d.id).await {
                    Ok(op) => tracing::warn!(deployment = d.id, operation = op, "job lost by the cluster: recovering"),
                    Err(e) => tracing::warn!(deployment = d.id, "job lost by the cluster; cannot recover: {e}"),
                }
            }
        }
        Ok(())
    }
}
