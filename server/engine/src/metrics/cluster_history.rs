//! Cluster history and the dashboard's trends. Each cluster's slots, CPU and heap are sampled from the
//! reconciler's looks (the same observation the sampler follows — no extra call to the cluster, no timer),
//! stored in `cluster_points`, rolled up and retained with the same rules as the deployments' points.
//!
//! - [`cluster_points_of`]: the points one look makes (pure, table-tested).
//! - [`Engine::cluster_history`]: `GET /api/v1/clusters/{name}/history`.
//! - [`Engine::trends`]: the dashboard's sparklines (every visible deployment's throughput and lag, every
//!   cluster's use), in a fixed number of queries.

use std::collections::HashMap;

use sea_orm::EntityTrait;
use weir_model::metrics::{ClusterHistory, ClusterMetricName, ClusterSeries, DeploymentTrend, MetricName, Resolution, Trends};

use super::rules::{resolution_for, rollup_window};
use crate::reconciler::observe::{ClusterObservation, ClusterSeen};
use crate::store::cluster_points::ClusterPoint;
use crate::store::entities::{cluster, deployment, environment, job, namespace};
use crate::{Caller, Engine, EngineError};

/// The points one look at a cluster makes: the cluster's totals (slots total and used, the busiest
/// TaskManager's CPU and GC, heap and managed memory summed over the TaskManagers) and each TaskManager's own
/// CPU, heap, GC and managed memory. A measure no TaskManager reports is left out.
pub fn cluster_points_of(cluster_id: i64, ts: i64, seen: &ClusterSeen) -> Vec<ClusterPoint> {
    use ClusterMetricName as N;
    let o = &seen.overview;
    let tms = &seen.taskmanagers;
    let sum = |values: Vec<Option<u64>>| {
        let present: Vec<u64> = values.into_iter().flatten().collect();
        (!present.is_empty()).then(|| present.iter().sum::<u64>() as f64)
    };
    let totals = [
        (N::SlotsTotal, Some(f64::from(o.slots_total))),
        (N::SlotsUsed, Some(f64::from(o.slots_total.saturating_sub(o.slots_available)))),
        (N::CpuLoad, tms.iter().filter_map(|t| t.cpu_load).reduce(f64::max)),
        (N::HeapUsedBytes, sum(tms.iter().map(|t| t.heap_used_bytes).collect())),
        (N::HeapMaxBytes, sum(tms.iter().map(|t| t.heap_max_bytes).collect())),
        (N::GcTimeMsPerSec, tms.iter().filter_map(|t| t.gc_time_ms_per_s).reduce(f64::max)),
        (N::ManagedMemoryUsedBytes, sum(tms.iter().map(|t| t.managed_used_bytes).collect())),
    ];
    let per_tm = tms.iter().flat_map(|t| {
        [
            (N::CpuLoad, t.cpu_load),
            (N::HeapUsedBytes, t.heap_used_bytes.map(|b| b as f64)),
            (N::HeapMaxBytes, t.heap_max_bytes.map(|b| b as f64)),
            (N::GcTimeMsPerSec, t.gc_time_ms_per_s),
            (N::ManagedMemoryUsedBytes, t.managed_used_bytes.map(|b| b as f64)),
        ]
        .into_iter()
        .map(move |(name, value)| (t.id.as_str(), name, value))
    });
    totals
        .into_iter()
        .map(|(name, value)| ("", name, value))
        .chain(per_tm)
        .filter_map(|(tm, name, value)| {
            value
                .filter(|v| v.is_finite())
                .map(|value| ClusterPoint { cluster_id, task_manager: tm.to_owned(), name, ts, value })
        })
        .collect()
}

/// `names`: comma-separated cluster measures (none: every one).
fn cluster_names(names: Option<&str>) -> Result<Vec<ClusterMetricName>, EngineError> {
    Ok(match names.map(str::trim).filter(|n| !n.is_empty()) {
        None => ClusterMetricName::ALL.to_vec(),
        Some(list) => list.split(',').map(|n| n.trim().parse::<ClusterMetricName>()).collect::<Result<_, _>>()?,
    })
}

impl Engine {
    /// Writes the points of a look at a cluster (nothing when it did not answer).
    pub async fn sample_cluster(&self, look: &ClusterObservation) -> Result<usize, EngineError> {
        let Ok(seen) = &look.seen else { return Ok(0) };
        let points = cluster_points_of(look.cluster_id, look.at.timestamp_millis(), seen);
        let written = points.len();
        self.store.insert_cluster_points(points).await?;
        Ok(written)
    }

