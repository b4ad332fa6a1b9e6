//! Deployments (a job in an environment) and what hangs off them: snapshots and operation history.
//! This module only reads; changes go through the operations and the reconciler.

use serde_json::{Map, Value};
use weir_model::{Deployment, JobDetail, JobRow, Operation, OperationStep, Snapshot};

use crate::{Caller, Engine, EngineError, Role};
use crate::store::entities::{cluster, deployment, environment, job, namespace, operation, operation_step};

/// A deployment with the rows around it, as the engine works with it.
#[derive(Clone, Debug)]
pub(super) struct Placed {
    pub namespace: namespace::Model,
    pub job: job::Model,
    pub environment: environment::Model,
    pub cluster: cluster::Model,
    pub deployment: deployment::Model,
}

impl Engine {
    pub(super) async fn environment_model(&self, name: &str) -> Result<environment::Model, EngineError> {
        self.store
            .find_environment(name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "environment", name: name.to_owned() })
    }

    pub(super) async fn cluster_by_id(&self, id: i64) -> Result<cluster::Model, EngineError> {
        use sea_orm::EntityTrait;
        cluster::Entity::find_by_id(id)
            .one(self.store.db())
            .await?
            .ok_or_else(|| EngineError::Internal(format!("cluster {id} is missing")))
    }

    /// The deployment of a job in an environment (created, never deployed, on first use), after checking that
    /// the caller holds `need` in the job's namespace.
    pub(super) async fn place(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        need: Role,
    ) -> Result<Placed, EngineError> {
        let (namespace, job) = self.job_for(caller, ns, job, need).await?;
        let environment = self.environment_model(env).await?;
        let cluster = self.cluster_by_id(environment.cluster_id).await?;
        let deployment = self.store.deployment_for(job.id, environment.id).await?;
        Ok(Placed { namespace, job, environment, cluster, deployment })
    }

    /// Loads everything around a deployment by its id.
    pub(super) async fn place_by_id(&self, deployment_id: i64) -> Result<Placed, EngineError> {
        use sea_orm::EntityTrait;
        let deployment = self
            .store
            .deployment_by_id(deployment_id)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("deployment {deployment_id} is missing")))?;
        let job = self
            .store
            .job_by_id(deployment.job_id)
            .await?
            .ok_or_else(|| EngineError::Internal(format!("job {} is missing", deployment.job_id)))?;
        let namespace = namespace::Entity::find_by_id(job.namespace_id)
            .one(self.store.db())
            .await?
            .ok_or_else(|| EngineError::Internal("namespace is missing".into()))?;
        let environment = environment::Entity::find_by_id(deployment.environment_id)
            .one(self.store.db())
            .await?
            .ok_or_else(|| EngineError::Internal("environment is missing".into()))?;
        let cluster = self.cluster_by_id(environment.cluster_id).await?;
        Ok(Placed { namespace, job, environment, cluster, deployment })
    }

    pub(super) async fn deployment_view(&self, p: &Placed) -> Result<Deployment, EngineError> {
        let version = match p.deployment.version_id {
            Some(id) => self.store.version_by_id(id).await?.map(|v| v.number),
            None => None,
        };
        Ok(Deployment {
            namespace: p.namespace.name.clone(),
            job: p.job.name.clone(),
            environment: p.environment.name.clone(),
            cluster: p.cluster.name.clone(),
            desired_state: p.deployment.desired_state,
            version,
            config_overrides: parse_map(&p.deployment.config_overrides),
            flink_job_id: p.deployment.flink_job_id.clone(),
            observed_state: p.deployment.observed_state,
            observed_at: p.deployment.observed_at,
            latest_checkpoint: p.deployment.latest_checkpoint.clone(),
            active_operation: p.deployment.active_operation_id,
            resources: self.deployment_resources(p).await?,
            last_failover: self.store.latest_failover(p.deployment.id).await?.map(|f| weir_model::Failover {
                flink_job_id: f.flink_job_id,
                at: f.at,
                restored_from: f.restored_from,
                newest_known: f.newest_known,
                stale: f.stale,
            }),
        })
    }

    /// The job's deployments, one per environment it was ever deployed to (or asked about).
    pub async fn list_deployments(&self, caller: &Caller, ns: &str, job: &str) -> Result<Vec<Deployment>, EngineError> {
        let (_, j) = self.job_for(caller, ns, job, Role::Viewer).await?;
        self.deployments_of(&j).await
    }

    async fn deployments_of(&self, j: &job::Model) -> Result<Vec<Deployment>, EngineError> {
        let mut out = Vec::new();
        for d in self.store.list_deployments_of_job(j.id).await? {
            let placed = self.place_by_id(d.id).await?;
            out.push(self.deployment_view(&placed).await?);
        }
        Ok(out)
    }

    pub async fn get_deployment(&self, caller: &Caller, ns: &str, job: &str, env: &str) -> Result<Deployment, EngineError> {
        let placed = self.place(caller, ns, job, env, Role::Viewer).await?;
        self.deployment_view(&placed).await
    }

    /// The log files of the deployment's job, each's last `tail_bytes` (kinds that run a cluster per job keep
    /// them per job; a session cluster's logs are its own, not the job's: none here).
    pub async fn deployment_logs(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        tail_bytes: u64,
    ) -> Result<weir_model::clusters::DeploymentLogs, EngineError> {
        let placed = self.place(caller, ns, job, env, Role::Viewer).await?;
        let backend = self.backend(&placed.cluster)?;
        let per_job = backend.capabilities().cluster_per_job;
        let Some(flink_job_id) = placed.deployment.flink_job_id.clone() else {
            return Ok(weir_model::clusters::DeploymentLogs { flink_job_id: None, per_job, files: Vec::new() });
        };
        let files = backend
            .job_logs(&flink_job_id, tail_bytes.clamp(1024, 1024 * 1024))
            .await
            .map_err(|source| EngineError::Cluster { cluster: placed.cluster.name.clone(), source })?
            .into_iter()
            .map(|f| weir_model::clusters::LogTail { name: f.name, size_bytes: f.size_bytes, tail: f.tail })
            .collect();
        Ok(weir_model::clusters::DeploymentLogs { flink_job_id: Some(flink_job_id), per_job, files })
    }

    /// The job page's data: the job, its versions, deployments, snapshots and history, and the environments
    /// (the caller's rights are checked once).
    pub async fn job_detail(&self, caller: &Caller, ns: &str, job: &str) -> Result<JobDetail, EngineError> {
        let (namespace, j) = self.job_for(caller, ns, job, Role::Viewer).await?;
        let role = self.role_in(caller, &namespace).await?.unwrap_or(Role::Viewer);
        Ok(JobDetail {
            role,
            job: self.job_view(ns, j.clone()).await?,
            versions: self.versions_of(&j).await?,
            deployments: self.deployments_of(&j).await?,
            environments: self.environments_of(&namespace).await?,
            snapshots: self.snapshots_of(&j).await?,
            operations: self.operations_of(&j).await?,
        })
    }

    /// The jobs list: each job with its deployments.
    pub async fn job_rows(&self, caller: &Caller, ns: &str) -> Result<Vec<JobRow>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let mut rows = Vec::new();
        for j in self.store.list_jobs(namespace.id).await? {
            let deployments = self.deployments_of(&j).await?;
            rows.push(JobRow { job: self.job_view(ns, j).await?, deployments });
        }
        Ok(rows)
    }

    pub async fn list_snapshots(&self, caller: &Caller, ns: &str, job: &str) -> Result<Vec<Snapshot>, EngineError> {
        let (_, j) = self.job_for(caller, ns, job, Role::Viewer).await?;
        self.snapshots_of(&j).await
    }

    async fn snapshots_of(&self, j: &job::Model) -> Result<Vec<Snapshot>, EngineError> {
        let deployments = self.store.list_deployments_of_job(j.id).await?;
        let mut env_names = std::collections::HashMap::new();
        for d in &deployments {
            let p = self.place_by_id(d.id).await?;
            env_names.insert(d.id, p.environment.name);
        }
        let mut out = Vec::new();
        for s in self.store.list_snapshots(deployments.iter().map(|d| d.id).collect()).await? {
            let version = self.store.version_by_id(s.version_id).await?.map(|v| v.number).unwrap_or_default();
            out.push(Snapshot {
                id: s.id,
                environment: env_names.get(&s.deployment_id).cloned().unwrap_or_default(),
                kind: s.kind,
                origin: s.origin,
                version,
                path: s.path,
                flink_job_id: s.flink_job_id,
                operation: s.operation_id,
                status: s.status,
                created_at: s.created_at,
            });
        }
        Ok(out)
    }

    pub async fn list_operations(&self, caller: &Caller, ns: &str, job: &str) -> Result<Vec<Operation>, EngineError> {
        let (_, j) = self.job_for(caller, ns, job, Role::Viewer).await?;
        self.operations_of(&j).await
    }

    async fn operations_of(&self, j: &job::Model) -> Result<Vec<Operation>, EngineError> {
        let deployments = self.store.list_deployments_of_job(j.id).await?;
        let mut out = Vec::new();
        for op in self.store.list_operations(deployments.iter().map(|d| d.id).collect()).await? {
            out.push(self.operation_view(op).await?);
        }
        Ok(out)
    }

    pub async fn get_operation(&self, caller: &Caller, id: i64) -> Result<Operation, EngineError> {
        self.require_signed_in(caller)?;
        let op = self
            .store
            .operation_by_id(id)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "operation", name: id.to_string() })?;
        let placed = self.place_by_id(op.deployment_id).await?;
        self.authorize(caller, &placed.namespace, Role::Viewer).await?;
        self.operation_view(op).await
    }

    pub(super) async fn operation_view(&self, op: operation::Model) -> Result<Operation, EngineError> {
        let placed = self.place_by_id(op.deployment_id).await?;
        let steps = self
            .store
            .steps_of(op.id)
            .await?
            .iter()
            .map(step_view)
            .collect();
        Ok(Operation {
            id: op.id,
            namespace: placed.namespace.name,
            job: placed.job.name,
            environment: placed.environment.name,
            kind: op.kind,
            requested_by: op.requested_by,
            params: serde_json::from_str(&op.params).unwrap_or(Value::Null),
            status: op.status,
            error: op.error,
            steps,
            created_at: op.created_at,
            started_at: op.started_at,
            finished_at: op.finished_at,
        })
    }
}

/// A recorded step as callers see it.
pub(super) fn step_view(s: &operation_step::Model) -> OperationStep {
    OperationStep {
        name: s.name,
        status: s.status,
        data: serde_json::from_str(&s.data).unwrap_or(Value::Null),
        started_at: s.started_at,
        finished_at: s.finished_at,
    }
}

pub(super) fn parse_map(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}
