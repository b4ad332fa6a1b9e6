//! The recommendation itself (pure; table tests on recorded series): from a deployment's figures over a
//! window and the environment's settings, the parallelism each vertex needs and the memory the TaskManagers
//! use, with the explanation in words and numbers.
//!
//! Parallelism follows the Flink Kubernetes Operator's autoscaler (true processing rate, DS2):
//! - figures are read only after `stabilization_s` from the job's start, over the last `window_s`, and only
//!   once a full window has been seen;
//! - per vertex: rate = mean records in per second (records out for a source), busy = mean busy ratio of its
//!   busiest subtask, true processing rate TPR = rate / busy;
//! - target rate: a source's rate + the growth of the lag (records/s); downstream vertices get their rate
//!   scaled by the sources' (target / observed) ratio; catch-up rate = lag / `catch_up_s`, spread the same way;
//! - needed capacity = catch-up + target / `target_utilization`; new parallelism = ceil(needed / TPR x
//!   current), clamped to [1, max parallelism], aligned up to a divisor of the max parallelism (key groups);
//! - a vertex whose busy ratio is within `target_utilization ± utilization_tolerance` (and whose source lag
//!   does not grow) keeps its parallelism;
//! - a decrease is only advised after `scale_down_after_s` of figures, and takes the largest need of every
//!   window in that interval (a busy spell within it keeps the parallelism it needed).
//!
//! The job's parallelism is the largest vertex advice (SQL jobs set one parallelism for every vertex).
//! Memory: TaskManager heap, metaspace and the JobManager's heap = observed peak x `headroom`; managed memory =
//! its peak x headroom (0 when unused).

use sha2::{Digest, Sha256};
use weir_model::recommendations::{
    BasedOn, MemoryAdvice, MemoryComponent, ParallelismAdvice, RecommendationSettings, RecommendationStatus,
    VertexAdvice,
};

/// A series: `(unix_ms, value)`, oldest first.
pub type Series = Vec<(i64, f64)>;

/// One vertex of the running job with its series.
#[derive(Clone, Debug, Default)]
pub struct VertexInput {
    pub name: String,
    pub parallelism: u32,
    /// Flink's max parallelism (key groups) of the vertex.
    pub max_parallelism: u32,
    pub source: bool,
    pub busy_ratio: Series,
    pub records_in_per_s: Series,
    pub records_out_per_s: Series,
}

/// Everything a recommendation is computed from.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub now_ms: i64,
    /// When the running job was (re)started.
    pub started_ms: i64,
    pub vertices: Vec<VertexInput>,
    /// The sources' lag (records waiting), when the connector reports it.
    pub lag_records: Series,
    /// Heap used, one series per TaskManager (or one for all).
    pub heap_used: Vec<Series>,
    pub heap_max: Vec<Series>,
    pub managed_used: Vec<Series>,
    /// Metaspace used (the largest TaskManager's).
    pub metaspace_used: Vec<Series>,
    /// The JobManager's heap, used and available.
    pub jm_heap_used: Vec<Series>,
    pub jm_heap_max: Vec<Series>,
    pub settings: RecommendationSettings,
}

/// What the algorithm answers (the engine adds names, cost and dismissal).
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    pub status: RecommendationStatus,
    pub reason: String,
    pub parallelism: ParallelismAdvice,
    pub memory: MemoryAdvice,
    pub explanation: String,
    pub based_on: BasedOn,
    pub fingerprint: String,
}

/// Fewer samples than this in the window of the busiest vertex is not enough data.
pub const MIN_SAMPLES: usize = 3;
const MIB: f64 = 1024.0 * 1024.0;

