//! Charts of the metrics history: which charts a deployment's series make ([`panels`]), the operations that
//! mark the time axis ([`markers_of`]), the newest value of each series ([`latest_values`]), the ranges the
//! Metrics tab offers ([`ChartRange`]) — pure, table-tested — and the components that draw them: [`Chart`]
//! (a `<figure>` with the server-rendered SVG picture, enhanced by uPlot in the browser) and [`Sparkline`].

use leptos::prelude::*;
use weir_model::metrics::{MetricName, MetricSeries, Metrics};
use weir_model::{Operation, OperationKind};

use super::chart_svg::{format_time, format_value, picture, ChartSpec, Line, Marker};

/// The ranges a chart offers, in the address as `range=15m|1h|6h|24h|7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartRange {
    Min15,
    Hour1,
    Hour6,
    Hour24,
    Day7,
}

impl ChartRange {
    pub const ALL: [ChartRange; 5] = [Self::Min15, Self::Hour1, Self::Hour6, Self::Hour24, Self::Day7];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Min15 => "15m",
            Self::Hour1 => "1h",
            Self::Hour6 => "6h",
            Self::Hour24 => "24h",
            Self::Day7 => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Min15 => "15 min",
            Self::Hour1 => "1 h",
            Self::Hour6 => "6 h",
            Self::Hour24 => "24 h",
            Self::Day7 => "7 d",
        }
    }

    pub fn ms(self) -> i64 {
        match self {
            Self::Min15 => 15 * 60_000,
            Self::Hour1 => 3_600_000,
            Self::Hour6 => 6 * 3_600_000,
            Self::Hour24 => 24 * 3_600_000,
            Self::Day7 => 7 * 24 * 3_600_000,
        }
    }

    /// The range an address names; one hour when it names none or an unknown one.
    pub fn parse(text: Option<&str>) -> Self {
        Self::ALL.into_iter().find(|r| Some(r.as_str()) == text).unwrap_or(Self::Hour1)
    }
}

/// The operations drawn on the time axis: those that start or stop a job in `env`, at the time they finished
/// (or started, while they run), within `[from, to]`.
pub fn markers_of(operations: &[Operation], env: &str, from: i64, to: i64) -> Vec<Marker> {
    let mut markers: Vec<Marker> = operations
        .iter()
        .filter(|o| o.environment == env && (o.kind.starts_a_job() || o.kind == OperationKind::Stop))
        .filter_map(|o| {
            let t = o.finished_at.or(o.started_at).unwrap_or(o.created_at).timestamp_millis();
            (t >= from && t <= to).then(|| Marker {
                t,
                label: format!("{} #{} ({}) at {}", o.kind, o.id, o.status, format_time(t, 0)),
                kind: o.kind.as_str().to_owned(),
            })
        })
        .collect();
    markers.sort_by_key(|m| m.t);
    markers
}

/// The union of the series' times, and each series' values aligned with it (`None` where it has none).
pub fn align(series: &[&MetricSeries]) -> (Vec<i64>, Vec<Vec<Option<f64>>>) {
    let mut x: Vec<i64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    x.sort_unstable();
    x.dedup();
    let values = series
        .iter()
        .map(|s| {
            let mut out = vec![None; x.len()];
            for (t, v) in &s.points {
                if let Ok(i) = x.binary_search(t) {
                    out[i] = Some(*v);
                }
            }
            out
        })
        .collect();
    (x, values)
}

/// Which series a chart draws: the job-level ones, every vertex's, or every TaskManager's (falling back to the
/// job-level series while no TaskManager has its own).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Split {
    Job,
    Vertex,
    TaskManager,
}

/// One chart of the Metrics tab: its id, title, the unit its lines share, and which series are its lines.
struct Panel {
    id: &'static str,
    title: &'static str,
    lines: &'static [(MetricName, &'static str)],
    split: Split,
}

