//! The dashboard's read view: every cluster with its TaskManagers' resources and jobs by state (from the
//! reconciler's latest look at it — a page never waits on a cluster), deployments counted per environment,
//! and what needs attention (the [`attention`](crate::attention) rule).

use std::collections::{BTreeMap, HashMap};

use sea_orm::EntityTrait;
use weir_model::{Attention, ClusterPanel, Concern, Dashboard, EnvironmentPanel, ObservedState};

use crate::attention::{self, LatestOperation};
use crate::store::entities::{cluster, deployment, environment, job, namespace};
use crate::{Caller, Engine, EngineError};

impl Engine {
    /// Clusters are shown to everyone signed in; deployments only of the namespaces the caller may see.
    pub async fn dashboard(&self, caller: &Caller) -> Result<Dashboard, EngineError> {
        self.require_signed_in(caller)?;
        let visible = self.visible_namespaces(caller).await?.map(|v| v.into_iter().map(|n| n.id).collect::<Vec<_>>());
        let envs = self.store.list_environments().await?;
        let clusters = self
            .store
            .list_clusters()
            .await?
            .into_iter()
            .map(|model| {
                let look = self.observations.latest(model.id);
                let (taskmanagers, jobs_by_state) = match look.as_ref().and_then(|l| l.seen.as_ref().ok()) {
                    Some(seen) => {
                        let mut by_state = BTreeMap::new();
                        for j in &seen.jobs {
                            *by_state.entry(j.state.to_string()).or_insert(0) += 1;
                        }
                        (seen.taskmanagers.clone(), by_state)
                    }
                    None => (Vec::new(), BTreeMap::new()),
                };
                ClusterPanel { status: self.status_of(model, look.as_ref(), &envs), taskmanagers, jobs_by_state }
            })
            .collect();
        let (environments, attention) = self.deployment_summary(visible.as_deref(), &envs).await?;
        Ok(Dashboard { clusters, environments, attention })
    }

    /// Deployment counts per environment and the attention list, from the observed states and the latest
    /// operation of each deployment (a fixed number of queries, however many deployments).
    async fn deployment_summary(
        &self,
        visible: Option<&[i64]>,
        envs: &[(environment::Model, cluster::Model)],
    ) -> Result<(Vec<EnvironmentPanel>, Vec<Attention>), EngineError> {
        let db = self.store.db();
        let jobs: HashMap<i64, job::Model> = job::Entity::find().all(db).await?.into_iter().map(|j| (j.id, j)).collect();
        let namespaces: HashMap<i64, String> =
            namespace::Entity::find().all(db).await?.into_iter().map(|n| (n.id, n.name)).collect();
        let deployments: Vec<deployment::Model> = deployment::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter(|d| {
                visible.is_none_or(|ids| jobs.get(&d.job_id).is_some_and(|j| ids.contains(&j.namespace_id)))
            })
            .collect();
        let mut panels = Vec::new();
        for (env, cluster) in envs {
            let mut p = EnvironmentPanel {
                name: env.name.clone(),
                cluster: cluster.name.clone(),
                running: 0,
                failed: 0,
                restarting: 0,
                other: 0,
            };
            for d in deployments.iter().filter(|d| d.environment_id == env.id) {
                match d.observed_state {
                    ObservedState::Running => p.running += 1,
                    ObservedState::Failed | ObservedState::Failing => p.failed += 1,
                    ObservedState::Restarting => p.restarting += 1,
                    _ => p.other += 1,
                }
            }
            panels.push(p);
        }
        let latest = self.latest_operations(deployments.iter().map(|d| d.id).collect()).await?;
        let stale = self.store.stale_failovers().await?;
        let env_names: HashMap<i64, String> = envs.iter().map(|(e, _)| (e.id, e.name.clone())).collect();
        let mut attention = Vec::new();
        for d in &deployments {
            let Some(j) = jobs.get(&d.job_id) else { continue };
            let latest_op = latest.get(&d.id);
            let stale_restore = stale.iter().find(|f| f.deployment_id == d.id && Some(&f.flink_job_id) == d.flink_job_id.as_ref());
            for what in attention::concerns(d.observed_state, latest_op.map(|(_, l)| *l), stale_restore.is_some()) {
                let detail = match what {
                    Concern::StaleRestore => match stale_restore {
                        Some(f) => format!(
                            "Flink restored {} — older than the newest checkpoint Weir knew, {}",
                            f.restored_from.clone().unwrap_or_default(),
                            f.newest_known.clone().unwrap_or_default()
                        ),
                        None => String::new(),
                    },
                    Concern::Unreachable => "the cluster does not answer; the desired state is kept".to_owned(),
                    Concern::Lost => "the cluster no longer knows the job".to_owned(),
                    Concern::SavepointFailed | Concern::OperationFailed => match latest_op {
                        Some((op, _)) => {
                            format!("{} (operation {}): {}", op.kind, op.id, op.error.clone().unwrap_or_default())
                        }
                        None => String::new(),
                    },
                    _ => format!("Flink job {}", d.flink_job_id.clone().unwrap_or_default()),
                };
                attention.push(Attention {
                    namespace: namespaces.get(&j.namespace_id).cloned().unwrap_or_default(),
                    job: j.name.clone(),
                    environment: env_names.get(&d.environment_id).cloned().unwrap_or_default(),
                    what,
                    detail,
                });
            }
        }
        Ok((panels, attention))
    }

    /// The latest operation of each deployment, with how it ended.
    async fn latest_operations(
        &self,
        deployment_ids: Vec<i64>,
    ) -> Result<HashMap<i64, (crate::store::entities::operation::Model, LatestOperation)>, EngineError> {
        let mut latest = HashMap::new();
        for op in self.store.list_operations(deployment_ids).await? {
            latest.entry(op.deployment_id).or_insert(op);
        }
        let failed: Vec<i64> =
            latest.values().filter(|op| op.status == weir_model::OperationStatus::Failed).map(|op| op.id).collect();
        let mut steps: HashMap<i64, Vec<(weir_model::Step, weir_model::StepStatus)>> = HashMap::new();
        for s in self.store.steps_of_operations(failed).await? {
            steps.entry(s.operation_id).or_default().push((s.name, s.status));
        }
        Ok(latest
            .into_iter()
            .map(|(d, op)| {
                let failed_step = attention::failed_step(steps.remove(&op.id).unwrap_or_default());
                let l = LatestOperation { status: op.status, failed_step };
                (d, (op, l))
            })
            .collect())
    }
}
