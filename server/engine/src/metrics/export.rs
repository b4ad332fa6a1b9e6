//! `GET /metrics`: Weir in the Prometheus (OpenMetrics) text format, for a scraper — its own health
//! (deployments by observed and desired state, operations by kind and result and their durations, the
//! reconciler's pass durations and status lag per cluster, cluster reachability, alert notifications sent and
//! failed, the database pool) and the newest sampled figures of every deployment, labelled by namespace, job,
//! environment and version. Written with `prometheus-client` (the Prometheus project's Rust client).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use weir_model::metrics::MetricName;

use crate::store::entities::{deployment, environment, job, namespace, version};
use crate::{Caller, Engine, EngineError};

/// The exposition's content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type GaugeF = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    observed_state: String,
    desired_state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterLabel {
    cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    namespace: String,
    job: String,
    environment: String,
    version: String,
    /// Empty for the job's own figure (Prometheus treats it as absent).
    vertex: String,
}

/// The newest value of every (deployment, measure, vertex) among `points` (oldest first), non-finite skipped.
pub fn newest_values(
    points: impl IntoIterator<Item = (i64, MetricName, String, f64)>,
) -> BTreeMap<(i64, MetricName, String), f64> {
    let mut newest = BTreeMap::new();
    for (deployment, name, vertex, value) in points {
        if value.is_finite() {
            newest.insert((deployment, name, vertex), value);
        } else {
            newest.remove(&(deployment, name, vertex));
        }
    }
    newest
}

impl Engine {
    /// The exposition; for administrators and their `metrics`-scoped tokens.
    pub async fn prometheus_exposition(&self, caller: &Caller) -> Result<String, EngineError> {
        self.require_metrics_reader(caller)?;
        let db = self.store.db();
        let mut registry = Registry::with_prefix("weir");

        // Deployments by state.
        let deployments = deployment::Entity::find().all(db).await?;
        let by_state = Family::<StateLabels, GaugeF>::default();
        for d in &deployments {
            by_state
                .get_or_create(&StateLabels {
                    observed_state: d.observed_state.to_string(),
                    desired_state: d.desired_state.to_string(),
                })
                .inc_by(1.0);
        }
        registry.register("deployments", "Deployments by observed and desired state", by_state);

        // Operations.
        let unfinished = self.store.unfinished_operations().await?.len();
        let running = GaugeF::default();
        running.set(unfinished as f64);
        registry.register("operations_in_flight", "Operations queued or running", running);
        registry.register(
            "operations_finished",
            "Operations finished since this process started, by kind and result",
            self.telemetry.operations_finished.clone(),
        );
        registry.register(
            "operation_duration_seconds",
            "Time from an operation's admission to its end",
            self.telemetry.operation_duration.clone(),
        );

        // The reconciler and the clusters.
        registry.register(
            "reconciler_pass_duration_seconds",
            "One reconciler pass over a cluster: look, decide, act",
            self.telemetry.reconcile_pass.clone(),
        );
        let reachable = Family::<ClusterLabel, GaugeF>::default();
        let lag = Family::<ClusterLabel, GaugeF>::default();
        let now = chrono::Utc::now();
        for c in self.store.list_clusters().await? {
            let label = ClusterLabel { cluster: c.name.clone() };
            match self.observations.latest(c.id) {
                Some(look) => {
                    reachable.get_or_create(&label).set(if look.reachable() { 1.0 } else { 0.0 });
                    let age = (now - look.at).num_milliseconds().max(0) as f64 / 1000.0;
                    lag.get_or_create(&label).set(age);
                }
                None => {
                    reachable.get_or_create(&label).set(0.0);
                }
            }
        }
        registry.register("cluster_reachable", "1 when the cluster answered the latest look", reachable);
        registry.register(
            "status_lag_seconds",
            "Age of the latest look at a cluster: how stale the observed states may be",
            lag,
        );

        registry.register(
            "notifications",
            "Alert notifications delivered or failed since this process started, by channel kind",
            self.telemetry.notifications.clone(),
        );

        // The database.
        let (open, idle) = self.store.pool_stats();
        let pool = Family::<PoolLabel, GaugeF>::default();
        pool.get_or_create(&PoolLabel { state: "idle".into() }).set(idle as f64);
        pool.get_or_create(&PoolLabel { state: "in_use".into() }).set(open.saturating_sub(idle) as f64);
        registry.register("database_connections", "The database connection pool", pool);

        // The newest sample of every running deployment.
        self.register_job_figures(&mut registry, &deployments).await?;

        let mut out = String::new();
        encode(&mut out, &registry).map_err(|e| EngineError::Internal(format!("cannot write the metrics: {e}")))?;
        Ok(out)
    }

