//! The server-rendered picture of a chart: pure geometry (where each point, label and marker goes in an SVG
//! viewBox), the value and time formats the charts share, and the downsampling that keeps the picture small.
//! The `Chart` and `Sparkline` components (`charts.rs`) draw what [`picture`] computes; in the browser uPlot
//! (`frontend/charts`) replaces the picture, which is what a page without JavaScript keeps.

use chrono::{TimeZone, Utc};

/// One line of a chart: a label and its values, aligned with the chart's `x`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Line {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// An operation on the time axis.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Marker {
    /// Unix milliseconds.
    pub t: i64,
    pub label: String,
    /// deploy, rollback, stop, restart, recover.
    pub kind: String,
}

/// What a chart shows; serialized into the figure's `data-chart` for the browser's uPlot.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ChartSpec {
    /// A stable name (`throughput`, `busy-vertices`, ...), for tests and styling.
    pub id: String,
    pub title: String,
    pub unit: String,
    /// The time range shown, unix milliseconds.
    pub from: i64,
    pub to: i64,
    /// Unix milliseconds, oldest first, shared by every line.
    pub x: Vec<i64>,
    pub series: Vec<Line>,
    pub markers: Vec<Marker>,
    /// A sparkline: no axes, labels or legend.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub spark: bool,
}

impl ChartSpec {
    /// True when no line has a value.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|l| l.values.iter().all(Option::is_none))
    }
}

/// A text placed in the picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
    /// SVG `text-anchor`: start, middle, end.
    pub anchor: &'static str,
}

/// A vertical marker line.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkerLine {
    pub x: f64,
    pub kind: String,
    pub title: String,
}

/// A chart's picture in an SVG viewBox of `width` x `height`.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: f64,
    pub height: f64,
    /// The plot area: left, top, right, bottom.
    pub area: (f64, f64, f64, f64),
    /// `(series index, "x,y x,y ...")`: one polyline per run of values without a gap.
    pub polylines: Vec<(usize, String)>,
    pub markers: Vec<MarkerLine>,
    /// The axes' labels (value max and min, first and last time); none for a sparkline.
    pub labels: Vec<Label>,
    /// "no data yet", placed in the middle, when there is nothing to draw.
    pub empty: Option<Label>,
}

/// The most points one line keeps in the picture (uPlot gets them all).
pub const MAX_PICTURE_POINTS: usize = 240;

/// Averages consecutive points into at most `max` points (each the mean time and value of its run), keeping
/// the first and last time; gaps (`None`) are skipped. Fewer points than `max` are returned as they are.
pub fn downsample(points: &[(i64, f64)], max: usize) -> Vec<(i64, f64)> {
    if max == 0 || points.len() <= max {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|run| {
            let n = run.len() as f64;
            let t = run.iter().map(|p| p.0 as f64).sum::<f64>() / n;
            let v = run.iter().map(|p| p.1).sum::<f64>() / n;
            (t.round() as i64, v)
        })
        .collect()
}

/// The value range a chart's y axis spans: from 0 (or the lowest value, if negative) to the highest; a flat
/// series gets a unit of room.
pub fn y_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0_f64, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !hi.is_finite() || hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi)
}

