//! The metrics history read from a Prometheus that scrapes Flink's own Prometheus reporter, for environments
//! that name one (`prometheus_url`): the same measures and the same API answer, asked with PromQL
//! (`/api/v1/query_range`) instead of read from Weir's tables. Weir does not sample those deployments.
//!
//! A deployment's series are found by the job name Weir gives every job it submits (`pipeline.name` =
//! `<namespace>/<job>`, the reporter's `job_name` label, which the reporter writes as `<namespace>_<job>`: it
//! turns every character but letters, digits, `_` and `:` into `_`), so the history spans redeploys. Sources
//! are the tasks whose name starts with `Source`, sinks those whose name contains `Sink` or `Writer` (how
//! Flink names the vertices of SQL and DataStream jobs); per-vertex series carry the reporter's task names.
//! TaskManager figures are those of the TaskManagers running the job (the busiest or the sum, and per
//! TaskManager by the reporter's `tm_id`).

use std::time::Duration;

use serde::Deserialize;
use weir_model::metrics::{MetricName, MetricSeries, Resolution};

use crate::EngineError;

/// How a measure's series are split: one for the job, one per vertex (`task_name`), one per TaskManager
/// (`tm_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Job,
    Vertex,
    TaskManager,
}

/// The PromQL of a measure split as asked, `None` when the measure has no such form (per vertex: the
/// throughput, busy and back-pressure; per TaskManager: the `tm_*` measures).
pub fn promql(name: MetricName, job_name: &str, split: Split) -> Option<String> {
    let per_vertex = split == Split::Vertex;
    let job = format!("job_name=\"{}\"", escape(&reported_label(job_name)));
    let task = |metric: &str, extra: &str| format!("flink_taskmanager_job_task_{metric}{{{job}{extra}}}");
    let by_vertex = |agg: &str, expr: String, scale: &str| {
        if per_vertex {
            format!("{agg} by (task_name) ({expr}){scale}")
        } else {
            format!("{agg}({expr}){scale}")
        }
    };
    // The TaskManagers running the job: those that report one of its tasks.
    let running = format!("and on (tm_id) group by (tm_id) ({})", task("busyTimeMsPerSecond", ""));
    let by_tm = if split == Split::TaskManager { " by (tm_id)" } else { "" };
    let tm = |metric: &str, agg: &str| format!("{agg}{by_tm}(flink_taskmanager_Status_JVM_{metric} {running})");
    let jm = |metric: &str| format!("max(flink_jobmanager_job_{metric}{{{job}}})");
    if split == Split::TaskManager {
        return Some(match name {
            MetricName::TmCpuLoad => tm("CPU_Load", "max"),
            MetricName::TmHeapUsedBytes => tm("Memory_Heap_Used", "max"),
            MetricName::TmHeapMaxBytes => tm("Memory_Heap_Max", "max"),
            MetricName::TmGcTimeMsPerSec => tm("GarbageCollector_All_TimeMsPerSecond", "max"),
            MetricName::TmManagedMemoryUsedBytes => {
                format!("max by (tm_id) (flink_taskmanager_Status_Flink_Memory_Managed_Used {running})")
            }
            MetricName::TmMetaspaceUsedBytes => tm("Memory_Metaspace_Used", "max"),
            _ => return None,
        });
    }
    let q = match (name, per_vertex) {
        (MetricName::RecordsInPerSec, false) => by_vertex("sum", task("numRecordsOutPerSecond", ",task_name=~\"Source.*\""), ""),
        (MetricName::RecordsOutPerSec, false) => by_vertex("sum", task("numRecordsInPerSecond", ",task_name=~\".*(Sink|Writer).*\""), ""),
        (MetricName::RecordsInPerSec, true) => by_vertex("sum", task("numRecordsInPerSecond", ""), ""),
        (MetricName::RecordsOutPerSec, true) => by_vertex("sum", task("numRecordsOutPerSecond", ""), ""),
        (MetricName::BusyRatio, _) => by_vertex("max", task("busyTimeMsPerSecond", ""), " / 1000"),
        (MetricName::BackpressureRatio, _) => by_vertex("max", task("backPressuredTimeMsPerSecond", ""), " / 1000"),
        (MetricName::LagRecords, false) => {
            format!("sum(flink_taskmanager_job_task_operator_pendingRecords{{{job}}})")
        }
        (MetricName::CheckpointDurationMs, false) => jm("lastCheckpointDuration"),
        (MetricName::CheckpointSizeBytes, false) => jm("lastCheckpointSize"),
        (MetricName::CheckpointAgeS, false) => {
            format!("time() - max(flink_jobmanager_job_lastCheckpointCompletedTimestamp{{{job}}}) / 1000")
        }
        (MetricName::CheckpointsFailed, false) => jm("numberOfFailedCheckpoints"),
        (MetricName::Restarts, false) => jm("numRestarts"),
        (MetricName::TmCpuLoad, false) => tm("CPU_Load", "max"),
        (MetricName::TmHeapUsedBytes, false) => tm("Memory_Heap_Used", "sum"),
        (MetricName::TmHeapMaxBytes, false) => tm("Memory_Heap_Max", "sum"),
        (MetricName::TmGcTimeMsPerSec, false) => tm("GarbageCollector_All_TimeMsPerSecond", "max"),
        (MetricName::TmManagedMemoryUsedBytes, false) => {
            format!("sum(flink_taskmanager_Status_Flink_Memory_Managed_Used {running})")
        }
        (MetricName::TmMetaspaceUsedBytes, false) => tm("Memory_Metaspace_Used", "max"),
        // The JobManager running the job: the one (by host) that reports the job.
        (MetricName::JmHeapUsedBytes | MetricName::JmHeapMaxBytes, false) => {
            let metric = if name == MetricName::JmHeapUsedBytes { "Used" } else { "Max" };
            format!(
                "max(flink_jobmanager_Status_JVM_Memory_Heap_{metric} and on (host) group by (host) \
                 (flink_jobmanager_job_uptime{{{job}}}))"
            )
        }
        _ => return None,
    };
    Some(q)
}

