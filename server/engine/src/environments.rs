//! Environments: names bound to a cluster, with default Flink configuration for the jobs that run there and the
//! resource pool they draw from (none: no limit).

use serde_json::{Map, Value};
use weir_model::recommendations::RecommendationSettings;
use weir_model::Environment;

use crate::{names, Caller, Engine, EngineError};
use crate::store::{
    entities::{cluster, environment},
};

/// What a caller gives to create an environment.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnvironment {
    pub name: String,
    pub cluster: String,
    #[serde(default)]
    pub flink_config: Map<String, Value>,
    /// A Prometheus that scrapes this environment's Flink (Flink's Prometheus reporter): when set, the metrics
    /// history of its deployments is read from it with PromQL instead of sampled by Weir.
    #[serde(default)]
    pub prometheus_url: Option<String>,
    /// The resource pool it draws from (on the same cluster); none: no limit.
    #[serde(default)]
    pub pool: Option<String>,
    /// How resource recommendations are computed here (windows, targets); none: the defaults.
    #[serde(default)]
    pub recommendations: Option<RecommendationSettings>,
}

/// What a caller may change of an environment (`PATCH /api/v1/environments/{env}`); what is left out stays.
/// Its cluster is not changed here: deployments there would be left behind.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentChange {
    /// Replaces the default Flink configuration.
    #[serde(default)]
    pub flink_config: Option<Map<String, Value>>,
    /// A new Prometheus URL; `null` or `""` stops reading history from Prometheus (Weir samples again).
    #[serde(default, deserialize_with = "present")]
    pub prometheus_url: Option<Option<String>>,
    /// The resource pool it draws from; `null` detaches it (no limit).
    #[serde(default, deserialize_with = "present")]
    pub pool: Option<Option<String>>,
    /// New recommendation settings (fields left out take their defaults); `null` puts back the defaults.
    #[serde(default, deserialize_with = "present_settings")]
    pub recommendations: Option<Option<RecommendationSettings>>,
}

fn present_settings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<RecommendationSettings>>, D::Error> {
    <Option<RecommendationSettings> as serde::Deserialize>::deserialize(d).map(Some)
}

/// A field given as `null` is `Some(None)`, one left out `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Some)
}