    /// The cluster half of the maintenance pass: roll-ups and retention of `cluster_points`.
    pub(crate) async fn maintain_cluster_points(&self, now_ms: i64) -> Result<(), EngineError> {
        let retention = &self.settings.metrics_retention;
        for (finer, coarser) in [(Resolution::Raw, Resolution::Minute), (Resolution::Minute, Resolution::Hour)] {
            let newest = self.store.newest_cluster_point(coarser).await?;
            if let Some((since, until)) = rollup_window(coarser, newest, now_ms, retention.of(finer)) {
                self.store.roll_up_cluster_points(finer, coarser, since, until).await?;
            }
        }
        for resolution in [Resolution::Raw, Resolution::Minute, Resolution::Hour] {
            self.store.delete_cluster_points_before(resolution, now_ms - retention.of(resolution)).await?;
        }
        Ok(())
    }

    /// A cluster's slots, CPU, heap, GC and managed memory over `[from, to]` (unix ms; default: the last hour),
    /// at the resolution the range calls for: the cluster's totals, then each TaskManager's series. Clusters
    /// are shown to everyone signed in.
    pub async fn cluster_history(
        &self,
        caller: &Caller,
        name: &str,
        names: Option<&str>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<ClusterHistory, EngineError> {
        self.require_signed_in(caller)?;
        let names = cluster_names(names)?;
        let now = chrono::Utc::now().timestamp_millis();
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - 3_600_000);
        if from > to {
            return Err(EngineError::Invalid(format!("'from' ({from}) is after 'to' ({to})")));
        }
        let model = self.cluster_model(name).await?;
        self.history_of(&model, &names, true, from, to, now).await
    }

    /// The series of a cluster; its TaskManagers' own only when `task_managers`.
    pub(crate) async fn history_of(
        &self,
        model: &cluster::Model,
        names: &[ClusterMetricName],
        task_managers: bool,
        from: i64,
        to: i64,
        now: i64,
    ) -> Result<ClusterHistory, EngineError> {
        let resolution = resolution_for(from, to, now, &self.settings.metrics_retention);
        let rows = self.store.cluster_points(model.id, names, task_managers, resolution, from, to).await?;
        let mut series: Vec<ClusterSeries> = Vec::new();
        for p in rows {
            let task_manager = Some(p.task_manager).filter(|t| !t.is_empty());
            match series.last_mut() {
                Some(s) if s.name == p.name && s.task_manager == task_manager => s.points.push((p.ts, p.value)),
                _ => series.push(ClusterSeries {
                    name: p.name,
                    unit: p.name.unit().to_owned(),
                    task_manager,
                    points: vec![(p.ts, p.value)],
                }),
            }
        }
        Ok(ClusterHistory { cluster: model.name.clone(), resolution, from, to, series })
    }

