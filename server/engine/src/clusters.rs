//! Clusters: registration (each kind with its own settings), listing, each cluster's backend object (built
//! once and kept), and a live look at each through it.

use std::sync::Arc;

use weir_model::{Cluster, ClusterKind, ClusterSettings, ClusterStatus};

use crate::{names, Caller, Engine, EngineError};
use crate::backends;
use crate::reconciler::observe::ClusterObservation;
use crate::store::entities::cluster;

/// What a caller gives to register a cluster: its kind and that kind's settings (`weir_model::clusters`).
/// A `flink-session` cluster may give its `rest_url` beside the kind instead of in the settings.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCluster {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub rest_url: Option<String>,
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

impl Engine {
    /// Registers a cluster. Its REST URL is not contacted: a cluster may be registered while it is down.
    pub async fn register_cluster(&self, caller: &Caller, new: NewCluster) -> Result<Cluster, EngineError> {
        caller.act("register-cluster", new.name.clone());
        self.require_admin(caller)?;
        let settings = validate_cluster(&new, &self.runtimes)?;
        let model = self
            .store
            .insert_cluster(&new.name, &settings)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a cluster named '{}' already exists", new.name)))?;
        tracing::info!(cluster = %model.name, kind = %model.kind, "cluster registered");
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

    /// The cluster's backend object: built once from its settings and kept (built again when they change).
    pub(super) fn backend(&self, model: &cluster::Model) -> Result<Arc<dyn backends::ClusterBackend>, EngineError> {
        let mut cache = self.backends.lock().unwrap_or_else(|e| e.into_inner());
        let fingerprint = Some(format!("{}|{}|{}", model.kind, model.rest_url, model.settings.as_deref().unwrap_or("")));
        if let Some((seen, backend)) = cache.get(&model.id) {
            if *seen == fingerprint {
                return Ok(backend.clone());
            }
        }
        let settings = settings_of(model)?;
        let ctx = backends::BackendContext {
            http: self.http.clone(),
            timeout: self.cluster_timeout,
            runtimes: self.runtimes.clone(),
            work_dir: self.settings.data_dir.join("clusters"),
        };
        let backend = backends::build(&model.name, &settings, &ctx)
            .map_err(|why| EngineError::Unavailable(format!("cluster '{}': {why}", model.name)))?;
        cache.insert(model.id, (fingerprint, backend.clone()));
        Ok(backend)
    }

    /// The Flink version a cluster runs: declared in its settings, else what its latest look read.
    pub(crate) fn cluster_flink_version(&self, model: &cluster::Model) -> Option<String> {
        let declared = settings_of(model).ok().and_then(|s| s.declared_flink_version().map(str::to_owned));
        declared.or_else(|| {
            self.observations.latest(model.id).and_then(|l| l.seen.ok()).map(|seen| seen.overview.flink_version)
        })
    }

    /// The Flink distribution for a cluster (its version's, else the default one).
    pub(crate) fn runtime_for_cluster(&self, model: &cluster::Model) -> Option<backends::FlinkRuntime> {
        let version = self.cluster_flink_version(model);
        version
            .as_deref()
            .and_then(|v| backends::runtime_for(&self.runtimes, v))
            .or(self.runtimes.first())
            .cloned()
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
        let flink_version = self.cluster_flink_version(&model);
        ClusterStatus {
            reachable: overview.is_some(),
            flink_version,
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

/// The settings of a stored cluster (one registered before kinds had settings: its `rest_url`).
pub(crate) fn settings_of(model: &cluster::Model) -> Result<ClusterSettings, EngineError> {
    let value = match model.settings.as_deref() {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| EngineError::Internal(format!("cluster '{}' has unreadable settings: {e}", model.name)))?,
        None => serde_json::json!({ "rest_url": model.rest_url }),
    };
    ClusterSettings::parse(model.kind, value).map_err(EngineError::Internal)
}

/// Checks a registration: a known kind, its settings complete and sound. Returns them normalised (a REST URL
/// without its trailing slash).
pub(super) fn validate_cluster(new: &NewCluster, runtimes: &[backends::FlinkRuntime]) -> Result<ClusterSettings, EngineError> {
    names::check("cluster", &new.name)?;
    let kind: ClusterKind = new.kind.parse().map_err(|e: weir_model::UnknownWord| EngineError::Invalid(e.to_string()))?;
    let mut value = new.settings.clone().unwrap_or(serde_json::Value::Object(Default::default()));
    if !value.is_object() {
        return Err(EngineError::Invalid("settings must be an object".into()));
    }
    if let Some(url) = &new.rest_url {
        if kind != ClusterKind::FlinkSession {
            return Err(EngineError::Invalid(format!("rest_url is not a setting of a {kind} cluster")));
        }
        value["rest_url"] = serde_json::Value::String(url.clone());
    }
    let settings = ClusterSettings::parse(kind, value).map_err(EngineError::Invalid)?;
    if let Some(v) = settings.declared_flink_version() {
        if backends::version_key(v).len() < 2 {
            return Err(EngineError::Invalid(format!("invalid flink_version '{v}': expected e.g. 1.20.5 or 2.3.0")));
        }
    }
    Ok(match settings {
        ClusterSettings::FlinkSession(mut s) => {
            s.rest_url = normal_url(&s.rest_url)?;
            ClusterSettings::FlinkSession(s)
        }
        ClusterSettings::LocalApplication(s) => {
            if !runtimes.iter().any(|r| r.version == s.flink_version) {
                return Err(EngineError::Invalid(format!(
                    "Flink {} is not installed for local-application clusters (installed: {})",
                    s.flink_version,
                    backends::known(runtimes)
                )));
            }
            if !(1..=16).contains(&s.taskmanagers) {
                return Err(EngineError::Invalid(format!("taskmanagers must be 1 to 16, not {}", s.taskmanagers)));
            }
            if let Some(q) = &s.zookeeper_quorum {
                let ok = !q.is_empty()
                    && q.split(',').all(|hp| hp.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()));
                if !ok {
                    return Err(EngineError::Invalid(format!("invalid zookeeper_quorum '{q}': expected host:port[,host:port...]")));
                }
            }
            ClusterSettings::LocalApplication(s)
        }
        ClusterSettings::KubernetesOperator(s) => {
            let dns_label = |n: &str| {
                (1..=63).contains(&n.len())
                    && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !n.starts_with('-')
                    && !n.ends_with('-')
            };
            if !dns_label(&s.namespace) {
                return Err(EngineError::Invalid(format!("invalid namespace '{}': expected a DNS label (a-z, 0-9, '-')", s.namespace)));
            }
            if s.image.trim().is_empty() {
                return Err(EngineError::Invalid("image must name a Flink image holding Weir's SQL runner".into()));
            }
            if backends::kubernetes_operator::resources::crd_flink_version(&s.flink_version).is_none() {
                return Err(EngineError::Invalid(format!(
                    "Flink {} is not a version the Flink Kubernetes Operator knows (1.13 to 1.20, 2.0 to 2.4)",
                    s.flink_version
                )));
            }
            if s.service_account.trim().is_empty() || s.runner_jar_uri.trim().is_empty() {
                return Err(EngineError::Invalid("service_account and runner_jar_uri must not be empty".into()));
            }
            if let Some(session) = &s.session_deployment {
                if !backends::kubernetes_operator::resources::operator_name(session) {
                    return Err(EngineError::Invalid(format!(
                        "invalid session_deployment '{session}': expected the name of a FlinkDeployment (a DNS-1123 \
                         name: a-z, 0-9, '-', starting with a letter, at most 45 characters)"
                    )));
                }
                // The operator fetches a session job's jar itself and uploads it to the session's JobManager.
                let scheme = s.runner_jar_uri.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
                if matches!(scheme.as_deref(), None | Some("local")) {
                    return Err(EngineError::Invalid(format!(
                        "with session_deployment, runner_jar_uri must be a URI the operator can fetch (https://... \
                         by default), not '{}'",
                        s.runner_jar_uri
                    )));
                }
            }
            ClusterSettings::KubernetesOperator(s)
        }
    })
}

/// A REST URL checked and without its trailing slash.
fn normal_url(rest_url: &str) -> Result<String, EngineError> {
    let url = reqwest::Url::parse(rest_url.trim())
        .map_err(|e| EngineError::Invalid(format!("invalid rest_url '{rest_url}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(EngineError::Invalid(format!("invalid rest_url '{rest_url}': expected http:// or https:// with a host")));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn to_cluster(m: cluster::Model) -> Cluster {
    let settings = settings_of(&m).map(|s| s.to_value()).unwrap_or_default();
    Cluster { name: m.name, kind: m.kind, rest_url: m.rest_url, settings, created_at: m.created_at }
}
