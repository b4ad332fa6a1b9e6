//! Clusters: registration, listing, and a live look at each through its backend.

use weir_model::{Cluster, ClusterStatus};

use crate::{names, Caller, Engine, EngineError};
use crate::backends;
use crate::reconciler::observe::ClusterObservation;
use crate::store::entities::cluster;

/// What a caller gives to register a cluster.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCluster {
    pub name: String,
    pub kind: String,
    pub rest_url: String,
}

impl Engine {
    /// Registers a cluster. Its REST URL is not contacted: a cluster may be registered while it is down.
    pub async fn register_cluster(&self, caller: &Caller, new: NewCluster) -> Result<Cluster, EngineError> {
        caller.act("register-cluster", new.name.clone());
        self.require_admin(caller)?;
        let rest_url = validate_cluster(&new)?;
        let model = self
            .store
            .insert_cluster(&new.name, &new.kind, &rest_url)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a cluster named '{}' already exists", new.name)))?;
        tracing::info!(cluster = %model.name, rest_url = %model.rest_url, "cluster registered");
        Ok(to_cluster(model))
    }

    pub async fn list_clusters(&self, caller: &Caller) -> Result<Vec<Cluster>, EngineError> {
        self.require_signed_in(caller)?;
        Ok(self.store.list_clusters().await?.into_iter().map(to_cluster).collect())
    }

    pub(super) async fn cluster_model(&self, name: &str) -> Result<cluster::Model, EngineError> {
        self.store
            .find_cluster(name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "cluster", name: name.to_owned() })
    }

    /// One cluster as the reconciler last saw it.
    pub async fn cluster_status(&self, caller: &Caller, name: &str) -> Result<ClusterStatus, EngineError> {
        self.require_signed_in(caller)?;
        let model = self.cluster_model(name).await?;
        let envs = self.store.list_environments().await?;
        let look = self.observations.latest(model.id);
        Ok(self.status_of(model, look.as_ref(), &envs))
    }

    /// Every cluster as the reconciler last saw it (no cluster is asked).
    pub async fn cluster_statuses(&self, caller: &Caller) -> Result<Vec<ClusterStatus>, EngineError> {
        self.require_signed_in(caller)?;
        self.observed_clusters().await
    }

    /// Every cluster's latest observation, for Weir's own use (health, dashboard).
    pub(crate) async fn observed_clusters(&self) -> Result<Vec<ClusterStatus>, EngineError> {
        let envs = self.store.list_environments().await?;
        Ok(self
            .store
            .list_clusters()
            .await?
            .into_iter()
            .map(|m| {
                let look = self.observations.latest(m.id);
                self.status_of(m, look.as_ref(), &envs)
            })
            .collect())
    }

    /// The live overview of one cluster, as an error when it cannot be had.
    pub async fn cluster_overview(&self, caller: &Caller, name: &str) -> Result<weir_model::ClusterOverview, EngineError> {
        self.require_signed_in(caller)?;
        let model = self.cluster_model(name).await?;
        self.backend(&model)?
            .overview()
            .await
            .map_err(|source| EngineError::Cluster { cluster: model.name.clone(), source })
    }

    /// Slots, CPU load and heap of each of the cluster's TaskManagers, read now.
    pub async fn cluster_metrics(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Vec<weir_model::TaskManagerMetrics>, EngineError> {
        self.require_signed_in(caller)?;
        let model = self.cluster_model(name).await?;
        self.backend(&model)?
            .taskmanager_metrics()
            .await
            .map_err(|source| EngineError::Cluster { cluster: model.name.clone(), source })
    }

    pub(super) fn backend(
        &self,
        model: &cluster::Model,
    ) -> Result<Box<dyn backends::ClusterBackend>, EngineError> {
        backends::for_cluster(&model.kind, &model.rest_url, &self.http, self.cluster_timeout).ok_or_else(|| {
            EngineError::Internal(format!("cluster '{}' has unknown kind '{}'", model.name, model.kind))
        })
    }

    /// A cluster's status from a look at it (none yet: not reachable, "not looked at yet").
    pub(crate) fn status_of(
        &self,
        model: cluster::Model,
        look: Option<&ClusterObservation>,
        envs: &[(crate::store::entities::environment::Model, cluster::Model)],
    ) -> ClusterStatus {
        let environments =
            envs.iter().filter(|(_, c)| c.id == model.id).map(|(e, _)| e.name.clone()).collect::<Vec<_>>();
        let (overview, error) = match look.map(|l| &l.seen) {
            Some(Ok(seen)) => (Some(seen.overview.clone()), None),
            Some(Err(e)) => (None, Some(e.clone())),
            None => (None, Some("not looked at yet".to_owned())),
        };
        ClusterStatus {
            reachable: overview.is_some(),
            name: model.name,
            kind: model.kind,
            rest_url: model.rest_url,
            environments,
            overview,
            error,
            checked_at: look.map_or(model.created_at, |l| l.at),
            last_answer_at: look.and_then(|l| l.last_answer_at),
            age_s: look.map(|l| (chrono::Utc::now() - l.at).num_seconds().max(0) as u64),
        }
    }
}

/// Checks a registration and returns the normalised REST URL (no trailing slash).
pub(super) fn validate_cluster(new: &NewCluster) -> Result<String, EngineError> {
    names::check("cluster", &new.name)?;
    if !backends::KINDS.contains(&new.kind.as_str()) {
        return Err(EngineError::Invalid(format!(
            "unknown cluster kind '{}': supported kinds are {}",
            new.kind,
            backends::KINDS.join(", ")
        )));
    }
    let url = reqwest::Url::parse(new.rest_url.trim())
        .map_err(|e| EngineError::Invalid(format!("invalid rest_url '{}': {e}", new.rest_url)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(EngineError::Invalid(format!(
            "invalid rest_url '{}': expected http:// or https:// with a host",
            new.rest_url
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn to_cluster(m: cluster::Model) -> Cluster {
    Cluster { name: m.name, kind: m.kind, rest_url: m.rest_url, created_at: m.created_at }
}