impl Engine {
    /// Changes an environment's default Flink configuration and Prometheus URL (administrators). Checked whole
    /// before anything is written.
    pub async fn update_environment(
        &self,
        caller: &Caller,
        name: &str,
        change: EnvironmentChange,
    ) -> Result<Environment, EngineError> {
        caller.act("update-environment", name.to_owned());
        self.require_admin(caller)?;
        let model = self
            .store
            .find_environment(name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "environment", name: name.to_owned() })?;
        let config = match &change.flink_config {
            Some(c) => flink_config(c)?,
            None => model.flink_config.clone(),
        };
        let prometheus = match &change.prometheus_url {
            Some(url) => prometheus_url(url.as_deref())?,
            None => model.prometheus_url.clone(),
        };
        let cluster = self.cluster_by_id(model.cluster_id).await?;
        let pool = match change.pool.as_ref().map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty())) {
            Some(Some(name)) => Some(Some(self.pool_for_environment(name, &cluster).await?.id)),
            Some(None) => Some(None),
            None => None,
        };
        let settings = match &change.recommendations {
            Some(Some(r)) => Some(Some(crate::recommendations::checked_settings(r)?)),
            Some(None) => Some(None),
            None => None,
        };
        let mut model = self.store.update_environment(model, cluster.id, &config, prometheus.as_deref()).await?;
        if let Some(json) = settings {
            self.store.set_recommendation_settings(model.id, json.as_deref()).await?;
            model.recommendation_settings = json;
        }
        if let Some(pool_id) = pool {
            self.store.set_environment_pool(model.id, pool_id).await?;
            model.pool_id = pool_id;
        }
        tracing::info!(environment = %model.name, prometheus = ?model.prometheus_url, pool = ?model.pool_id, "environment changed");
        self.environment_view(model, &cluster).await
    }

    pub async fn create_environment(&self, caller: &Caller, new: NewEnvironment) -> Result<Environment, EngineError> {
        caller.act("create-environment", new.name.clone());
        self.require_admin(caller)?;
        names::check("environment", &new.name)?;
        let config = flink_config(&new.flink_config)?;
        let prometheus = prometheus_url(new.prometheus_url.as_deref())?;
        let settings = new.recommendations.as_ref().map(crate::recommendations::checked_settings).transpose()?;
        let cluster = self.cluster_model(&new.cluster).await?;
        let pool = match new.pool.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(name) => Some(self.pool_for_environment(name, &cluster).await?.id),
            None => None,
        };
        let mut model = self
            .store
            .insert_environment(&new.name, cluster.id, &config, prometheus.as_deref())
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("an environment named '{}' already exists", new.name)))?;
        if pool.is_some() {
            self.store.set_environment_pool(model.id, pool).await?;
            model.pool_id = pool;
        }
        if settings.is_some() {
            self.store.set_recommendation_settings(model.id, settings.as_deref()).await?;
            model.recommendation_settings = settings;
        }
        tracing::info!(environment = %model.name, cluster = %cluster.name, pool = ?model.pool_id, "environment created");
        self.environment_view(model, &cluster).await
    }

    pub async fn list_environments(&self, caller: &Caller) -> Result<Vec<Environment>, EngineError> {
        self.require_signed_in(caller)?;
        let pools: std::collections::HashMap<i64, String> =
            self.store.list_pools().await?.into_iter().map(|p| (p.id, p.name)).collect();
        self.store
            .list_environments()
            .await?
            .into_iter()
            .map(|(e, c)| {
                let pool = e.pool_id.and_then(|id| pools.get(&id).cloned());
                to_environment(e, &c, pool)
            })
            .collect()
    }

    /// An environment as shown, with its pool's name.
    async fn environment_view(&self, e: environment::Model, c: &cluster::Model) -> Result<Environment, EngineError> {
        let pool = match e.pool_id {
            Some(id) => self.store.pool_by_id(id).await?.map(|p| p.name),
            None => None,
        };
        to_environment(e, c, pool)
    }
}

/// Flink configuration values are strings; numbers and booleans are accepted and written as Flink reads them.
/// Returns the configuration as JSON text for the store.
pub(super) fn flink_config(config: &Map<String, Value>) -> Result<String, EngineError> {
    let mut out = Map::new();
    for (key, value) in config {
        if key.trim().is_empty() {
            return Err(EngineError::Invalid("flink_config has an empty key".into()));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(EngineError::Invalid(format!(
                    "flink_config '{key}' must be a string, number or boolean"
                )))
            }
        };
        out.insert(key.clone(), Value::String(text));
    }
    serde_json::to_string(&out).map_err(|e| EngineError::Internal(e.to_string()))
}

/// A Prometheus base URL: http(s), without a trailing slash; empty means none.
pub(super) fn prometheus_url(url: Option<&str>) -> Result<Option<String>, EngineError> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| EngineError::Invalid(format!("prometheus_url '{url}' is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(EngineError::Invalid(format!("prometheus_url '{url}' must be an http:// or https:// address")));
    }
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

fn to_environment(e: environment::Model, c: &cluster::Model, pool: Option<String>) -> Result<Environment, EngineError> {
    let flink_config = serde_json::from_str(&e.flink_config).map_err(|err| {
        EngineError::Internal(format!("environment '{}' has unreadable flink_config: {err}", e.name))
    })?;
    Ok(Environment {
        name: e.name,
        cluster: c.name.clone(),
        flink_config,
        prometheus_url: e.prometheus_url,
        pool,
        recommendations: e.recommendation_settings.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        created_at: e.created_at,
    })
}
