//! The metrics API's read: a deployment's series over a range, at the resolution the range calls for.

use weir_model::metrics::{MetricName, MetricSeries, Metrics};
use weir_model::Role;

use super::prometheus_source;
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
            let series = self.prometheus_series(base, &job_name, &names, resolution, from, to).await?;
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
                    points: vec![(p.ts, p.value)],
                }),
            }
        }
        Ok(Metrics { resolution, from, to, series })
    }

    /// The series of a deployment from its environment's Prometheus: job-level, then per vertex.
    async fn prometheus_series(
        &self,
        base: &str,
        job_name: &str,
        names: &[MetricName],
        resolution: weir_model::metrics::Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<MetricSeries>, EngineError> {
        let step = prometheus_source::step_for(resolution, self.settings.metrics_interval);
        let mut series = Vec::new();
        for per_vertex in [false, true] {
            for name in names {
                let Some(q) = prometheus_source::promql(*name, job_name, per_vertex) else { continue };
                let body =
                    prometheus_source::query_range(&self.http, base, &q, from, to, step, self.cluster_timeout).await?;
                let found = prometheus_source::series_of(*name, per_vertex, &body).map_err(|e| {
                    EngineError::Unavailable(format!("the environment's Prometheus at {base} refused {q}: {e}"))
                })?;
                series.extend(found);
            }
        }
        Ok(series)
    }
}
