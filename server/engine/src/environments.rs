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
}

impl Engine {
    pub async fn create_environment(&self, caller: &Caller, new: NewEnvironment) -> Result<Environment, EngineError> {
        caller.act("create-environment", new.name.clone());
        self.require_admin(caller)?;
        names::check("environment", &new.name)?;
        let config = flink_config(&new.flink_config)?;
        let cluster = self.cluster_model(&new.cluster).await?;
        let model = self
            .store
            .insert_environment(&new.name, cluster.id, &config)
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

fn to_environment(e: environment::Model, c: &cluster::Model) -> Result<Environment, EngineError> {
    let flink_config = serde_json::from_str(&e.flink_config).map_err(|err| {
        EngineError::Internal(format!("environment '{}' has unreadable flink_config: {err}", e.name))
    })?;
    Ok(Environment { name: e.name, cluster: c.name.clone(), flink_config, created_at: e.created_at })
}
