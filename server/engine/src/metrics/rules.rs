//! The pure decisions of the metrics history: which points a sample makes, which resolution answers a range,
//! and which buckets are due for a roll-up. Table-tested; the sampler and the store act on them.

use weir_model::metrics::{MetricName, Resolution};
use weir_model::TaskManagerMetrics;

use crate::backends::JobMetrics;
use crate::store::metrics::Point;

/// How long each resolution is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retention {
    pub raw_ms: i64,
    pub minute_ms: i64,
    pub hour_ms: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Self { raw_ms: 24 * 3_600_000, minute_ms: 7 * 24 * 3_600_000, hour_ms: 90 * 24 * 3_600_000 }
    }
}

impl Retention {
    pub fn of(&self, resolution: Resolution) -> i64 {
        match resolution {
            Resolution::Raw => self.raw_ms,
            Resolution::Minute => self.minute_ms,
            Resolution::Hour => self.hour_ms,
        }
    }
}

/// The points one sample of a running job makes: job-level series (throughput in from its sources and out
/// of its sinks, the busiest and most back-pressured vertex, the sources' lag, checkpoints, restarts, its
/// cluster's TaskManagers) and per-vertex busy, back-pressure and rates.
pub fn points_of(deployment_id: i64, ts: i64, job: &JobMetrics, taskmanagers: &[TaskManagerMetrics]) -> Vec<Point> {
    let mut out = Vec::new();
    let mut push = |name: MetricName, vertex: &str, value: Option<f64>| {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            out.push(Point { deployment_id, name, vertex: vertex.to_owned(), ts, value });
        }
    };
    let sum = |values: Vec<Option<f64>>| {
        let present: Vec<f64> = values.into_iter().flatten().collect();
        (!present.is_empty()).then(|| present.iter().sum())
    };
    let max = |values: Vec<Option<f64>>| values.into_iter().flatten().reduce(f64::max);
    let sources: Vec<_> = job.vertices.iter().filter(|v| v.source).collect();
    let sinks: Vec<_> = job.vertices.iter().filter(|v| v.sink).collect();
    push(MetricName::RecordsInPerSec, "", sum(sources.iter().map(|v| v.records_out_per_s).collect()));
    push(MetricName::RecordsOutPerSec, "", sum(sinks.iter().map(|v| v.records_in_per_s).collect()));
    push(MetricName::BusyRatio, "", max(job.vertices.iter().map(|v| v.busy_ratio).collect()));
    push(MetricName::BackpressureRatio, "", max(job.vertices.iter().map(|v| v.backpressure_ratio).collect()));
    push(MetricName::LagRecords, "", sum(sources.iter().map(|v| v.pending_records).collect()));
    push(MetricName::CheckpointDurationMs, "", job.last_checkpoint_duration_ms);
    push(MetricName::CheckpointSizeBytes, "", job.last_checkpoint_size_bytes);
    push(MetricName::CheckpointAgeS, "", job.last_checkpoint_at_ms.map(|at| ((ts - at).max(0) as f64) / 1000.0));
    push(MetricName::CheckpointsFailed, "", job.checkpoints_failed);
    push(MetricName::Restarts, "", job.restarts);
    push(MetricName::TmCpuLoad, "", max(taskmanagers.iter().map(|t| t.cpu_load).collect()));
    push(MetricName::TmHeapUsedBytes, "", sum(taskmanagers.iter().map(|t| t.heap_used_bytes.map(|b| b as f64)).collect()));
    push(MetricName::TmHeapMaxBytes, "", sum(taskmanagers.iter().map(|t| t.heap_max_bytes.map(|b| b as f64)).collect()));
    push(MetricName::TmGcTimeMsPerSec, "", max(taskmanagers.iter().map(|t| t.gc_time_ms_per_s).collect()));
    push(
        MetricName::TmManagedMemoryUsedBytes,
        "",
        sum(taskmanagers.iter().map(|t| t.managed_used_bytes.map(|b| b as f64)).collect()),
    );
    push(MetricName::TmMetaspaceUsedBytes, "", max(taskmanagers.iter().map(|t| t.metaspace_used_bytes.map(|b| b as f64)).collect()));
    push(MetricName::JmHeapUsedBytes, "", job.jobmanager_heap_used_bytes);
    push(MetricName::JmHeapMaxBytes, "", job.jobmanager_heap_max_bytes);
    for v in &job.vertices {
        push(MetricName::BusyRatio, &v.name, v.busy_ratio);
        push(MetricName::BackpressureRatio, &v.name, v.backpressure_ratio);
        push(MetricName::RecordsInPerSec, &v.name, v.records_in_per_s);
        push(MetricName::RecordsOutPerSec, &v.name, v.records_out_per_s);
    }
    out
}