const PANELS: &[Panel] = &[
    Panel { id: "throughput", title: "Throughput", lines: &[(MetricName::RecordsInPerSec, "in"), (MetricName::RecordsOutPerSec, "out")], split: Split::Job },
    Panel { id: "lag", title: "Source lag", lines: &[(MetricName::LagRecords, "pending records")], split: Split::Job },
    Panel { id: "busy", title: "Busy and back-pressure (busiest vertex)", lines: &[(MetricName::BusyRatio, "busy"), (MetricName::BackpressureRatio, "back-pressured")], split: Split::Job },
    Panel { id: "busy-vertices", title: "Busy per vertex", lines: &[(MetricName::BusyRatio, "")], split: Split::Vertex },
    Panel { id: "backpressure-vertices", title: "Back-pressure per vertex", lines: &[(MetricName::BackpressureRatio, "")], split: Split::Vertex },
    Panel { id: "checkpoint-duration", title: "Checkpoint duration", lines: &[(MetricName::CheckpointDurationMs, "duration")], split: Split::Job },
    Panel { id: "checkpoint-size", title: "Checkpoint size", lines: &[(MetricName::CheckpointSizeBytes, "size")], split: Split::Job },
    Panel { id: "checkpoint-age", title: "Age of the last checkpoint", lines: &[(MetricName::CheckpointAgeS, "age")], split: Split::Job },
    Panel { id: "checkpoints-failed", title: "Failed checkpoints", lines: &[(MetricName::CheckpointsFailed, "failed")], split: Split::Job },
    Panel { id: "restarts", title: "Restarts", lines: &[(MetricName::Restarts, "restarts")], split: Split::Job },
    Panel { id: "tm-cpu", title: "TaskManager CPU", lines: &[(MetricName::TmCpuLoad, "CPU")], split: Split::TaskManager },
    Panel { id: "tm-heap", title: "TaskManager heap", lines: &[(MetricName::TmHeapUsedBytes, "used"), (MetricName::TmHeapMaxBytes, "max")], split: Split::TaskManager },
    Panel { id: "tm-gc", title: "TaskManager garbage collection", lines: &[(MetricName::TmGcTimeMsPerSec, "GC")], split: Split::TaskManager },
    Panel { id: "tm-managed", title: "TaskManager managed memory", lines: &[(MetricName::TmManagedMemoryUsedBytes, "used")], split: Split::TaskManager },
    Panel { id: "tm-metaspace", title: "TaskManager metaspace (largest)", lines: &[(MetricName::TmMetaspaceUsedBytes, "used")], split: Split::TaskManager },
    Panel { id: "jm-heap", title: "JobManager heap", lines: &[(MetricName::JmHeapUsedBytes, "used"), (MetricName::JmHeapMaxBytes, "max")], split: Split::Job },
];

/// The charts of one deployment's metrics: job-level charts always, the TaskManagers' one line per
/// TaskManager, per-vertex busy and back-pressure only when asked for. A chart whose series have no point yet
/// is still there (it says "no data yet").
pub fn panels(metrics: &Metrics, per_vertex: bool, markers: &[Marker]) -> Vec<ChartSpec> {
    PANELS
        .iter()
        .filter(|p| p.split != Split::Vertex || per_vertex)
        .map(|p| {
            // Job-level charts keep one line per measure (empty when it has no point); per-vertex charts have
            // one line per vertex that reported; the TaskManagers' one per TaskManager and measure.
            let empty = MetricSeries { name: MetricName::Restarts, unit: String::new(), vertex: None, task_manager: None, points: vec![] };
            let job_level = |s: &&MetricSeries| s.vertex.is_none() && s.task_manager.is_none();
            let mut picked: Vec<(&MetricSeries, String)> = Vec::new();
            for (name, label) in p.lines {
                let of_name = || metrics.series.iter().filter(move |s| s.name == *name);
                let found: Vec<(&MetricSeries, String)> = match p.split {
                    Split::Vertex => {
                        of_name().filter(|s| s.vertex.is_some()).map(|s| (s, s.vertex.clone().unwrap_or_default())).collect()
                    }
                    Split::TaskManager => of_name()
                        .filter_map(|s| s.task_manager.as_ref().map(|tm| (s, format!("{tm} {label}"))))
                        .collect(),
                    Split::Job => Vec::new(),
                };
                if !found.is_empty() {
                    picked.extend(found);
                } else if p.split != Split::Vertex {
                    let s = of_name().find(job_level).unwrap_or(&empty);
                    picked.push((s, (*label).to_owned()));
                }
            }
            let refs: Vec<&MetricSeries> = picked.iter().map(|(s, _)| *s).collect();
            let (x, values) = align(&refs);
            let series: Vec<Line> =
                picked.into_iter().zip(values).map(|((_, label), values)| Line { label, values }).collect();
            ChartSpec {
                id: p.id.to_owned(),
                title: p.title.to_owned(),
                unit: p.lines.first().map(|(n, _)| n.unit()).unwrap_or_default().to_owned(),
                from: metrics.from,
                to: metrics.to,
                x,
                series,
                markers: markers.to_vec(),
                spark: false,
            }
        })
        .collect()
}

