//! Weir's own instruments, kept in process: how long the reconciler's looks take, the operations that
//! finished (by kind and result, with their durations) and the alert notifications sent or failed. They
//! count from this process's start, as Prometheus counters do; [`crate::metrics::export`] writes them out
//! with the figures read from the database and the observation book.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterLabel {
    pub cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub kind: String,
    /// `succeeded` or `failed`.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotificationLabels {
    /// The channel's kind: webhook, slack, email, alertmanager.
    pub channel: String,
    /// `sent` or `failed`.
    pub result: String,
}

fn look_histogram() -> Histogram {
    // 5 ms .. ~20 s
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

fn operation_histogram() -> Histogram {
    // 0.5 s .. ~17 min
    Histogram::new(exponential_buckets(0.5, 2.0, 12))
}

/// The instruments; cheap to clone (each is shared).
#[derive(Clone)]
pub struct Telemetry {
    /// One reconciler pass over one cluster (look, decide, act), in seconds.
    pub reconcile_pass: Family<ClusterLabel, Histogram, fn() -> Histogram>,
    pub operations_finished: Family<OperationLabels, Counter>,
    /// From admission to the end, in seconds.
    pub operation_duration: Family<KindLabel, Histogram, fn() -> Histogram>,
    pub notifications: Family<NotificationLabels, Counter>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            reconcile_pass: Family::new_with_constructor(look_histogram as fn() -> Histogram),
            operations_finished: Family::default(),
            operation_duration: Family::new_with_constructor(operation_histogram as fn() -> Histogram),
            notifications: Family::default(),
        }
    }
}

impl Telemetry {
    pub fn reconcile_pass(&self, cluster: &str, seconds: f64) {
        self.reconcile_pass.get_or_create(&ClusterLabel { cluster: cluster.to_owned() }).observe(seconds);
    }

    pub fn operation_finished(&self, kind: &str, succeeded: bool, seconds: f64) {
        let status = if succeeded { "succeeded" } else { "failed" };
        self.operations_finished
            .get_or_create(&OperationLabels { kind: kind.to_owned(), status: status.to_owned() })
            .inc();
        self.operation_duration.get_or_create(&KindLabel { kind: kind.to_owned() }).observe(seconds);
    }

    /// One delivery of an alert notification through a channel of this kind.
    pub fn notification(&self, channel_kind: &str, sent: bool) {
        let result = if sent { "sent" } else { "failed" };
        self.notifications
            .get_or_create(&NotificationLabels { channel: channel_kind.to_owned(), result: result.to_owned() })
            .inc();
    }
}