    async fn register_job_figures(
        &self,
        registry: &mut Registry,
        deployments: &[deployment::Model],
    ) -> Result<(), EngineError> {
        let db = self.store.db();
        // Samples come every interval: three intervals back finds the newest of each running deployment.
        let window = (self.settings.metrics_interval.as_millis() as i64).max(1_000) * 3;
        let since = chrono::Utc::now().timestamp_millis() - window;
        let points = self.store.raw_points_since(since).await?;
        if points.is_empty() {
            return Ok(());
        }
        let newest = newest_values(points.into_iter().map(|p| (p.deployment_id, p.name, p.vertex, p.value)));
        let jobs: HashMap<i64, job::Model> = job::Entity::find().all(db).await?.into_iter().map(|j| (j.id, j)).collect();
        let namespaces: HashMap<i64, String> =
            namespace::Entity::find().all(db).await?.into_iter().map(|n| (n.id, n.name)).collect();
        let environments: HashMap<i64, String> =
            environment::Entity::find().all(db).await?.into_iter().map(|e| (e.id, e.name)).collect();
        let version_ids: Vec<i64> = deployments.iter().filter_map(|d| d.version_id).collect();
        let versions: HashMap<i64, i32> = version::Entity::find()
            .filter(version::Column::Id.is_in(version_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.number))
            .collect();
        let labels: HashMap<i64, (String, String, String, String)> = deployments
            .iter()
            .filter_map(|d| {
                let job = jobs.get(&d.job_id)?;
                Some((
                    d.id,
                    (
                        namespaces.get(&job.namespace_id)?.clone(),
                        job.name.clone(),
                        environments.get(&d.environment_id)?.clone(),
                        d.version_id.and_then(|v| versions.get(&v)).map(|n| n.to_string()).unwrap_or_default(),
                    ),
                ))
            })
            .collect();
        let mut families: BTreeMap<MetricName, Family<JobLabels, GaugeF>> = BTreeMap::new();
        for ((deployment, name, vertex), value) in newest {
            let Some((namespace, job, environment, version)) = labels.get(&deployment) else { continue };
            let label = JobLabels {
                namespace: namespace.clone(),
                job: job.clone(),
                environment: environment.clone(),
                version: version.clone(),
                vertex,
            };
            families.entry(name).or_default().get_or_create(&label).set(value);
        }
        for (name, family) in families {
            registry.register(
                format!("job_{}", name.as_str()),
                format!("The newest sample of {} ({}) of each deployment", name.as_str(), name.unit()),
                family,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_values_keeps_the_last_finite_value_of_each_series() {
        let busy = MetricName::BusyRatio;
        let lag = MetricName::LagRecords;
        let rows = vec![
            (1, busy, String::new(), 0.2),
            (1, busy, String::new(), 0.4),
            (1, busy, "Sink".to_string(), 0.9),
            (2, lag, String::new(), 10.0),
            (2, lag, String::new(), f64::NAN),
            (3, lag, String::new(), f64::INFINITY),
        ];
        let newest = newest_values(rows);
        assert_eq!(newest.get(&(1, busy, String::new())), Some(&0.4));
        assert_eq!(newest.get(&(1, busy, "Sink".to_string())), Some(&0.9));
        // A series whose newest value is not a number is left out rather than shown stale.
        assert_eq!(newest.get(&(2, lag, String::new())), None);
        assert_eq!(newest.get(&(3, lag, String::new())), None);
        assert_eq!(newest.len(), 2);
    }
}
