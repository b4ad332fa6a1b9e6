//! Environments: names bound to a cluster, with default Flink configuration for the jobs that run there.

use serde_json::{Map, Value};
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
}

impl Engine {
    pub async fn create_environment(&self, caller: &Caller, new: NewEnvironment) -> Result<Environment, EngineError> {
        caller.act("create-environment", new.name.clone());
        self.require_admin(caller)?;
        names::check("environment", &new.name)?;
        let config = flink_config(&new.flink_config)?;
        let prometheus = prometheus_url(new.prometheus_url.as_deref())?;
        let cluster = self.cluster_model(&new.cluster).await?;
        let model = self
            .store
            .insert_environment(&new.name, cluster.id, &config, prometheus.as_deref())
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("an environment named '{}' already exists", new.name)))?;
        tracing::info!(environment = %model.name, cluster = %cluster.name, "environment created");
        to_environment(model, &cluster)
    }

    pub async fn list_environments(&self, caller: &Caller) -> Result<Vec<Environment>, EngineError> {
        self.require_signed_in(caller)?;
        self.store.list_environments().await?.into_iter().map(|(e, c)| to_environment(e, &c)).collect()
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

fn to_environment(e: environment::Model, c: &cluster::Model) -> Result<Environment, EngineError> {
    let flink_config = serde_json::from_str(&e.flink_config).map_err(|err| {
        EngineError::Internal(format!("environment '{}' has unreadable flink_config: {err}", e.name))
    })?;
    Ok(Environment {
        name: e.name,
        cluster: c.name.clone(),
        flink_config,
        prometheus_url: e.prometheus_url,
        created_at: e.created_at,
    })
}
