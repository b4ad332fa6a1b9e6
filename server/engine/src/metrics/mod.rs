//! Metrics history: for every running deployment, a sample of its figures at most every
//! `EngineSettings::metrics_interval`, driven by the reconciler's looks at its cluster (the observation bus —
//! no timer per job), stored in the database raw and rolled up into one-minute and one-hour averages,
//! deleted by retention so it never grows without bound.
//!
//! - [`cluster_history`]: each cluster's slots, CPU and heap from the same looks; the dashboard's trends.
//! - [`rules`]: the pure parts (points of a sample, resolution of a range, roll-up windows).
//! - [`prometheus_source`]: the same history read with PromQL from an environment's Prometheus, for
//!   environments that name one (Weir does not sample those).
//! - [`export`]: `GET /metrics`, Weir's own health and the newest samples in the Prometheus text format.
//! - here: the sampler and the maintenance pass (roll-ups and retention, once a minute); [`query`]: the
//!   metrics API's read.

pub mod export;
pub mod prometheus_source;
pub mod cluster_history;
pub mod query;
pub mod rules;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use weir_model::metrics::Resolution;
use weir_model::FlinkJobState;

use crate::reconciler::observe::ClusterObservation;
use crate::store::metrics::Point;
use crate::{Engine, EngineError};
use rules::{points_of, rollup_window};

/// The newest figures read of each deployment's job: deployment id -> (Flink job id, figures). Kept in memory
/// (refilled by the next sample after a restart).
pub(crate) type JobFigures = Arc<std::sync::RwLock<HashMap<i64, (String, crate::backends::JobMetrics)>>>;

/// How many jobs of one cluster are sampled at the same time.
const SAMPLE_CONCURRENCY: usize = 8;

/// How often roll-ups and retention run.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(60);

impl Engine {
    /// Starts the sampler: it follows the observation bus and samples a cluster's running jobs when the
    /// interval has passed since its last sample.
    pub(crate) fn spawn_metrics(&self) {
        let engine = self.clone();
        let mut bus = self.subscribe_observations();
        tokio::spawn(async move {
            let mut sampled: HashMap<i64, Instant> = HashMap::new();
            let mut maintained: Option<Instant> = None;
            loop {
                let look = match bus.recv().await {
                    Ok(look) => look,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                };
                if maintained.is_none_or(|t| t.elapsed() >= MAINTENANCE_EVERY) {
                    maintained = Some(Instant::now());
                    let engine = engine.clone();
                    tokio::spawn(async move {
                        if let Err(e) = engine.maintain_metrics(chrono::Utc::now().timestamp_millis()).await {
                            tracing::warn!("metrics maintenance: {e}");
                        }
                    });
                }
                if sampled.get(&look.cluster_id).is_some_and(|t| t.elapsed() < engine.settings.metrics_interval) {
                    continue;
                }
                sampled.insert(look.cluster_id, Instant::now());
                let engine = engine.clone();
                // Each cluster on its own: a slow one delays only its own sample.
                tokio::spawn(async move {
                    if let Err(e) = engine.sample_cluster(&look).await {
                        tracing::warn!("cluster history sample: {e}");
                    }
                    if let Err(e) = engine.sample_metrics(look).await {
                        tracing::warn!("metrics sample: {e}");
                    }
                });
            }
        });
    }

    /// Samples every running deployment on the cluster of a look, and writes the points.
    pub async fn sample_metrics(&self, look: Arc<ClusterObservation>) -> Result<usize, EngineError> {
        let Ok(seen) = &look.seen else { return Ok(0) };
        let running: std::collections::HashSet<&str> =
            seen.jobs.iter().filter(|j| j.state == FlinkJobState::Running).map(|j| j.id.as_str()).collect();
        if running.is_empty() {
            return Ok(0);
        }
        let cluster = self.cluster_by_id(look.cluster_id).await?;
        let backend = self.backend(&cluster)?;
        let ts = look.at.timestamp_millis();
        // Environments whose history lives in their own Prometheus are not sampled.
        let from_prometheus: Vec<i64> = self
            .store
            .list_environments()
            .await?
            .into_iter()
            .filter(|(e, _)| e.cluster_id == look.cluster_id && e.prometheus_url.is_some())
            .map(|(e, _)| e.id)
            .collect();
        let jobs: Vec<(i64, String)> = self
            .store
            .watched_deployments_on(look.cluster_id)
            .await?
            .into_iter()
            .filter(|d| !from_prometheus.contains(&d.environment_id))
            .filter_map(|d| d.flink_job_id.filter(|j| running.contains(j.as_str())).map(|j| (d.id, j)))
            .collect();
        // A few jobs at a time: a cluster with many jobs is sampled within the interval, without a burst.
        let backend = backend.as_ref();
        let samples: Vec<Vec<Point>> = futures::stream::iter(jobs)
            .map(|(deployment, job_id)| async move {
                match backend.job_metrics(&job_id).await {
                    Ok(m) => {
                        let points = points_of(deployment, ts, &m, &seen.taskmanagers);
                        if let Ok(mut figures) = self.job_figures.write() {
                            figures.insert(deployment, (job_id.clone(), m));
                        }
                        points
                    }
                    Err(e) => {
                        tracing::debug!(deployment, "no metrics this time: {e}");
                        Vec::new()
                    }
                }
            })
            .buffer_unordered(SAMPLE_CONCURRENCY)
            .collect()
            .await;
        let points: Vec<Point> = samples.into_iter().flatten().collect();
        let written = points.len();
        self.store.insert_points(points).await?;
        Ok(written)
    }

    /// The newest figures the sampler read of a deployment's job, if they belong to Flink job `job_id`.
    pub(crate) fn sampled_figures(&self, deployment: i64, job_id: &str) -> Option<crate::backends::JobMetrics> {
        let figures = self.job_figures.read().ok()?;
        figures.get(&deployment).filter(|(id, _)| id == job_id).map(|(_, m)| m.clone())
    }

    /// Rolls raw points up into one-minute buckets and those into one-hour buckets (whole buckets only),
    /// then deletes what each resolution no longer keeps. `now_ms` is the time it runs at.
    pub async fn maintain_metrics(&self, now_ms: i64) -> Result<(), EngineError> {
        let retention = &self.settings.metrics_retention;
        for (finer, coarser) in [(Resolution::Raw, Resolution::Minute), (Resolution::Minute, Resolution::Hour)] {
            let newest = self.store.newest_point(coarser).await?;
            if let Some((since, until)) = rollup_window(coarser, newest, now_ms, retention.of(finer)) {
                self.store.roll_up(finer, coarser, since, until).await?;
            }
        }
        for resolution in [Resolution::Raw, Resolution::Minute, Resolution::Hour] {
            self.store.delete_points_before(resolution, now_ms - retention.of(resolution)).await?;
        }
        self.maintain_cluster_points(now_ms).await?;
        Ok(())
    }
}
