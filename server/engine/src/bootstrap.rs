//! Clusters and environments declared in `weir.toml`: created at start-up, or updated to match the file.

use crate::clusters::{validate_cluster, NewCluster};
use crate::environments::{flink_config, prometheus_url};
use crate::{names, Caller, Engine, EngineError};
use serde::{Deserialize, Serialize};

/// A cluster declared in `weir.toml` (`[[clusters]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterDecl {
    pub name: String,
    #[serde(default = "default_cluster_kind")]
    pub kind: String,
    /// A `flink-session` cluster's REST API (or in `settings`).
    #[serde(default)]
    pub rest_url: Option<String>,
    /// The kind's settings (`weir_model::clusters`).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

/// An environment declared in `weir.toml` (`[[environments]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentDecl {
    pub name: String,
    pub cluster: String,
    #[serde(default)]
    pub flink_config: serde_json::Map<String, serde_json::Value>,
    /// A Prometheus that scrapes this environment's Flink (Flink's Prometheus reporter): when set, the metrics
    /// history of its deployments is read from it with PromQL instead of sampled by Weir.
    #[serde(default)]
    pub prometheus_url: Option<String>,
}

fn default_cluster_kind() -> String {
    "flink-session".into()
}

impl Engine {
    /// Makes the database hold the declared clusters and environments. Things not declared are left alone.
    pub async fn apply_declarations(
        &self,
        clusters: &[ClusterDecl],
        environments: &[EnvironmentDecl],
    ) -> Result<(), EngineError> {
        for decl in clusters {
            let new = NewCluster {
                name: decl.name.clone(),
                kind: decl.kind.clone(),
                rest_url: decl.rest_url.clone(),
                settings: decl.settings.clone(),
            };
            let settings = validate_cluster(&new, &self.runtimes)?;
            match self.store.find_cluster(&decl.name).await? {
                None => {
                    self.register_cluster(&Caller::system(), new).await?;
                }
                Some(m) if crate::clusters::settings_of(&m).ok().as_ref() != Some(&settings) || m.settings.is_none() => {
                    tracing::info!(cluster = %decl.name, kind = %settings.kind(), "cluster updated from the configuration");
                    self.store.update_cluster(m, &settings).await?;
                }
                Some(_) => {}
            }
        }
        for decl in environments {
            names::check("environment", &decl.name)?;
            let config = flink_config(&decl.flink_config)?;
            let prometheus = prometheus_url(decl.prometheus_url.as_deref())?;
            let cluster = self.cluster_model(&decl.cluster).await?;
            match self.store.find_environment(&decl.name).await? {
                None => {
                    self.store.insert_environment(&decl.name, cluster.id, &config, prometheus.as_deref()).await?;
                    tracing::info!(environment = %decl.name, cluster = %cluster.name, "environment created from the configuration");
                }
                Some(m) if m.cluster_id != cluster.id || m.flink_config != config || m.prometheus_url != prometheus => {
                    self.store.update_environment(m, cluster.id, &config, prometheus.as_deref()).await?;
                    tracing::info!(environment = %decl.name, "environment updated from the configuration");
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}
