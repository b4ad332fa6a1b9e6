//! Namespaces and jobs: create, list, look up.

use weir_model::{Job, JobKind};

use crate::{names, Caller, Engine, EngineError, Role};
use crate::store::entities::{job, namespace};


/// What a caller gives to create a job.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewJob {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
}

impl Engine {
    pub(super) async fn namespace_model(&self, name: &str) -> Result<namespace::Model, EngineError> {
        self.store
            .find_namespace(name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "namespace", name: name.to_owned() })
    }

    pub(super) async fn job_model(&self, ns: &str, name: &str) -> Result<(namespace::Model, job::Model), EngineError> {
        let namespace = self.namespace_model(ns).await?;
        let job = self
            .store
            .find_job(namespace.id, name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "job", name: format!("{ns}/{name}") })?;
        Ok((namespace, job))
    }

    /// Looks a job up after checking the caller's role in its namespace (so a stranger learns nothing of it).
    pub(super) async fn job_for(
        &self,
        caller: &Caller,
        ns: &str,
        name: &str,
        need: Role,
    ) -> Result<(namespace::Model, job::Model), EngineError> {
        self.namespace_for(caller, ns, need).await?;
        self.job_model(ns, name).await
    }

    pub async fn create_job(&self, caller: &Caller, ns: &str, new: NewJob) -> Result<Job, EngineError> {
        caller.act("create-job", format!("{ns}/{}", new.name));
        let namespace = self.namespace_for(caller, ns, Role::Editor).await?;
        names::check("job", &new.name)?;
        let kind: JobKind = new.kind.trim().parse()?;
        if new.description.len() > 10_000 {
            return Err(EngineError::Invalid("description is longer than 10000 characters".into()));
        }
        let model = self
            .store
            .insert_job(namespace.id, &new.name, kind, &new.description)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a job named '{}' already exists in namespace '{ns}'", new.name)))?;
        tracing::info!(namespace = ns, job = %model.name, kind = %model.kind, "job created");
        Ok(to_job(ns, model, 0))
    }

    pub async fn list_jobs(&self, caller: &Caller, ns: &str) -> Result<Vec<Job>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let mut out = Vec::new();
        for j in self.store.list_jobs(namespace.id).await? {
            out.push(self.job_view(ns, j).await?);
        }
        Ok(out)
    }

    /// A job as callers see it, with its latest version number.
    pub(super) async fn job_view(&self, ns: &str, j: job::Model) -> Result<Job, EngineError> {
        let latest = self.store.latest_version_number(j.id).await?;
        Ok(to_job(ns, j, latest))
    }

    pub async fn get_job(&self, caller: &Caller, ns: &str, name: &str) -> Result<Job, EngineError> {
        let (_, j) = self.job_for(caller, ns, name, Role::Viewer).await?;
        self.job_view(ns, j).await
    }
}

fn to_job(ns: &str, j: job::Model, latest_version: i32) -> Job {
    Job {
        namespace: ns.to_owned(),
        name: j.name,
        kind: j.kind,
        description: j.description,
        latest_version,
        created_at: j.created_at,
    }
}