/// Where everything of a chart goes in a `width` x `height` viewBox.
pub fn picture(spec: &ChartSpec, width: f64, height: f64) -> Picture {
    let area = if spec.spark { (1.0, 2.0, width - 1.0, height - 2.0) } else { (64.0, 10.0, width - 8.0, height - 22.0) };
    let (left, top, right, bottom) = area;
    let (from, to) = (spec.from, spec.to.max(spec.from + 1));
    let x_of = |t: i64| left + (t - from) as f64 / (to - from) as f64 * (right - left);
    let in_range = |t: i64| t >= from && t <= to;
    let (lo, hi) = y_range(
        spec.series.iter().flat_map(|l| spec.x.iter().zip(&l.values).filter(|(t, _)| in_range(**t)).filter_map(|(_, v)| *v)),
    );
    let y_of = |v: f64| bottom - (v - lo) / (hi - lo) * (bottom - top);
    let mut polylines = Vec::new();
    for (i, line) in spec.series.iter().enumerate() {
        // Runs of consecutive values; a gap starts a new polyline.
        let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
        for (t, v) in spec.x.iter().zip(&line.values) {
            match v {
                Some(v) if v.is_finite() && in_range(*t) => runs.last_mut().map_or((), |r| r.push((*t, *v))),
                _ => {
                    if runs.last().is_some_and(|r| !r.is_empty()) {
                        runs.push(Vec::new());
                    }
                }
            }
        }
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            let run = downsample(&run, MAX_PICTURE_POINTS);
            let mut coords: Vec<String> = run.iter().map(|(t, v)| format!("{:.1},{:.1}", x_of(*t), y_of(*v))).collect();
            if coords.len() == 1 {
                // A single point: a short tick, so it shows.
                let (t, v) = run[0];
                coords.push(format!("{:.1},{:.1}", x_of(t) + 2.0, y_of(v)));
            }
            polylines.push((i, coords.join(" ")));
        }
    }
    let markers = spec
        .markers
        .iter()
        .filter(|m| in_range(m.t))
        .map(|m| MarkerLine { x: (x_of(m.t) * 10.0).round() / 10.0, kind: m.kind.clone(), title: m.label.clone() })
        .collect();
    // A sparkline is too small for words: its value beside it says "–".
    let empty = (spec.is_empty() && !spec.spark).then(|| Label {
        x: (left + right) / 2.0,
        y: (top + bottom) / 2.0,
        text: "no data yet".into(),
        anchor: "middle",
    });
    let labels = if spec.spark {
        Vec::new()
    } else {
        let span = to - from;
        vec![
            Label { x: left - 4.0, y: top + 8.0, text: format_value(hi, &spec.unit), anchor: "end" },
            Label { x: left - 4.0, y: bottom, text: format_value(lo, &spec.unit), anchor: "end" },
            Label { x: left, y: height - 6.0, text: format_time(from, span), anchor: "start" },
            Label { x: right, y: height - 6.0, text: format_time(to, span), anchor: "end" },
        ]
    };
    Picture { width, height, area, polylines, markers, labels, empty }
}

/// A value in its unit, short: `1.2k records/s`, `45 %`, `12.0 MiB`, `350 ms`.
pub fn format_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let trim = |n: f64| {
        if n.abs() >= 100.0 || n == n.trunc() {
            format!("{n:.0}")
        } else if n.abs() >= 10.0 {
            format!("{n:.1}")
        } else {
            format!("{n:.2}")
        }
    };
    match unit {
        "ratio" => format!("{:.0} %", v * 100.0),
        "bytes" => {
            let mut n = v;
            let mut i = 0;
            let units = ["B", "KiB", "MiB", "GiB", "TiB"];
            while n.abs() >= 1024.0 && i < units.len() - 1 {
                n /= 1024.0;
                i += 1;
            }
            format!("{} {}", trim(n), units[i])
        }
        _ => {
            let a = v.abs();
            let scaled = if a >= 1e9 {
                format!("{}G", trim(v / 1e9))
            } else if a >= 1e6 {
                format!("{}M", trim(v / 1e6))
            } else if a >= 1e3 {
                format!("{}k", trim(v / 1e3))
            } else {
                trim(v)
            };
            if unit.is_empty() || unit == "count" {
                scaled
            } else {
                format!("{scaled} {unit}")
            }
        }
    }
}