/// The measures that also have per-vertex series (as the sampler keeps them).
pub fn has_vertex_series(name: MetricName) -> bool {
    matches!(
        name,
        MetricName::BusyRatio | MetricName::BackpressureRatio | MetricName::RecordsInPerSec | MetricName::RecordsOutPerSec
    )
}

/// A label value as Flink's Prometheus reporter writes it: every character but ASCII letters, digits, `_` and
/// `:` becomes `_`.
pub fn reported_label(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect()
}

/// A PromQL string literal's escaping.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The step of a range query at a resolution (raw: the sampling interval).
pub fn step_for(resolution: Resolution, interval: Duration) -> Duration {
    match resolution {
        Resolution::Raw => interval.max(Duration::from_secs(1)),
        Resolution::Minute => Duration::from_secs(60),
        Resolution::Hour => Duration::from_secs(3600),
    }
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<RangeSeries>,
}

#[derive(Deserialize)]
struct RangeSeries {
    #[serde(default)]
    metric: std::collections::HashMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Turns a `query_range` answer into series of `name` (one per `task_name` or `tm_id` as split); values that
/// are not finite numbers are left out.
pub fn series_of(name: MetricName, split: Split, body: &[u8]) -> Result<Vec<MetricSeries>, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("not a Prometheus answer: {e}"))?;
    if answer.status != "success" {
        return Err(answer.error.unwrap_or_else(|| format!("status {}", answer.status)));
    }
    let mut out = Vec::new();
    for s in answer.data.map(|d| d.result).unwrap_or_default() {
        let points: Vec<(i64, f64)> = s
            .values
            .iter()
            .filter_map(|(t, v)| v.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| ((t * 1000.0) as i64, v)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let label = |key: &str| s.metric.get(key).cloned();
        let (vertex, task_manager) = match split {
            Split::Job => (None, None),
            Split::Vertex => (label("task_name"), None),
            Split::TaskManager => (None, label("tm_id")),
        };
        out.push(MetricSeries { name, unit: name.unit().to_owned(), vertex, task_manager, points });
    }
    Ok(out)
}

