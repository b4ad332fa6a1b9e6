//! The metrics API's read: a deployment's series over a range, at the resolution the range calls for.

use weir_model::metrics::{MetricName, MetricSeries, Metrics};
use weir_model::Role;

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
}