/// The resolution that answers `[from, to]`: raw for ranges up to 6 hours, one-minute points up to 3 days,
/// hourly beyond — and never one that retention has already emptied for `from`.
pub fn resolution_for(from: i64, to: i64, now: i64, retention: &Retention) -> Resolution {
    let span = (to - from).max(0);
    let wanted = if span <= 6 * 3_600_000 {
        Resolution::Raw
    } else if span <= 3 * 24 * 3_600_000 {
        Resolution::Minute
    } else {
        Resolution::Hour
    };
    let kept = |r: Resolution| now - retention.of(r) <= from;
    [Resolution::Raw, Resolution::Minute, Resolution::Hour]
        .into_iter()
        .filter(|r| *r >= wanted)
        .find(|r| kept(*r))
        .unwrap_or(Resolution::Hour)
}

/// The whole buckets of `to` resolution due for a roll-up at `now`: from the bucket after the newest one
/// already rolled up (or the oldest point still kept of the finer resolution) to the start of the current
/// bucket. None when nothing is due.
pub fn rollup_window(to: Resolution, newest_rolled: Option<i64>, now: i64, finer_kept_ms: i64) -> Option<(i64, i64)> {
    let width = to.bucket_ms();
    let until = now / width * width;
    let since = match newest_rolled {
        Some(bucket) => bucket + width,
        None => (now - finer_kept_ms) / width * width,
    };
    (since < until).then_some((since, until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::VertexMetrics;
    use weir_model::metrics::{MetricName as M, Resolution as R};

    const H: i64 = 3_600_000;

    #[test]
    fn resolution_table() {
        let ret = Retention::default();
        let now = 1_000 * 24 * H;
        #[rustfmt::skip]
        let table: Vec<(&str, i64, i64, R)> = vec![
            ("15 minutes: raw", now - H / 4, now, R::Raw),
            ("6 hours: raw", now - 6 * H, now, R::Raw),
            ("24 hours: one-minute points", now - 24 * H, now, R::Minute),
            ("7 days: hourly", now - 7 * 24 * H, now, R::Hour),
            ("an hour two days ago: raw is gone, one-minute points", now - 48 * H, now - 47 * H, R::Minute),
            ("an hour 30 days ago: only hourly points are kept", now - 30 * 24 * H, now - 30 * 24 * H + H, R::Hour),
            ("beyond every retention: hourly (empty)", now - 200 * 24 * H, now - 199 * 24 * H, R::Hour),
        ];
        for (name, from, to, expected) in table {
            assert_eq!(resolution_for(from, to, now, &ret), expected, "{name}");
        }
    }

    #[test]
    fn rollup_windows() {
        let m = 60_000;
        assert_eq!(rollup_window(R::Minute, Some(10 * m), 13 * m + 5, H), Some((11 * m, 13 * m)), "whole minutes after the last");
        assert_eq!(rollup_window(R::Minute, Some(12 * m), 13 * m + 5, H), None, "the current minute is not whole yet");
        assert_eq!(rollup_window(R::Minute, None, 100 * m + 5, 60 * m), Some((40 * m, 100 * m)), "first run: what raw keeps");
        assert_eq!(rollup_window(R::Hour, Some(5 * H), 7 * H + 1, 7 * 24 * H), Some((6 * H, 7 * H)));
    }

    #[test]
    fn a_sample_makes_job_and_vertex_points() {
        let vertex = |name: &str, source: bool, sink: bool, busy: f64, out: f64, inp: f64, pending: Option<f64>| VertexMetrics {
            id: name.into(),
            name: name.into(),
            source,
            sink,
            parallelism: 2,
            busy_ratio: Some(busy),
            backpressure_ratio: Some(busy / 2.0),
            records_in_per_s: Some(inp),
            records_out_per_s: Some(out),
            pending_records: pending,
            max_parallelism: None,
        };
        let job = JobMetrics {
            vertices: vec![
                vertex("src-a", true, false, 0.2, 100.0, 0.0, Some(40.0)),
                vertex("src-b", true, false, 0.1, 50.0, 0.0, None),
                vertex("sink", false, true, 0.7, 0.0, 150.0, None),
            ],
            restarts: Some(2.0),
            checkpoints_failed: Some(1.0),
            last_checkpoint_duration_ms: Some(30.0),
            last_checkpoint_size_bytes: Some(4096.0),
            last_checkpoint_at_ms: Some(10_000),
            jobmanager_heap_used_bytes: Some(64.0),
            jobmanager_heap_max_bytes: None,
        };
        let tms = vec![
            TaskManagerMetrics { id: "a".into(), slots_total: 4, slots_free: 1, cpu_load: Some(0.3), heap_used_bytes: Some(10), heap_max_bytes: Some(100), gc_time_ms_per_s: Some(3.0), managed_used_bytes: Some(1000), managed_total_bytes: Some(4000), metaspace_used_bytes: Some(50) },
            TaskManagerMetrics { id: "b".into(), slots_total: 4, slots_free: 4, cpu_load: Some(0.5), heap_used_bytes: Some(20), heap_max_bytes: None, gc_time_ms_per_s: Some(7.0), managed_used_bytes: None, managed_total_bytes: None, metaspace_used_bytes: Some(80) },
        ];
        let points = points_of(7, 25_000, &job, &tms);
        let job_level = |n: M| points.iter().find(|p| p.name == n && p.vertex.is_empty()).map(|p| p.value);
        assert_eq!(job_level(M::RecordsInPerSec), Some(150.0), "out of the sources");
        assert_eq!(job_level(M::RecordsOutPerSec), Some(150.0), "into the sinks");
        assert_eq!(job_level(M::BusyRatio), Some(0.7), "the busiest vertex");
        assert_eq!(job_level(M::BackpressureRatio), Some(0.35));
        assert_eq!(job_level(M::LagRecords), Some(40.0), "only sources that report it");
        assert_eq!(job_level(M::CheckpointAgeS), Some(15.0));
        assert_eq!(job_level(M::Restarts), Some(2.0));
        assert_eq!(job_level(M::TmCpuLoad), Some(0.5));
        assert_eq!(job_level(M::TmHeapUsedBytes), Some(30.0));
        assert_eq!(job_level(M::TmHeapMaxBytes), Some(100.0));
        assert_eq!(job_level(M::TmGcTimeMsPerSec), Some(7.0), "the TaskManager collecting most");
        assert_eq!(job_level(M::TmManagedMemoryUsedBytes), Some(1000.0), "summed over those that report it");
        assert_eq!(job_level(M::TmMetaspaceUsedBytes), Some(80.0), "the largest metaspace");
        assert_eq!(job_level(M::JmHeapUsedBytes), Some(64.0), "the JobManager's heap");
        assert_eq!(job_level(M::JmHeapMaxBytes), None, "not reported, not written");
        let per_vertex = points.iter().filter(|p| p.vertex == "sink").count();
        assert_eq!(per_vertex, 4, "busy, back-pressure, in and out per vertex");
        assert!(points.iter().all(|p| p.deployment_id == 7 && p.ts == 25_000));
        let silent = JobMetrics::default();
        assert!(points_of(7, 1, &silent, &[]).is_empty(), "nothing reported, nothing written");
    }
}