    /// The dashboard's trends over the last `range_ms`: the throughput and lag of every deployment the caller
    /// may see that was ever deployed, and every cluster's history.
    pub async fn trends(&self, caller: &Caller, range_ms: i64) -> Result<Trends, EngineError> {
        let visible = self.visible_namespaces(caller).await?.map(|v| v.into_iter().map(|n| n.id).collect::<Vec<_>>());
        let now = chrono::Utc::now().timestamp_millis();
        let (from, to) = (now - range_ms.max(60_000), now);
        let db = self.store.db();
        let jobs: HashMap<i64, job::Model> = job::Entity::find().all(db).await?.into_iter().map(|j| (j.id, j)).collect();
        let namespaces: HashMap<i64, String> =
            namespace::Entity::find().all(db).await?.into_iter().map(|n| (n.id, n.name)).collect();
        let envs: HashMap<i64, String> =
            environment::Entity::find().all(db).await?.into_iter().map(|e| (e.id, e.name)).collect();
        let deployments: Vec<(deployment::Model, &job::Model)> = deployment::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter(|d| d.version_id.is_some())
            .filter_map(|d| jobs.get(&d.job_id).map(|j| (d, j)))
            .filter(|(_, j)| visible.as_ref().is_none_or(|ids| ids.contains(&j.namespace_id)))
            .collect();
        let resolution = resolution_for(from, to, now, &self.settings.metrics_retention);
        let ids: Vec<i64> = deployments.iter().map(|(d, _)| d.id).collect();
        let names = [MetricName::RecordsInPerSec, MetricName::LagRecords];
        let mut by_deployment: HashMap<(i64, MetricName), Vec<(i64, f64)>> = HashMap::new();
        for p in self.store.job_level_points(&ids, &names, resolution, from, to).await? {
            by_deployment.entry((p.deployment_id, p.name)).or_default().push((p.ts, p.value));
        }
        let mut trends: Vec<DeploymentTrend> = deployments
            .into_iter()
            .map(|(d, j)| DeploymentTrend {
                namespace: namespaces.get(&j.namespace_id).cloned().unwrap_or_default(),
                job: j.name.clone(),
                environment: envs.get(&d.environment_id).cloned().unwrap_or_default(),
                records_in_per_s: by_deployment.remove(&(d.id, MetricName::RecordsInPerSec)).unwrap_or_default(),
                lag_records: by_deployment.remove(&(d.id, MetricName::LagRecords)).unwrap_or_default(),
            })
            .collect();
        trends.sort_by(|a, b| (&a.namespace, &a.job, &a.environment).cmp(&(&b.namespace, &b.job, &b.environment)));
        let mut clusters = Vec::new();
        for model in self.store.list_clusters().await? {
            clusters.push(self.history_of(&model, ClusterMetricName::ALL, false, from, to, now).await?);
        }
        Ok(Trends { from, to, deployments: trends, clusters })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::{ClusterOverview, TaskManagerMetrics};

    fn seen(slots_total: u32, slots_available: u32, tms: Vec<TaskManagerMetrics>) -> ClusterSeen {
        ClusterSeen {
            overview: ClusterOverview {
                flink_version: "2.0".into(),
                taskmanagers: tms.len() as u32,
                slots_total,
                slots_available,
                jobs_running: 0,
                jobs_finished: 0,
                jobs_cancelled: 0,
                jobs_failed: 0,
            },
            jobs: vec![],
            unreachable_jobs: vec![],
            taskmanagers: tms,
        }
    }

    fn tm(id: &str, cpu: Option<f64>, used: Option<u64>, max: Option<u64>) -> TaskManagerMetrics {
        TaskManagerMetrics { id: id.into(), slots_total: 4, slots_free: 2, cpu_load: cpu, heap_used_bytes: used, heap_max_bytes: max, ..Default::default() }
    }

    #[test]
    fn the_points_of_a_look() {
        use ClusterMetricName as N;
        type Case = (&'static str, ClusterSeen, Vec<(&'static str, N, f64)>);
        let gc = |mut t: TaskManagerMetrics, gc: f64, managed: u64| {
            t.gc_time_ms_per_s = Some(gc);
            t.managed_used_bytes = Some(managed);
            t
        };
        #[rustfmt::skip]
        let table: Vec<Case> = vec![
            ("two TaskManagers: slots, busiest CPU, summed heap; then each TaskManager's own",
             seen(8, 3, vec![tm("a", Some(0.2), Some(100), Some(1000)), tm("b", Some(0.6), Some(50), Some(1000))]),
             vec![("", N::SlotsTotal, 8.0), ("", N::SlotsUsed, 5.0), ("", N::CpuLoad, 0.6), ("", N::HeapUsedBytes, 150.0), ("", N::HeapMaxBytes, 2000.0),
                  ("a", N::CpuLoad, 0.2), ("a", N::HeapUsedBytes, 100.0), ("a", N::HeapMaxBytes, 1000.0),
                  ("b", N::CpuLoad, 0.6), ("b", N::HeapUsedBytes, 50.0), ("b", N::HeapMaxBytes, 1000.0)]),
            ("TaskManagers not read yet: slots only",
             seen(4, 4, vec![]),
             vec![("", N::SlotsTotal, 4.0), ("", N::SlotsUsed, 0.0)]),
            ("a TaskManager without CPU: the other's; heap of those that report it",
             seen(8, 0, vec![tm("a", None, Some(10), None), tm("b", Some(0.1), None, Some(5))]),
             vec![("", N::SlotsTotal, 8.0), ("", N::SlotsUsed, 8.0), ("", N::CpuLoad, 0.1), ("", N::HeapUsedBytes, 10.0), ("", N::HeapMaxBytes, 5.0),
                  ("a", N::HeapUsedBytes, 10.0), ("b", N::CpuLoad, 0.1), ("b", N::HeapMaxBytes, 5.0)]),
            ("GC: the busiest; managed memory: summed",
             seen(2, 2, vec![gc(tm("a", None, None, None), 3.0, 10), gc(tm("b", None, None, None), 7.5, 20)]),
             vec![("", N::SlotsTotal, 2.0), ("", N::SlotsUsed, 0.0), ("", N::GcTimeMsPerSec, 7.5), ("", N::ManagedMemoryUsedBytes, 30.0),
                  ("a", N::GcTimeMsPerSec, 3.0), ("a", N::ManagedMemoryUsedBytes, 10.0),
                  ("b", N::GcTimeMsPerSec, 7.5), ("b", N::ManagedMemoryUsedBytes, 20.0)]),
        ];
        for (what, seen, want) in table {
            let points = cluster_points_of(3, 42, &seen);
            let got: Vec<(&str, N, f64)> = points.iter().map(|p| (p.task_manager.as_str(), p.name, p.value)).collect();
            assert_eq!(got, want, "{what}");
            assert!(points.iter().all(|p| p.cluster_id == 3 && p.ts == 42));
        }
    }

    #[test]
    fn measure_names() {
        assert_eq!(cluster_names(None).expect("all"), ClusterMetricName::ALL.to_vec());
        assert_eq!(cluster_names(Some(" cpu_load, slots_used ")).expect("two"), vec![ClusterMetricName::CpuLoad, ClusterMetricName::SlotsUsed]);
        assert!(cluster_names(Some("cpu")).is_err(), "unknown names are refused");
    }
}
