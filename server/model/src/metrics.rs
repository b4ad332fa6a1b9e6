//! Metrics history on the wire: the names of the sampled measures, their units, the resolutions they are kept
//! at, and the answer of the metrics API.

use serde::{Deserialize, Serialize};

vocabulary! {
    /// A sampled measure of a deployment (job-level, or per vertex where the series names one).
    MetricName, "metric" {
        RecordsInPerSec = "records_in_per_s",
        RecordsOutPerSec = "records_out_per_s",
        BusyRatio = "busy_ratio",
        BackpressureRatio = "backpressure_ratio",
        LagRecords = "lag_records",
        CheckpointDurationMs = "checkpoint_duration_ms",
        CheckpointSizeBytes = "checkpoint_size_bytes",
        CheckpointAgeS = "checkpoint_age_s",
        CheckpointsFailed = "checkpoints_failed",
        Restarts = "restarts",
        TmCpuLoad = "tm_cpu_load",
        TmHeapUsedBytes = "tm_heap_used_bytes",
        TmHeapMaxBytes = "tm_heap_max_bytes",
        /// Garbage collection, the busiest TaskManager's milliseconds per second.
        TmGcTimeMsPerSec = "tm_gc_time_ms_per_s",
        /// Flink managed memory in use, summed over the TaskManagers.
        TmManagedMemoryUsedBytes = "tm_managed_memory_used_bytes",
        /// JVM metaspace in use, the largest of the TaskManagers'.
        TmMetaspaceUsedBytes = "tm_metaspace_used_bytes",
        /// The JobManager's heap in use and available.
        JmHeapUsedBytes = "jm_heap_used_bytes",
        JmHeapMaxBytes = "jm_heap_max_bytes",
    }
}

impl MetricName {
    /// The unit its values are in.
    pub fn unit(self) -> &'static str {
        match self {
            MetricName::RecordsInPerSec | MetricName::RecordsOutPerSec => "records/s",
            MetricName::BusyRatio | MetricName::BackpressureRatio | MetricName::TmCpuLoad => "ratio",
            MetricName::LagRecords => "records",
            MetricName::CheckpointDurationMs => "ms",
            MetricName::CheckpointSizeBytes
            | MetricName::TmHeapUsedBytes
            | MetricName::TmHeapMaxBytes
            | MetricName::TmManagedMemoryUsedBytes
            | MetricName::TmMetaspaceUsedBytes
            | MetricName::JmHeapUsedBytes
            | MetricName::JmHeapMaxBytes => "bytes",
            MetricName::TmGcTimeMsPerSec => "ms/s",
            MetricName::CheckpointAgeS => "s",
            MetricName::CheckpointsFailed | MetricName::Restarts => "count",
        }
    }
}

vocabulary! {
    /// How finely a series is kept: every sample (raw), one-minute averages, one-hour averages.
    Resolution, "resolution" {
        Raw = "raw",
        Minute = "1m",
        Hour = "1h",
    }
}

impl Resolution {
    /// The width of one point, in milliseconds (raw points are as frequent as the samples).
    pub fn bucket_ms(self) -> i64 {
        match self {
            Resolution::Raw => 1,
            Resolution::Minute => 60_000,
            Resolution::Hour => 3_600_000,
        }
    }
}

/// One series of the metrics API: a measure (of one vertex, when `vertex` is set) over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    pub name: MetricName,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertex: Option<String>,
    /// Set on the `tm_*` measures' series of one TaskManager (Flink's TaskManager id); unset on the
    /// job-level series (busiest or summed over the TaskManagers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<String>,
    /// `[unix_ms, value]`, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// The answer of `GET .../deployments/{env}/metrics`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The resolution chosen for the range.
    pub resolution: Resolution,
    pub from: i64,
    pub to: i64,
    pub series: Vec<MetricSeries>,
}

vocabulary! {
    /// A sampled measure of a cluster, from the reconciler's looks at it.
    ClusterMetricName, "cluster metric" {
        SlotsTotal = "slots_total",
        SlotsUsed = "slots_used",
        /// The busiest TaskManager's CPU load.
        CpuLoad = "cpu_load",
        /// Summed over the TaskManagers.
        HeapUsedBytes = "heap_used_bytes",
        HeapMaxBytes = "heap_max_bytes",
        /// Garbage collection, the busiest TaskManager's milliseconds per second.
        GcTimeMsPerSec = "gc_time_ms_per_s",
        /// Flink managed memory in use, summed over the TaskManagers.
        ManagedMemoryUsedBytes = "managed_memory_used_bytes",
    }
}

impl ClusterMetricName {
    /// The unit its values are in.
    pub fn unit(self) -> &'static str {
        match self {
            ClusterMetricName::SlotsTotal | ClusterMetricName::SlotsUsed => "slots",
            ClusterMetricName::CpuLoad => "ratio",
            ClusterMetricName::HeapUsedBytes
            | ClusterMetricName::HeapMaxBytes
            | ClusterMetricName::ManagedMemoryUsedBytes => "bytes",
            ClusterMetricName::GcTimeMsPerSec => "ms/s",
        }
    }

    /// The same measure of a deployment's TaskManagers (`tm_*`), for the measures a TaskManager reports.
    pub fn of_task_manager(name: MetricName) -> Option<ClusterMetricName> {
        Some(match name {
            MetricName::TmCpuLoad => ClusterMetricName::CpuLoad,
            MetricName::TmHeapUsedBytes => ClusterMetricName::HeapUsedBytes,
            MetricName::TmHeapMaxBytes => ClusterMetricName::HeapMaxBytes,
            MetricName::TmGcTimeMsPerSec => ClusterMetricName::GcTimeMsPerSec,
            MetricName::TmManagedMemoryUsedBytes => ClusterMetricName::ManagedMemoryUsedBytes,
            _ => return None,
        })
    }
}

/// One series of a cluster's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSeries {
    pub name: ClusterMetricName,
    pub unit: String,
    /// Set on the series of one TaskManager (Flink's TaskManager id); unset on the cluster's totals (the
    /// busiest TaskManager's CPU and GC, heap and managed memory summed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<String>,
    /// `[unix_ms, value]`, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// The answer of `GET /api/v1/clusters/{name}/history`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHistory {
    pub cluster: String,
    pub resolution: Resolution,
    pub from: i64,
    pub to: i64,
    pub series: Vec<ClusterSeries>,
}

/// One deployment's recent throughput and lag (the dashboard's sparklines).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentTrend {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub records_in_per_s: Vec<(i64, f64)>,
    pub lag_records: Vec<(i64, f64)>,
}

/// The dashboard's trends over its range: each visible deployment's throughput and lag, each cluster's
/// slot, CPU and heap use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trends {
    pub from: i64,
    pub to: i64,
    pub deployments: Vec<DeploymentTrend>,
    pub clusters: Vec<ClusterHistory>,
}