/// Asks Prometheus one range query.
pub async fn query_range(
    http: &reqwest::Client,
    base: &str,
    promql: &str,
    from_ms: i64,
    to_ms: i64,
    step: Duration,
    timeout: Duration,
) -> Result<Vec<u8>, EngineError> {
    let unreachable = |e: String| EngineError::Unavailable(format!("the environment's Prometheus at {base}: {e}"));
    let res = http
        .get(format!("{base}/api/v1/query_range"))
        .query(&[
            ("query", promql.to_owned()),
            ("start", format!("{:.3}", from_ms as f64 / 1000.0)),
            ("end", format!("{:.3}", to_ms as f64 / 1000.0)),
            ("step", format!("{}s", step.as_secs().max(1))),
        ])
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| unreachable(e.to_string()))?;
    if status.is_server_error() {
        return Err(unreachable(format!("HTTP {status}")));
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_has_a_job_level_query_and_the_vertex_ones_a_per_vertex_query() {
        for name in MetricName::ALL {
            let q = promql(*name, "default/orders", Split::Job).expect("job-level query");
            assert!(q.contains("job_name=\"default_orders\""), "{name}: {q}");
            assert_eq!(promql(*name, "default/orders", Split::Vertex).is_some(), has_vertex_series(*name), "{name}");
            let per_tm = promql(*name, "default/orders", Split::TaskManager);
            assert_eq!(per_tm.is_some(), name.as_str().starts_with("tm_"), "{name}");
            assert!(per_tm.is_none_or(|q| q.contains("by (tm_id)")), "{name}");
        }
    }

    #[test]
    fn queries_read_what_flinks_reporter_writes() {
        let table = [
            (MetricName::BusyRatio, Split::Job, "max(flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"n_j\"}) / 1000"),
            (MetricName::BusyRatio, Split::Vertex, "max by (task_name) (flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"n_j\"}) / 1000"),
            (MetricName::Restarts, Split::Job, "max(flink_jobmanager_job_numRestarts{job_name=\"n_j\"})"),
            (
                MetricName::TmCpuLoad,
                Split::TaskManager,
                "max by (tm_id)(flink_taskmanager_Status_JVM_CPU_Load and on (tm_id) group by (tm_id) (flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=\"n_j\"}))",
            ),
            (
                MetricName::RecordsInPerSec,
                Split::Job,
                "sum(flink_taskmanager_job_task_numRecordsOutPerSecond{job_name=\"n_j\",task_name=~\"Source.*\"})",
            ),
            (MetricName::LagRecords, Split::Job, "sum(flink_taskmanager_job_task_operator_pendingRecords{job_name=\"n_j\"})"),
        ];
        for (name, split, want) in table {
            assert_eq!(promql(name, "n/j", split).as_deref(), Some(want), "{name} {split:?}");
        }
        // A job name cannot break out of its string (the reporter's sanitizing, then PromQL's escaping).
        let q = promql(MetricName::Restarts, "a\"} or vector(1) or {x=\"", Split::Job).unwrap_or_default();
        assert_eq!(q, "max(flink_jobmanager_job_numRestarts{job_name=\"a___or_vector_1__or__x__\"})");
        assert_eq!(reported_label("Source: src[2] -> Calc[3]"), "Source:_src_2_____Calc_3_");
        assert_eq!(escape("a\\b\"c"), "a\\\\b\\\"c");
    }

    #[test]
    fn range_answers_become_series() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"task_name":"Source: orders"},"values":[[1700000000,"0.5"],[1700000015,"NaN"],[1700000030.5,"0.25"]]},
            {"metric":{"task_name":"Sink: out"},"values":[[1700000000,"NaN"]]}]}}"#;
        let series = series_of(MetricName::BusyRatio, Split::Vertex, body).expect("parsed");
        assert_eq!(series.len(), 1, "a series with no number is left out");
        assert_eq!(series[0].vertex.as_deref(), Some("Source: orders"));
        assert_eq!(series[0].points, vec![(1_700_000_000_000, 0.5), (1_700_000_030_500, 0.25)]);
        assert_eq!(series[0].unit, "ratio");
        let err = series_of(MetricName::BusyRatio, Split::Job, br#"{"status":"error","error":"parse error"}"#);
        assert_eq!(err, Err("parse error".to_string()));
        assert!(series_of(MetricName::BusyRatio, Split::Job, b"<html>").is_err());
        let tms = br#"{"status":"success","data":{"result":[{"metric":{"tm_id":"tm_1"},"values":[[1,"0.5"]]}]}}"#;
        let series = series_of(MetricName::TmCpuLoad, Split::TaskManager, tms).expect("parsed");
        assert_eq!((series[0].task_manager.as_deref(), series[0].vertex.as_deref()), (Some("tm_1"), None));
    }

    #[test]
    fn the_step_follows_the_resolution() {
        assert_eq!(step_for(Resolution::Raw, Duration::from_secs(15)), Duration::from_secs(15));
        assert_eq!(step_for(Resolution::Raw, Duration::from_millis(200)), Duration::from_secs(1));
        assert_eq!(step_for(Resolution::Minute, Duration::from_secs(15)), Duration::from_secs(60));
        assert_eq!(step_for(Resolution::Hour, Duration::from_secs(15)), Duration::from_secs(3600));
    }
}