/// The newest value of a job-level series.
#[derive(Clone, Debug, PartialEq)]
pub struct LatestValue {
    pub name: MetricName,
    pub value: String,
    pub at: String,
}

/// The newest point of each job-level series, in the order of the measures' names, formatted in its unit.
pub fn latest_values(metrics: &Metrics) -> Vec<LatestValue> {
    MetricName::ALL
        .iter()
        .filter_map(|name| {
            let s = metrics.series.iter().find(|s| s.name == *name && s.vertex.is_none() && s.task_manager.is_none())?;
            let (t, v) = s.points.iter().max_by_key(|p| p.0)?;
            Some(LatestValue { name: *name, value: format_value(*v, name.unit()), at: format_time(*t, 0) })
        })
        .collect()
}

/// A sparkline of one series over `[from, to]`.
pub fn spark(id: &str, title: &str, unit: &str, from: i64, to: i64, points: &[(i64, f64)]) -> ChartSpec {
    ChartSpec {
        id: id.to_owned(),
        title: title.to_owned(),
        unit: unit.to_owned(),
        from,
        to,
        x: points.iter().map(|p| p.0).collect(),
        series: vec![Line { label: title.to_owned(), values: points.iter().map(|p| Some(p.1)).collect() }],
        markers: vec![],
        spark: true,
    }
}

/// The SVG picture of a chart (what a page without JavaScript shows).
#[component]
pub fn ChartPicture(spec: ChartSpec, width: f64, height: f64) -> impl IntoView {
    let p = picture(&spec, width, height);
    let (left, top, right, bottom) = p.area;
    let title = spec.title.clone();
    let lines = p
        .polylines
        .into_iter()
        .map(|(i, points)| view! { <polyline class=format!("line s{}", i % 8) points=points fill="none"/> })
        .collect_view();
    let markers = p
        .markers
        .into_iter()
        .map(|m| {
            view! {
                <line class=format!("marker {}", m.kind) x1=m.x.to_string() x2=m.x.to_string() y1=top.to_string() y2=bottom.to_string()>
                    <title>{m.title}</title>
                </line>
            }
        })
        .collect_view();
    let labels = p
        .labels
        .into_iter()
        .map(|l| view! { <text class="axis-label" x=l.x.to_string() y=l.y.to_string() text-anchor=l.anchor>{l.text}</text> })
        .collect_view();
    let empty = p.empty.map(|l| view! { <text class="no-data" x=l.x.to_string() y=l.y.to_string() text-anchor=l.anchor>{l.text}</text> });
    let axes = (!spec.spark).then(|| {
        view! { <path class="axes" d=format!("M{left} {top} V{bottom} H{right}") fill="none"/> }
    });
    view! {
        <svg
            class="chart-svg"
            viewBox=format!("0 0 {} {}", p.width, p.height)
            role="img"
            aria-label=title
            data-test="chart-svg"
        >
            {axes}
            {markers}
            {lines}
            {labels}
            {empty}
        </svg>
    }
    .into_any()
}

