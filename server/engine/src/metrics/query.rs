//! The metrics API's read: a deployment's series over a range, at the resolution the range calls for.

use weir_model::metrics::{ClusterMetricName, MetricName, MetricSeries, Metrics};
use weir_model::Role;

use super::prometheus_source::{self, Split};
use super::rules::resolution_for;
use crate::{Caller, Engine, EngineError};

impl Engine {
    /// `names`: comma-separated (none: every measure); `from`/`to`: unix milliseconds (default: the last hour).
    #[allow(clippy::too_many_arguments)]
    pub async fn deployment_metrics(
        &self,
        caller: &Caller,
        ns: &str,
        job: &str,
        env: &str,
        names: Option<&str>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Metrics, EngineError> {
        let names: Vec<MetricName> = match names.map(str::trim).filter(|n| !n.is_empty()) {
            None => MetricName::ALL.to_vec(),
            Some(list) => list.split(',').map(|n| n.trim().parse::<MetricName>()).collect::<Result<_, _>>()?,
        };
        let now = chrono::Utc::now().timestamp_millis();
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - 3_600_000);
        if from > to {
            return Err(EngineError::Invalid(format!("'from' ({from}) is after 'to' ({to})")));
        }
        let placed = self.place(caller, ns, job, env, Role::Viewer).await?;
        let resolution = resolution_for(from, to, now, &self.settings.metrics_retention);
        if let Some(base) = placed.environment.prometheus_url.as_deref() {
            let job_name = format!("{}/{}", placed.namespace.name, placed.job.name);
            let splits = [Split::Job, Split::Vertex, Split::TaskManager];
            let series = self.prometheus_series(base, &job_name, &names, &splits, resolution, from, to).await?;
            return Ok(Metrics { resolution, from, to, series });
        }
        let rows = self.store.points(placed.deployment.id, &names, resolution, from, to).await?;
        let mut series: Vec<MetricSeries> = Vec::new();
        for p in rows {
            let vertex = Some(p.vertex).filter(|v| !v.is_empty());
            match series.last_mut() {
                Some(s) if s.name == p.name && s.vertex == vertex => s.points.push((p.ts, p.value)),
                _ => series.push(MetricSeries {
                    name: p.name,
                    unit: p.name.unit().to_owned(),
                    vertex,
                    task_manager: None,
                    points: vec![(p.ts, p.value)],
                }),
            }
        }
        // Each TaskManager's own series come from the cluster history (kept once per cluster, not per job).
        let of_tm: Vec<(MetricName, ClusterMetricName)> =
            names.iter().filter_map(|n| ClusterMetricName::of_task_manager(*n).map(|c| (*n, c))).collect();
        if !of_tm.is_empty() {
            let cluster_names: Vec<ClusterMetricName> = of_tm.iter().map(|(_, c)| *c).collect();
            let rows = self
                .store
                .cluster_points(placed.environment.cluster_id, &cluster_names, true, resolution, from, to)
                .await?;
            for p in rows.into_iter().filter(|p| !p.task_manager.is_empty()) {
                let Some((name, _)) = of_tm.iter().find(|(_, c)| *c == p.name) else { continue };
                match series.last_mut() {
                    Some(s) if s.name == *name && s.task_manager.as_deref() == Some(p.task_manager.as_str()) => {
                        s.points.push((p.ts, p.value))
                    }
                    _ => series.push(MetricSeries {
                        name: *name,
                        unit: name.unit().to_owned(),
                        vertex: None,
                        task_manager: Some(p.task_manager),
                        points: vec![(p.ts, p.value)],
                    }),
                }
            }
        }
        Ok(Metrics { resolution, from, to, series })
    }

    /// The series of a deployment from its environment's Prometheus, split as asked (job-level, per vertex,
    /// per TaskManager); `job_name` is `<namespace>/<job>`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn prometheus_series(
        &self,
        base: &str,
        job_name: &str,
        names: &[MetricName],
        splits: &[Split],
        resolution: weir_model::metrics::Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<MetricSeries>, EngineError> {
        let step = prometheus_source::step_for(resolution, self.settings.metrics_interval);
        let mut series = Vec::new();
        for &split in splits {
            for name in names {
                let Some(q) = prometheus_source::promql(*name, job_name, split) else { continue };
                let body =
                    prometheus_source::query_range(&self.http, base, &q, from, to, step, self.cluster_timeout).await?;
                let found = prometheus_source::series_of(*name, split, &body).map_err(|e| {
                    EngineError::Unavailable(format!("the environment's Prometheus at {base} refused {q}: {e}"))
                })?;
                series.extend(found);
            }
        }
        Ok(series)
    }
}