/// A time label (UTC, the same on the server and in the browser): `HH:MM` within a day's span, else
/// `MM-DD HH:MM`.
pub fn format_time(unix_ms: i64, span_ms: i64) -> String {
    let Some(t) = Utc.timestamp_millis_opt(unix_ms).single() else { return String::new() };
    if span_ms <= 24 * 3_600_000 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(x: Vec<i64>, values: Vec<Option<f64>>) -> ChartSpec {
        ChartSpec {
            id: "t".into(),
            title: "T".into(),
            unit: "records/s".into(),
            from: 0,
            to: 1000,
            x,
            series: vec![Line { label: "in".into(), values }],
            markers: vec![],
            spark: false,
        }
    }

    fn coords(poly: &str) -> Vec<(f64, f64)> {
        poly.split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn points_map_into_the_plot_area() {
        let p = picture(&spec(vec![0, 500, 1000], vec![Some(0.0), Some(5.0), Some(10.0)]), 600.0, 160.0);
        let (left, top, right, bottom) = p.area;
        assert_eq!(p.polylines.len(), 1);
        let c = coords(&p.polylines[0].1);
        assert_eq!(c[0], (left, bottom), "the first point at the start, at zero");
        assert_eq!(c[1], ((left + right) / 2.0, (top + bottom) / 2.0), "half way, half height");
        assert_eq!(c[2], (right, top), "the newest at the end, at the top");
        for (x, y) in c {
            assert!((0.0..=600.0).contains(&x) && (0.0..=160.0).contains(&y));
        }
        assert!(p.empty.is_none());
        let texts: Vec<&str> = p.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["10 records/s", "0 records/s", "00:00", "00:00"]);
    }

    #[test]
    fn an_empty_series_says_no_data_yet() {
        for s in [spec(vec![], vec![]), spec(vec![1, 2], vec![None, None])] {
            let p = picture(&s, 600.0, 160.0);
            assert!(p.polylines.is_empty());
            assert_eq!(p.empty.as_ref().map(|l| l.text.as_str()), Some("no data yet"));
        }
    }

    #[test]
    fn gaps_split_lines_and_points_outside_the_range_are_left_out() {
        let p = picture(&spec(vec![-5, 100, 200, 300, 400, 2000], vec![Some(1.0), Some(1.0), Some(2.0), None, Some(3.0), Some(9.0)]), 600.0, 160.0);
        assert_eq!(p.polylines.len(), 2, "one line before the gap, one after");
        assert_eq!(coords(&p.polylines[0].1).len(), 2);
        assert_eq!(coords(&p.polylines[1].1).len(), 2, "a single point becomes a short tick");
        assert_eq!(p.labels[0].text, "3 records/s", "the y axis spans the values shown");
    }

    #[test]
    fn markers_are_vertical_lines_at_their_time() {
        let mut s = spec(vec![0, 1000], vec![Some(1.0), Some(1.0)]);
        s.markers = vec![
            Marker { t: 250, label: "deploy #3".into(), kind: "deploy".into() },
            Marker { t: 5000, label: "later".into(), kind: "stop".into() },
        ];
        let p = picture(&s, 600.0, 160.0);
        let (left, _, right, _) = p.area;
        assert_eq!(p.markers.len(), 1, "only markers within the range");
        assert_eq!(p.markers[0].x, ((left + (right - left) * 0.25) * 10.0).round() / 10.0);
        assert_eq!(p.markers[0].kind, "deploy");
    }

    #[test]
    fn sparklines_have_no_labels() {
        let mut s = spec(vec![0, 1000], vec![Some(1.0), Some(2.0)]);
        s.spark = true;
        let p = picture(&s, 120.0, 28.0);
        assert!(p.labels.is_empty());
        assert_eq!(p.polylines.len(), 1);
    }

    #[test]
    fn downsampling_averages_runs() {
        let points: Vec<(i64, f64)> = (0..10).map(|i| (i * 10, i as f64)).collect();
        assert_eq!(downsample(&points, 20), points, "few points stay as they are");
        let d = downsample(&points, 5);
        assert_eq!(d, vec![(5, 0.5), (25, 2.5), (45, 4.5), (65, 6.5), (85, 8.5)]);
        assert_eq!(downsample(&points, 3).len(), 3);
    }

    #[test]
    fn y_range_table() {
        assert_eq!(y_range([2.0, 8.0]), (0.0, 8.0), "from zero");
        assert_eq!(y_range([-2.0, 3.0]), (-2.0, 3.0), "down to a negative value");
        assert_eq!(y_range([0.0, 0.0]), (0.0, 1.0), "flat at zero");
        assert_eq!(y_range(std::iter::empty()), (0.0, 1.0), "nothing");
    }

    #[test]
    fn value_formats() {
        #[rustfmt::skip]
        let table: Vec<(f64, &str, &str)> = vec![
            (0.0, "records/s", "0 records/s"),
            (1.5, "records/s", "1.50 records/s"),
            (1234.0, "records/s", "1.23k records/s"),
            (2_500_000.0, "records", "2.50M records"),
            (0.456, "ratio", "46 %"),
            (3.0 * 1024.0 * 1024.0, "bytes", "3 MiB"),
            (1536.0, "bytes", "1.50 KiB"),
            (350.0, "ms", "350 ms"),
            (7.0, "count", "7"),
            (f64::NAN, "ms", "–"),
        ];
        for (v, unit, want) in table {
            assert_eq!(format_value(v, unit), want, "{v} {unit}");
        }
        assert_eq!(format_time(3_600_000 * 25 + 60_000, 3_600_000), "01:01");
        assert_eq!(format_time(3_600_000 * 25 + 60_000, 7 * 24 * 3_600_000), "01-02 01:01");
    }
}