/// One chart: a titled figure with its legend, the server-rendered picture, and an empty host that the
/// browser's uPlot (`public/charts.js`) fills from `data-chart`.
#[component]
pub fn Chart(spec: ChartSpec) -> impl IntoView {
    let json = serde_json::to_string(&spec).unwrap_or_default();
    let legend = spec
        .series
        .iter()
        .enumerate()
        .map(|(i, l)| view! { <span class=format!("key s{}", i % 8)>{l.label.clone()}</span> })
        .collect_view();
    let (id, title, unit) = (spec.id.clone(), spec.title.clone(), spec.unit.clone());
    view! {
        <figure class="chart" data-chart=json data-chart-id=id>
            <figcaption>
                <strong>{title}</strong>
                <span class="muted small">" (" {unit} ") "</span>
                <span class="keys">{legend}</span>
            </figcaption>
            <div class="chart-live"></div>
            <ChartPicture spec=spec width=380.0 height=170.0/>
        </figure>
    }
    .into_any()
}

/// A small picture of one series (the dashboard's deployments).
#[component]
pub fn Sparkline(spec: ChartSpec) -> impl IntoView {
    let latest = spec
        .series
        .first()
        .and_then(|l| l.values.iter().rev().flatten().next().copied())
        .map(|v| format_value(v, &spec.unit))
        .unwrap_or_else(|| "–".into());
    let title = format!("{}: {latest}", spec.title);
    let id = spec.id.clone();
    view! {
        <span class="sparkline" title=title data-spark=id>
            <ChartPicture spec=spec width=120.0 height=28.0/>
            <span class="spark-value small">{latest}</span>
        </span>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use weir_model::metrics::Resolution;
    use weir_model::OperationStatus;

    fn series(name: MetricName, vertex: Option<&str>, points: Vec<(i64, f64)>) -> MetricSeries {
        MetricSeries { name, unit: name.unit().into(), vertex: vertex.map(Into::into), task_manager: None, points }
    }

    fn metrics(series: Vec<MetricSeries>) -> Metrics {
        Metrics { resolution: Resolution::Raw, from: 0, to: 100_000, series }
    }

    #[test]
    fn ranges_from_the_address() {
        assert_eq!(ChartRange::parse(Some("7d")), ChartRange::Day7);
        assert_eq!(ChartRange::parse(Some("15m")).ms(), 900_000);
        assert_eq!(ChartRange::parse(None), ChartRange::Hour1);
        assert_eq!(ChartRange::parse(Some("1y")), ChartRange::Hour1, "unknown: the default");
        for r in ChartRange::ALL {
            assert_eq!(ChartRange::parse(Some(r.as_str())), r);
        }
    }

    #[test]
    fn panels_group_series_and_align_their_times() {
        let m = metrics(vec![
            series(MetricName::RecordsInPerSec, None, vec![(1000, 5.0), (2000, 6.0)]),
            series(MetricName::RecordsOutPerSec, None, vec![(2000, 4.0), (3000, 3.0)]),
            series(MetricName::BusyRatio, None, vec![(1000, 0.5)]),
            series(MetricName::BusyRatio, Some("Source: a"), vec![(1000, 0.5)]),
            series(MetricName::BusyRatio, Some("Sink: b"), vec![(1000, 0.1)]),
        ]);
        let charts = panels(&m, false, &[]);
        let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
        assert!(!ids.contains(&"busy-vertices"), "per vertex only on demand");
        assert_eq!(ids.len(), 14);
        let t = &charts[0];
        assert_eq!(t.id, "throughput");
        assert_eq!(t.x, vec![1000, 2000, 3000]);
        assert_eq!(t.series[0].values, vec![Some(5.0), Some(6.0), None]);
        assert_eq!(t.series[1].values, vec![None, Some(4.0), Some(3.0)]);
        assert_eq!(t.unit, "records/s");
        let lag = charts.iter().find(|c| c.id == "lag").expect("lag chart");
        assert!(lag.is_empty(), "no lag reported: an empty chart, still shown");
        let busy = charts.iter().find(|c| c.id == "busy").expect("busy chart");
        assert_eq!(busy.series.len(), 2, "busiest vertex only, not each vertex");
        let with_vertices = panels(&m, true, &[]);
        let v = with_vertices.iter().find(|c| c.id == "busy-vertices").expect("per-vertex chart");
        let labels: Vec<&str> = v.series.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["Source: a", "Sink: b"]);
    }

    #[test]
    fn taskmanager_charts_draw_each_taskmanager_else_the_job_level_line() {
        let of_tm = |name: MetricName, tm: &str, v: f64| MetricSeries { task_manager: Some(tm.into()), ..series(name, None, vec![(1000, v)]) };
        let m = metrics(vec![
            series(MetricName::TmCpuLoad, None, vec![(1000, 0.7)]),
            of_tm(MetricName::TmCpuLoad, "tm-a", 0.7),
            of_tm(MetricName::TmCpuLoad, "tm-b", 0.2),
            of_tm(MetricName::TmHeapUsedBytes, "tm-a", 10.0),
            of_tm(MetricName::TmHeapMaxBytes, "tm-a", 100.0),
            series(MetricName::TmGcTimeMsPerSec, None, vec![(1000, 3.0)]),
        ]);
        let charts = panels(&m, false, &[]);
        let labels = |id: &str| -> Vec<String> {
            charts.iter().find(|c| c.id == id).map(|c| c.series.iter().map(|l| l.label.clone()).collect()).unwrap_or_default()
        };
        assert_eq!(labels("tm-cpu"), ["tm-a CPU", "tm-b CPU"], "one line per TaskManager");
        assert_eq!(labels("tm-heap"), ["tm-a used", "tm-a max"]);
        assert_eq!(labels("tm-gc"), ["GC"], "no TaskManager's own series: the job-level line");
        let latest = latest_values(&m);
        assert_eq!(latest.iter().find(|l| l.name == MetricName::TmCpuLoad).map(|l| l.value.as_str()), Some("70 %"), "the table shows the job-level value");
    }

    #[test]
    fn latest_value_of_each_job_level_series() {
        let m = metrics(vec![
            series(MetricName::RecordsInPerSec, None, vec![(1000, 5.0), (61_000, 1500.0)]),
            series(MetricName::BusyRatio, Some("v"), vec![(1000, 0.5)]),
            series(MetricName::TmHeapUsedBytes, None, vec![(1000, 2.0 * 1024.0 * 1024.0)]),
        ]);
        let latest = latest_values(&m);
        assert_eq!(latest.len(), 2, "per-vertex series are not in the table");
        assert_eq!(latest[0], LatestValue { name: MetricName::RecordsInPerSec, value: "1.50k records/s".into(), at: "00:01".into() });
        assert_eq!(latest[1].value, "2 MiB");
    }

    #[test]
    fn markers_from_the_operation_history() {
        let at = |s: i64| Utc.timestamp_opt(s, 0).single().expect("time");
        let op = |id: i64, kind: OperationKind, env: &str, finished: Option<i64>| Operation {
            id,
            namespace: "default".into(),
            job: "j".into(),
            environment: env.into(),
            kind,
            requested_by: "admin".into(),
            params: serde_json::Value::Null,
            status: OperationStatus::Succeeded,
            error: None,
            steps: vec![],
            created_at: at(10),
            started_at: Some(at(11)),
            finished_at: finished.map(at),
        };
        let ops = vec![
            op(4, OperationKind::Stop, "dev", Some(50)),
            op(3, OperationKind::Savepoint, "dev", Some(40)),
            op(2, OperationKind::Rollback, "prod", Some(30)),
            op(1, OperationKind::Deploy, "dev", None),
            op(0, OperationKind::Deploy, "dev", Some(500)),
        ];
        let m = markers_of(&ops, "dev", 0, 100_000);
        let kinds: Vec<(&str, i64)> = m.iter().map(|m| (m.kind.as_str(), m.t)).collect();
        assert_eq!(kinds, [("deploy", 11_000), ("stop", 50_000)], "no savepoint, no other environment, none out of range");
        assert!(m[1].label.starts_with("stop #4 (succeeded)"));
    }
}
