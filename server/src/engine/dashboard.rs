//! The dashboard's read view: every cluster with its TaskManagers' resources and jobs by state (each cluster
//! asked concurrently), deployments counted per environment, and what needs attention.

use std::collections::BTreeMap;

use futures::future::join_all;
use weir_app::model::{Attention, ClusterPanel, Dashboard, EnvironmentPanel};

use super::{Caller, Engine, EngineError};
use crate::store::entities::{deployment, environment, job, namespace};

impl Engine {
    /// Clusters are shown to everyone signed in; deployments only of the namespaces the caller may see.
    pub async fn dashboard(&self, caller: &Caller) -> Result<Dashboard, EngineError> {
        let visible = self.visible_namespaces(caller).await?.map(|v| v.into_iter().map(|n| n.id).collect::<Vec<_>>());
        let statuses = self.probe_clusters().await?;
        let models = self.store.list_clusters().await?;
        let panels = statuses.into_iter().map(|status| {
            let model = models.iter().find(|m| m.name == status.name).cloned();
            async move {
                let (mut taskmanagers, mut jobs_by_state) = (Vec::new(), BTreeMap::new());
                if let (true, Some(m)) = (status.reachable, model) {
                    if let Ok(backend) = self.backend(&m) {
                        let (tms, jobs) = futures::join!(backend.taskmanager_metrics(), backend.jobs());
                        taskmanagers = tms.unwrap_or_default();
                        for j in jobs.unwrap_or_default() {
                            *jobs_by_state.entry(j.state).or_insert(0) += 1;
                        }
                    }
                }
                ClusterPanel { status, taskmanagers, jobs_by_state }
            }
        });
        let clusters = join_all(panels).await;
        let (environments, attention) = self.deployment_summary(visible.as_deref()).await?;
        Ok(Dashboard { clusters, environments, attention })
    }

    /// Deployment counts per environment and the attention list, from the observed states and the latest
    /// operation of each deployment.
    async fn deployment_summary(
        &self,
        visible: Option<&[i64]>,
    ) -> Result<(Vec<EnvironmentPanel>, Vec<Attention>), EngineError> {
        use sea_orm::EntityTrait;
        let db = self.store.db();
        let envs = self.store.list_environments().await?;
        let deployments = deployment::Entity::find().all(db).await?;
        let jobs = job::Entity::find().all(db).await?;
        let namespaces = namespace::Entity::find().all(db).await?;
        let seen = |d: &deployment::Model| {
            visible.is_none_or(|ids| jobs.iter().any(|j| j.id == d.job_id && ids.contains(&j.namespace_id)))
        };
        let deployments: Vec<_> = deployments.into_iter().filter(|d| seen(d)).collect();
        let mut panels = Vec::new();
        for (env, cluster) in &envs {
            let mut p = EnvironmentPanel {
                name: env.name.clone(),
                cluster: cluster.name.clone(),
                running: 0,
                failed: 0,
                restarting: 0,
                other: 0,
            };
            for d in deployments.iter().filter(|d| d.environment_id == env.id) {
                match d.observed_state.as_str() {
                    "RUNNING" => p.running += 1,
                    "FAILED" | "FAILING" => p.failed += 1,
                    "RESTARTING" => p.restarting += 1,
                    _ => p.other += 1,
                }
            }
            panels.push(p);
        }
        let mut attention = Vec::new();
        for d in &deployments {
            let Some(j) = jobs.iter().find(|j| j.id == d.job_id) else { continue };
            let ns = namespaces.iter().find(|n| n.id == j.namespace_id).map(|n| n.name.clone()).unwrap_or_default();
            let env = env_name(&envs, d.environment_id);
            let item = |what: &str, detail: String| Attention {
                namespace: ns.clone(),
                job: j.name.clone(),
                environment: env.clone(),
                what: what.to_owned(),
                detail,
            };
            let state = d.observed_state.as_str();
            if matches!(state, "FAILED" | "FAILING" | "RESTARTING" | "UNREACHABLE" | "LOST") {
                let detail = match state {
                    "UNREACHABLE" => "the cluster does not answer; the desired state is kept".to_owned(),
                    "LOST" => "the cluster no longer knows the job".to_owned(),
                    _ => format!("Flink job {}", d.flink_job_id.clone().unwrap_or_default()),
                };
                attention.push(item(state, detail));
            }
            let latest = self.store.list_operations(vec![d.id]).await?.into_iter().next();
            if let Some(op) = latest.filter(|o| o.status == "failed") {
                let error = op.error.clone().unwrap_or_default();
                let what = if error.contains("savepoint") { "savepoint failed" } else { "operation failed" };
                attention.push(item(what, format!("{} (operation {}): {error}", op.kind, op.id)));
            }
        }
        Ok((panels, attention))
    }
}

fn env_name(envs: &[(environment::Model, crate::store::entities::cluster::Model)], id: i64) -> String {
    envs.iter().find(|(e, _)| e.id == id).map(|(e, _)| e.name.clone()).unwrap_or_default()
}