/// A rate as people read it: 950, 4.1k, 2.3M.
pub fn rate_text(r: f64) -> String {
    let a = r.abs();
    let sign = if r < 0.0 { "-" } else { "" };
    if a >= 1e6 {
        format!("{sign}{:.1}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        format!("{sign}{:.0}", a)
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / MIB)
}

fn pct(r: f64) -> String {
    format!("{:.0}%", r * 100.0)
}

fn within(series: &Series, from: i64, to: i64) -> Vec<f64> {
    series.iter().filter(|(t, v)| *t >= from && *t <= to && v.is_finite()).map(|(_, v)| *v).collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Growth per second of a series over the window (last - first) / dt; none with fewer than two points.
fn growth_per_s(series: &Series, from: i64, to: i64) -> Option<(f64, f64)> {
    let pts: Vec<&(i64, f64)> = series.iter().filter(|(t, v)| *t >= from && *t <= to && v.is_finite()).collect();
    let (first, last) = (pts.first()?, pts.last()?);
    if last.0 <= first.0 {
        return None;
    }
    Some(((last.1 - first.1) / ((last.0 - first.0) as f64 / 1000.0), last.1))
}

/// The smallest divisor of `max_parallelism` at or above `p` (up to half of it), else `p`: key groups spread
/// evenly, as the autoscaler aligns.
pub fn align(p: u32, max_parallelism: u32) -> u32 {
    let p = p.clamp(1, max_parallelism.max(1));
    (p..=max_parallelism / 2).find(|d| max_parallelism.is_multiple_of(*d)).unwrap_or(p)
}

fn fingerprint_of(status: RecommendationStatus, p: &ParallelismAdvice) -> String {
    let text = format!("{status}|p{}->{}", p.current, p.recommended);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The recommendation for a deployment from its inputs.
pub fn recommend(inp: &Inputs) -> Advice {
    let s = &inp.settings;
    let observed_from = inp.started_ms + s.stabilization_s as i64 * 1000;
    let from = (inp.now_ms - s.window_s as i64 * 1000).max(observed_from);
    let to = inp.now_ms;
    let current = inp.vertices.iter().map(|v| v.parallelism).max().unwrap_or(0);
    let keep: Vec<VertexAdvice> = inp
        .vertices
        .iter()
        .map(|v| VertexAdvice {
            name: v.name.clone(),
            current: v.parallelism,
            recommended: v.parallelism,
            busy_ratio: None,
            processing_rate: None,
            input_rate: None,
            target_rate: None,
            max_parallelism: v.max_parallelism,
            reason: "not computed yet".into(),
        })
        .collect();
    let memory = memory_advice(inp, from, to);
    let collecting = |reason: String, samples: u32| {
        let parallelism = ParallelismAdvice { current, recommended: current, vertices: keep.clone() };
        Advice {
            status: RecommendationStatus::Collecting,
            explanation: format!("Not enough data: {reason}"),
            reason,
            fingerprint: fingerprint_of(RecommendationStatus::Collecting, &parallelism),
            parallelism,
            memory: memory.clone(),
            based_on: BasedOn { from, to, samples },
        }
    };
    let ready_at = observed_from + s.window_s as i64 * 1000;
    if inp.now_ms < ready_at {
        let ran = ((inp.now_ms - inp.started_ms) / 1000).max(0);
        return collecting(
            format!(
                "the job started {ran} s ago; figures are read after a {} s stabilization over a {} s window: ready in about {} s",
                s.stabilization_s,
                s.window_s,
                (ready_at - inp.now_ms + 999) / 1000
            ),
            0,
        );
    }
    if inp.vertices.is_empty() {
        return collecting("the cluster reports no vertices for the job".into(), 0);
    }
    let samples = inp.vertices.iter().map(|v| within(&v.busy_ratio, from, to).len()).max().unwrap_or(0);
    if samples < MIN_SAMPLES {
        return collecting(
            format!("only {samples} busy-ratio sample(s) in the window (at least {MIN_SAMPLES} are needed)"),
            samples as u32,
        );
    }

    // Sources: observed rate, lag trend, and the demand factor (target / observed) spread downstream.
    let rate_of = |v: &VertexInput| {
        if v.source {
            mean(&within(&v.records_out_per_s, from, to))
        } else {
            mean(&within(&v.records_in_per_s, from, to))
        }
    };
    let lag = growth_per_s(&inp.lag_records, from, to);
    let (lag_growth, lag_now) = lag.map(|(g, l)| (g, l.max(0.0))).unwrap_or((0.0, 0.0));
    let source_rate: f64 = inp.vertices.iter().filter(|v| v.source).filter_map(rate_of).sum();
    let demand_factor = if source_rate > 0.0 { ((source_rate + lag_growth) / source_rate).max(0.0) } else { 1.0 };
    let catch_up_total = lag_now / s.catch_up_s as f64;
    let (low, high) = (s.target_utilization - s.utilization_tolerance, s.target_utilization + s.utilization_tolerance);

    let mut vertices = Vec::new();
    for v in &inp.vertices {
        let busy = mean(&within(&v.busy_ratio, from, to));
        let rate = rate_of(v);
        let max_p = v.max_parallelism.max(1);
        let mut a = VertexAdvice {
            name: v.name.clone(),
            current: v.parallelism,
            recommended: v.parallelism,
            busy_ratio: busy,
            processing_rate: None,
            input_rate: rate,
            target_rate: None,
            max_parallelism: max_p,
            reason: String::new(),
        };
        let (Some(busy), Some(rate)) = (busy, rate) else {
            let missing = if busy.is_none() {
                "no busy ratio reported (Flink does not measure busy time for some sources)"
            } else {
                "no rate reported"
            };
            a.reason = format!("{missing}: kept, and it does not weigh in the job's parallelism");
            vertices.push(a);
            continue;
        };
        let target = rate * demand_factor;
        let catch_up = if source_rate > 0.0 { catch_up_total * rate / source_rate } else { 0.0 };
        a.target_rate = Some(target);
        let lag_grows = lag_growth > 0.0 && lag.is_some();
        if busy >= low && busy <= high && !lag_grows {
            a.reason = format!("{} busy is within the target {}–{}: kept at {}", pct(busy), pct(low), pct(high), v.parallelism);
            if busy > 0.0 && rate > 0.0 {
                a.processing_rate = Some(rate / busy);
            }
            vertices.push(a);
            continue;
        }
        if busy < 0.01 || rate <= 0.0 {
            a.recommended = 1;
            a.reason = format!(
                "{} busy at {} rec/s: idle, 1 subtask is enough",
                pct(busy),
                rate_text(rate)
            );
            vertices.push(a);
            continue;
        }
        let tpr = rate / busy;
        a.processing_rate = Some(tpr);
        let needed = catch_up + target / s.target_utilization;
        let factor = needed / tpr;
        let raw = ((factor * v.parallelism as f64) - 1e-9).ceil().max(1.0) as u32;
        let p = align(raw.min(max_p), max_p);
        a.recommended = p;
        a.reason = format!(
            "{} busy at {} rec/s with p={} → true processing rate {} rec/s; needed ({} catch-up + {} target / {} utilization) = {} rec/s; scale factor {:.2} → p={}{}",
            pct(busy),
            rate_text(rate),
            v.parallelism,
            rate_text(tpr),
            rate_text(catch_up),
            rate_text(target),
            s.target_utilization,
            rate_text(needed),
            factor,
            raw,
            if p != raw { format!(", aligned to {p} (a divisor of max parallelism {max_p})") } else { String::new() }
        );
        vertices.push(a);
    }

    // Only vertices with figures weigh in (one without a busy ratio cannot say what it needs).
    let wanted = vertices.iter().filter(|v| v.busy_ratio.is_some() && v.input_rate.is_some()).map(|v| v.recommended).max().unwrap_or(current);
    let watched_s = (inp.now_ms - observed_from) / 1000;
    let mut parallelism = ParallelismAdvice { current, recommended: wanted, vertices };
    let driver = parallelism.vertices.iter().filter(|v| v.busy_ratio.is_some()).max_by(|a, b| {
        (a.recommended, a.busy_ratio.unwrap_or(0.0))
            .partial_cmp(&(b.recommended, b.busy_ratio.unwrap_or(0.0)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let lag_text = match lag {
        Some((g, l)) => format!("; the source lag is {} records ({} rec/s)", rate_text(l), if g >= 0.0 { format!("+{}", rate_text(g)) } else { rate_text(g) }),
        None => String::new(),
    };
    let based_on = BasedOn { from, to, samples: samples as u32 };
    let sql_note = "SQL jobs set one parallelism for every vertex: the job's is the largest vertex advice.";
    let memory_note = memory_sentence(&memory);
    if wanted < current && watched_s < s.scale_down_after_s as i64 {
        parallelism.recommended = current;
        let reason = format!(
            "the figures suggest p={current} -> {wanted}, but a decrease is only advised after {} s of figures ({watched_s} s so far)",
            s.scale_down_after_s
        );
        let status = RecommendationStatus::Collecting;
        return Advice {
            status,
            explanation: format!("Not enough data for a decrease: {reason}. {memory_note}"),
            reason,
            fingerprint: fingerprint_of(status, &parallelism),
            parallelism,
            memory,
            based_on,
        };
    }
    // A decrease takes the largest advice of every window in the scale-down interval (as the autoscaler does):
    // a busy spell within it keeps the parallelism it needed.
    let interval_need = if wanted < current { most_needed_before(inp) } else { None };
    let wanted = match interval_need {
        Some((p, _)) if p > wanted => p.min(current),
        _ => wanted,
    };
    parallelism.recommended = wanted;
    let interval_note = match interval_need {
        Some((p, at)) if p >= wanted && wanted < current && p > 1 => {
            format!(" (the most any window of the last {} s needed: p={p} at {at} s ago)", s.scale_down_after_s)
        }
        _ => String::new(),
    };
    let (status, reason, explanation) = match driver {
        Some(_) if wanted == current && interval_need.is_some_and(|(p, _)| p >= current) => {
            let (p, at) = interval_need.unwrap_or((current, 0));
            let reason = format!(
                "no change needed: the latest window would allow fewer than p={current}, but a window {at} s ago \
                 needed p={p} (a decrease takes the largest need of the last {} s)",
                s.scale_down_after_s
            );
            let explanation = format!("{reason}. {memory_note}");
            (RecommendationStatus::NoChange, reason, explanation)
        }
        Some(d) if wanted != current => {
            let direction = if wanted > current { "increase" } else { "decrease" };
            let busy = d.busy_ratio.map(pct).unwrap_or_else(|| "?".into());
            let rate = d.input_rate.map(rate_text).unwrap_or_else(|| "?".into());
            let reason = format!(
                "{direction} parallelism p={current} -> {wanted}: vertex '{}' is {busy} busy at {rate} rec/s{lag_text}{interval_note}",
                d.name
            );
            let per_vertex: Vec<String> =
                parallelism.vertices.iter().map(|v| format!("'{}' p={} -> {}: {}", v.name, v.current, v.recommended, v.reason)).collect();
            let explanation = format!(
                "p={current} -> {wanted}: vertex '{}' is {busy} busy at {rate} rec/s{lag_text}. Expected effect: each vertex \
                 near {} busy. {} Per vertex: {}. {memory_note}",
                d.name,
                pct(s.target_utilization),
                sql_note,
                per_vertex.join("; ")
            );
            (RecommendationStatus::Ready, reason, explanation)
        }
        _ => {
            let busiest = parallelism
                .vertices
                .iter()
                .filter(|v| v.busy_ratio.is_some())
                .max_by(|a, b| a.busy_ratio.partial_cmp(&b.busy_ratio).unwrap_or(std::cmp::Ordering::Equal));
            let reason = match busiest {
                Some(b) => format!(
                    "no change needed: p={current} fits; the busiest vertex '{}' is {} busy at {} rec/s{lag_text}",
                    b.name,
                    pct(b.busy_ratio.unwrap_or(0.0)),
                    b.input_rate.map(rate_text).unwrap_or_else(|| "?".into())
                ),
                None => format!("no change needed: p={current}"),
            };
            let explanation = format!("{reason}. {memory_note}");
            (RecommendationStatus::NoChange, reason, explanation)
        }
    };
    Advice {
        status,
        reason,
        fingerprint: fingerprint_of(status, &parallelism),
        parallelism,
        memory,
        explanation,
        based_on,
    }
}

/// The largest parallelism the job needed in the earlier windows of the scale-down interval (each window
/// judged on its own), with how long ago that window ended; none when no earlier window had enough figures.
fn most_needed_before(inp: &Inputs) -> Option<(u32, i64)> {
    let s = &inp.settings;
    let window_ms = (s.window_s as i64 * 1000).max(1000);
    let earliest = inp.now_ms - s.scale_down_after_s as i64 * 1000;
    let single = RecommendationSettings { scale_down_after_s: 0, ..s.clone() };
    let mut best: Option<(u32, i64)> = None;
    let mut end = inp.now_ms - window_ms;
    while end - window_ms >= earliest {
        let past = Inputs { now_ms: end, settings: single.clone(), ..inp.clone() };
        let advice = recommend(&past);
        if advice.status != RecommendationStatus::Collecting {
            let p = advice.parallelism.recommended;
            if best.is_none_or(|(b, _)| p > b) {
                best = Some((p, (inp.now_ms - end) / 1000));
            }
        }
        end -= window_ms;
    }
    best
}

fn peak(series: &[Series], from: i64, to: i64) -> Option<f64> {
    series.iter().flat_map(|s| within(s, from, to)).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

fn latest(series: &[Series]) -> Option<f64> {
    series.iter().filter_map(|s| s.last().map(|p| p.1)).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

/// A memory component sized from its observed peak: peak x headroom, rounded up to a MiB, said against what
/// there is (`current`) when known.
fn sized_from_peak(component: &str, what: &str, peak: Option<f64>, current: Option<f64>, headroom: f64) -> MemoryComponent {
    let round_mib = |bytes: f64| ((bytes / MIB).ceil() * MIB) as u64;
    let Some(p) = peak else {
        return MemoryComponent {
            component: component.into(),
            current_bytes: current.map(|m| m as u64),
            observed_peak_bytes: None,
            recommended_bytes: None,
            reason: format!("no {what} figures in the window"),
        };
    };
    let rec = round_mib(p * headroom);
    let change = match current {
        Some(m) if (rec as f64) < m * 0.9 => format!(": {} less than the {} there is", mib(m - rec as f64), mib(m)),
        Some(m) if (rec as f64) > m => format!(": {} more than the {} there is", mib(rec as f64 - m), mib(m)),
        Some(m) => format!(": close to the {} there is", mib(m)),
        None => String::new(),
    };
    MemoryComponent {
        component: component.into(),
        current_bytes: current.map(|m| m as u64),
        observed_peak_bytes: Some(p as u64),
        recommended_bytes: Some(rec),
        reason: format!("observed peak {} x {headroom} headroom = {}{change}", mib(p), mib(rec as f64)),
    }
}

/// Memory advice from the observed peaks (shown; not applied: see the note).
fn memory_advice(inp: &Inputs, from: i64, to: i64) -> MemoryAdvice {
    let h = inp.settings.headroom;
    let round_mib = |bytes: f64| ((bytes / MIB).ceil() * MIB) as u64;
    let heap = sized_from_peak("taskmanager_heap", "heap", peak(&inp.heap_used, from, to), latest(&inp.heap_max), h);
    let managed = match peak(&inp.managed_used, from, to) {
        Some(p) if p <= 0.0 => MemoryComponent {
            component: "taskmanager_managed".into(),
            current_bytes: None,
            observed_peak_bytes: Some(0),
            recommended_bytes: Some(0),
            reason: "managed memory is unused (no RocksDB state or batch operators): it could be 0".into(),
        },
        Some(p) => MemoryComponent {
            component: "taskmanager_managed".into(),
            current_bytes: None,
            observed_peak_bytes: Some(p as u64),
            recommended_bytes: Some(round_mib(p * h)),
            reason: format!("observed peak {} x {h} headroom = {}", mib(p), mib(round_mib(p * h) as f64)),
        },
        None => MemoryComponent {
            component: "taskmanager_managed".into(),
            current_bytes: None,
            observed_peak_bytes: None,
            recommended_bytes: None,
            reason: "no managed memory figures in the window".into(),
        },
    };
    let metaspace = sized_from_peak("taskmanager_metaspace", "metaspace", peak(&inp.metaspace_used, from, to), None, h);
    let jobmanager =
        sized_from_peak("jobmanager_heap", "JobManager heap", peak(&inp.jm_heap_used, from, to), latest(&inp.jm_heap_max), h);
    MemoryAdvice {
        applies: false,
        note: "Memory advice is shown, not applied: on a session cluster the TaskManagers belong to the cluster \
               (it applies to per-job clusters); applying it there is not built yet. Only parallelism is applied."
            .into(),
        components: vec![heap, managed, metaspace, jobmanager],
    }
}

fn memory_sentence(m: &MemoryAdvice) -> String {
    let parts: Vec<String> = m
        .components
        .iter()
        .filter(|c| c.recommended_bytes.is_some())
        .map(|c| format!("{}: {}", c.component.replace('_', " "), c.reason))
        .collect();
    if parts.is_empty() {
        "Memory: no figures yet.".into()
    } else {
        format!("Memory (shown, not applied): {}.", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn settings() -> RecommendationSettings {
        RecommendationSettings {
            stabilization_s: 10,
            window_s: 30,
            scale_down_after_s: 40,
            target_utilization: 0.7,
            utilization_tolerance: 0.2,
            catch_up_s: 60,
            headroom: 1.2,
        }
    }

    /// A series sampled every second from `start` for `n` seconds with values from `f(i)`.
    fn series(start: i64, n: i64, f: impl Fn(i64) -> f64) -> Series {
        (0..n).map(|i| (start + i * S, f(i))).collect()
    }

    fn vertex(name: &str, p: u32, source: bool, busy: f64, rate: f64, n: i64) -> VertexInput {
        VertexInput {
            name: name.into(),
            parallelism: p,
            max_parallelism: 128,
            source,
            busy_ratio: series(0, n, |_| busy),
            records_in_per_s: series(0, n, |_| if source { 0.0 } else { rate }),
            records_out_per_s: series(0, n, |_| rate),
        }
    }

    fn inputs(now_s: i64, vertices: Vec<VertexInput>) -> Inputs {
        Inputs { now_ms: now_s * S, started_ms: 0, vertices, settings: settings(), ..Default::default() }
    }

    #[test]
    fn collecting_before_stabilization_and_window() {
        let a = recommend(&inputs(20, vec![vertex("Source", 1, true, 0.1, 100.0, 20)]));
        assert_eq!(a.status, RecommendationStatus::Collecting);
        assert!(a.reason.contains("ready in about 20 s"), "{}", a.reason);
        assert_eq!(a.parallelism.recommended, 1);
    }

    #[test]
    fn collecting_without_enough_samples() {
        let mut v = vertex("Source", 1, true, 0.1, 100.0, 60);
        v.busy_ratio.retain(|(t, _)| *t < 12 * S);
        let a = recommend(&inputs(60, vec![v]));
        assert_eq!(a.status, RecommendationStatus::Collecting);
        assert!(a.reason.contains("sample"), "{}", a.reason);
    }

    /// Recorded: a datagen source back-pressured by a GroupAggregate that is 96% busy at 4.1k rec/s, p=1,
    /// with the lag growing by 2k rec/s.
    #[test]
    fn busy_vertex_with_growing_lag_scales_up() {
        let mut inp = inputs(
            60,
            vec![
                vertex("Source: datagen", 1, true, 0.05, 4100.0, 60),
                vertex("GroupAggregate", 1, false, 0.96, 4100.0, 60),
                vertex("Sink: blackhole", 1, false, 0.02, 4100.0, 60),
            ],
        );
        inp.lag_records = series(0, 60, |i| 2000.0 * i as f64);
        let a = recommend(&inp);
        assert_eq!(a.status, RecommendationStatus::Ready, "{}", a.reason);
        let agg = &a.parallelism.vertices[1];
        // TPR = 4100 / 0.96 = 4271; target = 4100 x (6100 / 4100) = 6100; lag at t=59: 118k / 60 s = 1967
        // catch-up; needed = 1967 + 6100 / 0.7 = 10681; factor 2.50 -> ceil(2.50) = 3 -> aligned to 4.
        assert_eq!(agg.recommended, 4, "{}", agg.reason);
        assert_eq!(a.parallelism.recommended, 4);
        assert_eq!(a.parallelism.current, 1);
        assert!(a.explanation.contains("p=1 -> 4: vertex 'GroupAggregate' is 96% busy at 4.1k rec/s"), "{}", a.explanation);
        assert!(a.explanation.contains("+2.0k rec/s"), "{}", a.explanation);
        assert_eq!(a.based_on.from, 30 * S);
        assert_eq!(a.based_on.samples, 30);
    }

    /// A busy vertex without a lag figure (datagen reports none): target = observed rate.
    #[test]
    fn busy_vertex_without_lag_scales_up_by_utilization() {
        let a = recommend(&inputs(
            60,
            vec![vertex("Source", 1, true, 0.02, 50_000.0, 60), vertex("GroupAggregate", 1, false, 1.0, 50_000.0, 60)],
        ));
        // needed = 50k / 0.7 = 71.4k; TPR = 50k; factor 1.43 -> 2.
        assert_eq!(a.parallelism.recommended, 2);
        assert_eq!(a.status, RecommendationStatus::Ready);
        assert!(a.reason.starts_with("increase parallelism p=1 -> 2: vertex 'GroupAggregate' is 100% busy"), "{}", a.reason);
    }

    /// Recorded: an idle job at p=4 (1 row/s, everything ~0% busy).
    #[test]
    fn idle_job_decreases_only_after_the_scale_down_interval() {
        let idle = |now| {
            inputs(
                now,
                vec![vertex("Source", 4, true, 0.0, 1.0, now), vertex("Sink", 4, false, 0.001, 1.0, now)],
            )
        };
        let early = recommend(&idle(45));
        assert_eq!(early.status, RecommendationStatus::Collecting);
        assert!(early.reason.contains("decrease is only advised after 40 s"), "{}", early.reason);
        assert_eq!(early.parallelism.recommended, 4);
        let late = recommend(&idle(60));
        assert_eq!(late.status, RecommendationStatus::Ready, "{}", late.reason);
        assert_eq!(late.parallelism.recommended, 1);
        assert!(late.reason.starts_with("decrease parallelism p=4 -> 1"), "{}", late.reason);
    }

    /// A job idle now but busy earlier in the scale-down interval keeps what that busy window needed.
    #[test]
    fn a_decrease_takes_the_largest_need_of_the_scale_down_interval() {
        let settings = RecommendationSettings { stabilization_s: 0, window_s: 10, scale_down_after_s: 40, ..settings() };
        let agg = |busy_until: i64| VertexInput {
            busy_ratio: series(0, 61, |i| if i < busy_until { 0.95 } else { 0.0 }),
            ..vertex("Agg", 2, false, 0.0, 100.0, 61)
        };
        let with = |v: VertexInput| Inputs { now_ms: 60 * S, started_ms: 0, vertices: vec![v], settings: settings.clone(), ..Default::default() };
        // Busy until 35 s: the window that ended 30 s ago needed p=4 -> no decrease from 2.
        let a = recommend(&with(agg(35)));
        assert_eq!((a.status, a.parallelism.recommended), (RecommendationStatus::NoChange, 2), "{}", a.reason);
        assert!(a.reason.contains("a window 30 s ago needed p=4"), "{}", a.reason);
        // Busy only before the interval: idle in every window of it -> 2 -> 1.
        let a = recommend(&with(agg(15)));
        assert_eq!((a.status, a.parallelism.recommended), (RecommendationStatus::Ready, 1), "{}", a.reason);
        // Without earlier windows (the interval is one window long) the latest window decides.
        let short = RecommendationSettings { scale_down_after_s: 10, ..settings.clone() };
        let a = recommend(&Inputs { settings: short, ..with(agg(35)) });
        assert_eq!(a.parallelism.recommended, 1, "{}", a.reason);
    }

    /// Recorded: Flink reports no busy time for the datagen source; the idle sink alone decides.
    #[test]
    fn a_vertex_without_busy_figures_does_not_weigh_in() {
        let mut source = vertex("Source: src[3]", 4, true, 0.0, 4.0, 60);
        source.busy_ratio = Vec::new();
        let a = recommend(&inputs(60, vec![source, vertex("snk[4]: Writer", 4, false, 0.001, 4.0, 60)]));
        assert_eq!(a.status, RecommendationStatus::Ready, "{}", a.reason);
        assert_eq!(a.parallelism.recommended, 1);
        assert_eq!(a.parallelism.vertices[0].recommended, 4, "shown as it is");
        assert!(a.parallelism.vertices[0].reason.contains("does not weigh in"), "{}", a.parallelism.vertices[0].reason);
        assert!(a.reason.contains("'snk[4]: Writer'"), "{}", a.reason);
    }

    #[test]
    fn a_vertex_in_the_target_band_is_kept() {
        let a = recommend(&inputs(60, vec![vertex("Source", 2, true, 0.6, 1000.0, 60)]));
        assert_eq!(a.status, RecommendationStatus::NoChange);
        assert!(a.reason.contains("no change needed: p=2 fits"), "{}", a.reason);
        assert_eq!(a.fingerprint, recommend(&inputs(61, vec![vertex("Source", 2, true, 0.65, 900.0, 61)])).fingerprint);
    }

    #[test]
    fn alignment_to_key_groups() {
        assert_eq!(align(3, 128), 4);
        assert_eq!(align(5, 128), 8);
        assert_eq!(align(2, 128), 2);
        assert_eq!(align(7, 10), 7);
        assert_eq!(align(200, 128), 128);
        assert_eq!(align(0, 128), 1);
    }

    /// Recorded heap: a 1 GiB heap whose peak is 200 MiB -> 240 MiB advised; managed memory unused -> 0.
    #[test]
    fn memory_follows_observed_peaks() {
        let mut inp = inputs(60, vec![vertex("Source", 1, true, 0.6, 10.0, 60)]);
        inp.heap_used = vec![series(0, 60, |i| if i == 40 { 200.0 * MIB } else { 120.0 * MIB })];
        inp.heap_max = vec![series(0, 60, |_| 1024.0 * MIB)];
        inp.managed_used = vec![series(0, 60, |_| 0.0)];
        let a = recommend(&inp);
        let heap = &a.memory.components[0];
        assert_eq!(heap.observed_peak_bytes, Some((200.0 * MIB) as u64));
        assert_eq!(heap.recommended_bytes, Some((240.0 * MIB) as u64));
        assert_eq!(heap.current_bytes, Some((1024.0 * MIB) as u64));
        assert!(heap.reason.contains("observed peak 200 MiB x 1.2 headroom = 240 MiB: 784 MiB less"), "{}", heap.reason);
        assert_eq!(a.memory.components[1].recommended_bytes, Some(0));
        assert!(!a.memory.applies);
        let names: Vec<&str> = a.memory.components.iter().map(|c| c.component.as_str()).collect();
        assert_eq!(names, ["taskmanager_heap", "taskmanager_managed", "taskmanager_metaspace", "jobmanager_heap"]);
        assert_eq!(a.memory.components[2].recommended_bytes, None, "no metaspace figures: no advice");
        assert_eq!(a.memory.components[2].reason, "no metaspace figures in the window");
        // Metaspace and the JobManager's heap from their peaks: 80 MiB -> 96 MiB; 300 of 512 MiB -> 360 MiB.
        inp.metaspace_used = vec![series(0, 60, |i| if i == 50 { 80.0 * MIB } else { 70.0 * MIB })];
        inp.jm_heap_used = vec![series(0, 60, |i| if i == 30 { 300.0 * MIB } else { 100.0 * MIB })];
        inp.jm_heap_max = vec![series(0, 60, |_| 512.0 * MIB)];
        let a = recommend(&inp);
        assert_eq!(a.memory.components[2].recommended_bytes, Some((96.0 * MIB) as u64));
        let jm = &a.memory.components[3];
        assert_eq!((jm.observed_peak_bytes, jm.recommended_bytes), (Some((300.0 * MIB) as u64), Some((360.0 * MIB) as u64)));
        assert!(jm.reason.contains("= 360 MiB: 152 MiB less than the 512 MiB there is"), "{}", jm.reason);
        // A peak outside the window does not count.
        inp.heap_used = vec![series(0, 60, |i| if i == 5 { 900.0 * MIB } else { 100.0 * MIB })];
        assert_eq!(recommend(&inp).memory.components[0].observed_peak_bytes, Some((100.0 * MIB) as u64));
    }

    #[test]
    fn rates_read_as_people_read_them() {
        assert_eq!(rate_text(950.0), "950");
        assert_eq!(rate_text(4100.0), "4.1k");
        assert_eq!(rate_text(2_300_000.0), "2.3M");
        assert_eq!(rate_text(-2000.0), "-2.0k");
    }
}
