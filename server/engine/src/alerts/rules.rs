//! Rules, pure: whether a rule's condition holds for a deployment ([`verdict`], from the deployment's desired
//! and observed state, its recent metric points and its latest operation), and how its alert moves
//! ([`next`]: pending -> firing after `for_s`, firing -> resolved). Also what each condition means in words,
//! the checks on a rule's figures ([`condition`]) and the rules every namespace starts with
//! ([`default_rules`]). No clock, no database: every case is a row in the tables below.

use weir_model::alerts::{AlertCondition, AlertConditionKind as K, AlertState};
use weir_model::metrics::MetricName;
use weir_model::{DesiredState, ObservedState, OperationKind, OperationStatus};

/// A restart or checkpoint-failure count's default window.
pub const DEFAULT_WINDOW_S: u64 = 600;
/// The longest `for_s` or `window_s` a rule may have (a week).
const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// How a deployment's latest finished operation ended.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationFacts {
    pub kind: OperationKind,
    pub status: OperationStatus,
    pub error: Option<String>,
}

/// What the evaluator knows of a deployment at one look.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts<'a> {
    pub desired: DesiredState,
    /// The state this look amounts to (`reconciler::decide::observed_state`).
    pub observed: ObservedState,
    /// An operation is in flight: it is in charge, and state-based conditions wait for it to end.
    pub busy: bool,
    /// Job-level metric points `(name, unix ms, value)`, oldest first, of the recent past.
    pub points: &'a [(MetricName, i64, f64)],
    pub latest_operation: Option<&'a OperationFacts>,
    pub now_ms: i64,
}

/// Whether a condition holds at one look.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// It holds; the value that breached it, in words.
    Breach(String),
    Clear,
    /// Cannot tell now (an operation is in charge): the alert stays as it is.
    Unknown,
}

/// The condition's verdict for a deployment.
pub fn verdict(c: &AlertCondition, f: &Facts) -> Verdict {
    let threshold = c.threshold.unwrap_or(0.0);
    match c.kind {
        K::NotDesiredState => {
            if f.busy {
                return Verdict::Unknown;
            }
            let wrong = match f.desired {
                DesiredState::Running => f.observed != ObservedState::Running,
                // A job that should be stopped but lives on.
                DesiredState::Suspended | DesiredState::Cancelled => {
                    f.observed.is_alive() && f.observed != ObservedState::Suspended
                }
            };
            if wrong {
                Verdict::Breach(f.observed.as_str().to_owned())
            } else {
                Verdict::Clear
            }
        }
        K::Restarts | K::CheckpointFailures => {
            let name = if c.kind == K::Restarts { MetricName::Restarts } else { MetricName::CheckpointsFailed };
            let since = f.now_ms - secs_ms(c.window_s.unwrap_or(DEFAULT_WINDOW_S));
            let count = increase(f.points, name, since);
            if count >= threshold && count > 0.0 {
                Verdict::Breach(format_number(count))
            } else {
                Verdict::Clear
            }
        }
        K::CheckpointAge => match latest(f.points, MetricName::CheckpointAgeS) {
            // The age grows between samples.
            Some((ts, age)) => above(age + ((f.now_ms - ts).max(0) as f64) / 1000.0, threshold, " s"),
            None => Verdict::Clear,
        },
        K::Lag => {
            let Some((_, lag)) = latest(f.points, MetricName::LagRecords) else { return Verdict::Clear };
            if c.threshold.is_some_and(|t| lag > t) {
                return Verdict::Breach(format!("{} records", format_number(lag)));
            }
            match c.window_s {
                Some(w) if growing(f.points, MetricName::LagRecords, f.now_ms - secs_ms(w), secs_ms(w)) => {
                    Verdict::Breach(format!("{} records, growing for {w} s", format_number(lag)))
                }
                _ => Verdict::Clear,
            }
        }
        K::Busy => latest(f.points, MetricName::BusyRatio).map_or(Verdict::Clear, |(_, v)| above(v, threshold, "")),
        K::Backpressure => {
            latest(f.points, MetricName::BackpressureRatio).map_or(Verdict::Clear, |(_, v)| above(v, threshold, ""))
        }
        K::OperationFailed => {
            if f.busy {
                return Verdict::Unknown;
            }
            match f.latest_operation {
                Some(op) if op.status == OperationStatus::Failed => {
                    let error: String = op.error.as_deref().unwrap_or("no reason recorded").chars().take(300).collect();
                    Verdict::Breach(format!("{} failed: {error}", op.kind))
                }
                _ => Verdict::Clear,
            }
        }
    }
}

fn above(value: f64, threshold: f64, unit: &str) -> Verdict {
    if value > threshold {
        Verdict::Breach(format!("{}{unit}", format_number(value)))
    } else {
        Verdict::Clear
    }
}

fn secs_ms(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
}

/// The newest point of a measure.
fn latest(points: &[(MetricName, i64, f64)], name: MetricName) -> Option<(i64, f64)> {
    points.iter().filter(|p| p.0 == name).max_by_key(|p| p.1).map(|p| (p.1, p.2))
}

/// Whether a measure grew all along `[since, now]`: at least three points spanning most of the window, none
/// lower than the one before, the last higher than the first.
fn growing(points: &[(MetricName, i64, f64)], name: MetricName, since: i64, window_ms: i64) -> bool {
    let mut series: Vec<(i64, f64)> = points.iter().filter(|p| p.0 == name && p.1 >= since).map(|p| (p.1, p.2)).collect();
    series.sort_by_key(|p| p.0);
    let (Some(first), Some(last)) = (series.first(), series.last()) else { return false };
    series.len() >= 3
        && first.0 <= since + window_ms / 4
        && series.windows(2).all(|w| w[1].1 >= w[0].1)
        && last.1 > first.1
}

/// How much a counter grew since `since` (a counter that starts again from zero — a new job — adds its new
/// value). The point just before `since`, when there is one, is the baseline.
fn increase(points: &[(MetricName, i64, f64)], name: MetricName, since: i64) -> f64 {
    let mut series: Vec<(i64, f64)> = points.iter().filter(|p| p.0 == name).map(|p| (p.1, p.2)).collect();
    series.sort_by_key(|p| p.0);
    let start = series.iter().rposition(|p| p.0 < since).unwrap_or(0);
    series[start..]
        .windows(2)
        .map(|w| if w[1].1 >= w[0].1 { w[1].1 - w[0].1 } else { w[1].1 })
        .sum()
}

/// A number as people read it: `3`, `0.95`.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{:.2}", v)
    }
}

/// An alert episode in progress (pending or firing).
#[derive(Clone, Debug, PartialEq)]
pub struct Current {
    pub state: AlertState,
    /// When the condition was first seen to hold, unix ms.
    pub started_ms: i64,
    pub value: String,
}

/// How an alert moves at one look.
#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    Stay,
    /// A new episode, pending (or firing at once when the rule has no duration).
    Start { firing: bool, value: String },
    /// Pending long enough: it fires.
    Fire { value: String },
    /// Still breached, with a new value.
    Update { value: String },
    /// Pending, and the condition cleared before it fired: the episode is dropped.
    Drop,
    /// Firing, and the condition cleared.
    Resolve,
}

/// The next step of a rule's alert for a deployment.
pub fn next(for_s: u64, current: Option<&Current>, verdict: Verdict, now_ms: i64) -> Transition {
    match (current, verdict) {
        (_, Verdict::Unknown) => Transition::Stay,
        (None, Verdict::Clear) => Transition::Stay,
        (None, Verdict::Breach(value)) => Transition::Start { firing: for_s == 0, value },
        (Some(c), Verdict::Clear) => match c.state {
            AlertState::Pending => Transition::Drop,
            _ => Transition::Resolve,
        },
        (Some(c), Verdict::Breach(value)) => match c.state {
            AlertState::Pending if now_ms - c.started_ms >= secs_ms(for_s) => Transition::Fire { value },
            _ if value != c.value => Transition::Update { value },
            _ => Transition::Stay,
        },
    }
}

/// What a condition means, in words.
pub fn describe(c: &AlertCondition) -> String {
    let t = c.threshold.map(format_number).unwrap_or_default();
    let w = c.window_s.unwrap_or(DEFAULT_WINDOW_S);
    let lasting = if c.for_s > 0 { format!(" for {} s", c.for_s) } else { String::new() };
    match c.kind {
        K::NotDesiredState => format!("deployment not in its desired state{lasting}"),
        K::Restarts => format!("{t} or more restarts within {w} s"),
        K::CheckpointFailures => format!("{t} or more failed checkpoints within {w} s"),
        K::CheckpointAge => format!("last completed checkpoint older than {t} s{lasting}"),
        K::Lag => match (c.threshold, c.window_s) {
            (Some(_), Some(w)) => format!("source lag above {t} records, or growing for {w} s{lasting}"),
            (None, Some(w)) => format!("source lag growing for {w} s{lasting}"),
            _ => format!("source lag above {t} records{lasting}"),
        },
        K::Busy => format!("busy ratio above {t}{lasting}"),
        K::Backpressure => format!("backpressure ratio above {t}{lasting}"),
        K::OperationFailed => "an operation or savepoint failed".to_owned(),
    }
}

/// Checks a rule's figures and fills the defaults; the message says what is wrong.
pub fn condition(kind: K, for_s: Option<u64>, threshold: Option<f64>, window_s: Option<u64>) -> Result<AlertCondition, String> {
    let for_s = for_s.unwrap_or(match kind {
        K::NotDesiredState => 60,
        K::Restarts | K::CheckpointFailures | K::OperationFailed => 0,
        _ => 60,
    });
    if for_s > MAX_SECONDS {
        return Err(format!("for_s is at most {MAX_SECONDS} (a week)"));
    }
    if let Some(t) = threshold {
        if !t.is_finite() || t < 0.0 {
            return Err("threshold must be a number of at least 0".into());
        }
    }
    let (threshold, window_s) = match kind {
        K::NotDesiredState | K::OperationFailed => {
            if threshold.is_some() || window_s.is_some() {
                return Err(format!("a {kind} condition takes no threshold or window_s"));
            }
            (None, None)
        }
        K::Restarts | K::CheckpointFailures => {
            let w = window_s.unwrap_or(DEFAULT_WINDOW_S);
            if w == 0 || w > MAX_SECONDS {
                return Err(format!("window_s must be between 1 and {MAX_SECONDS}"));
            }
            let t = threshold.unwrap_or(3.0);
            if t < 1.0 {
                return Err("threshold must be at least 1 for a count".into());
            }
            (Some(t), Some(w))
        }
        K::Lag => {
            if threshold.is_none() && window_s.is_none() {
                return Err("a lag condition needs a threshold, a window_s (lag growing that long), or both".into());
            }
            if window_s.is_some_and(|w| !(10..=MAX_SECONDS).contains(&w)) {
                return Err(format!("window_s must be between 10 and {MAX_SECONDS}"));
            }
            (threshold, window_s)
        }
        K::CheckpointAge | K::Busy | K::Backpressure => {
            if window_s.is_some() {
                return Err(format!("a {kind} condition takes no window_s (for_s says how long it must last)"));
            }
            let Some(t) = threshold else { return Err(format!("a {kind} condition needs a threshold")) };
            if matches!(kind, K::Busy | K::Backpressure) && t > 1.0 {
                return Err(format!("a {kind} threshold is a ratio between 0 and 1"));
            }
            (Some(t), None)
        }
    };
    Ok(AlertCondition { kind, for_s, threshold, window_s })
}

/// The rules every new namespace starts with (the on-call basics; without a channel they only show in
/// Weir). The migration that created the alert tables gave the namespaces of that time the same ones.
pub fn default_rules() -> Vec<(&'static str, AlertCondition)> {
    let c = |kind, for_s, threshold, window_s| AlertCondition { kind, for_s, threshold, window_s };
    vec![
        ("not-in-desired-state", c(K::NotDesiredState, 60, None, None)),
        ("restarting", c(K::Restarts, 0, Some(3.0), Some(600))),
        ("checkpoints-failing", c(K::CheckpointFailures, 0, Some(3.0), Some(600))),
        ("operation-failed", c(K::OperationFailed, 0, None, None)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::metrics::MetricName as M;
    use weir_model::{DesiredState as D, ObservedState as O};

    const NOW: i64 = 1_000_000_000;

    fn cond(kind: K, threshold: Option<f64>, window_s: Option<u64>) -> AlertCondition {
        AlertCondition { kind, for_s: 0, threshold, window_s }
    }

    fn breach(v: &str) -> Verdict {
        Verdict::Breach(v.into())
    }

    /// (case, condition, desired, observed, busy, points, latest operation, verdict)
    type VerdictRow<'a> = (&'static str, AlertCondition, D, O, bool, &'a [(M, i64, f64)], Option<&'a OperationFacts>, Verdict);

    #[test]
    fn verdict_of_every_condition_kind() {
        let failed = OperationFacts { kind: OperationKind::Deploy, status: OperationStatus::Failed, error: Some("savepoint timed out".into()) };
        let ok = OperationFacts { kind: OperationKind::Savepoint, status: OperationStatus::Succeeded, error: None };
        let restarts = [(M::Restarts, NOW - 900_000, 5.0), (M::Restarts, NOW - 500_000, 5.0), (M::Restarts, NOW - 100_000, 6.0), (M::Restarts, NOW - 10_000, 8.0)];
        let restarted_job = [(M::Restarts, NOW - 300_000, 7.0), (M::Restarts, NOW - 200_000, 1.0), (M::Restarts, NOW - 1_000, 2.0)];
        let ckpt = [(M::CheckpointsFailed, NOW - 60_000, 0.0), (M::CheckpointsFailed, NOW - 1_000, 4.0)];
        let lag_growing = [(M::LagRecords, NOW - 290_000, 100.0), (M::LagRecords, NOW - 150_000, 100.0), (M::LagRecords, NOW - 5_000, 900.0)];
        let lag_wobbling = [(M::LagRecords, NOW - 290_000, 100.0), (M::LagRecords, NOW - 150_000, 50.0), (M::LagRecords, NOW - 5_000, 900.0)];
        let lag_recent = [(M::LagRecords, NOW - 60_000, 100.0), (M::LagRecords, NOW - 30_000, 200.0), (M::LagRecords, NOW - 5_000, 900.0)];
        let figures = [(M::BusyRatio, NOW - 30_000, 0.2), (M::BusyRatio, NOW - 5_000, 0.97), (M::BackpressureRatio, NOW - 5_000, 0.1),
            (M::LagRecords, NOW - 5_000, 12_000.0), (M::CheckpointAgeS, NOW - 10_000, 100.0)];
        let none: [(M, i64, f64); 0] = [];
        #[rustfmt::skip]
        let table: Vec<VerdictRow> = vec![
            ("running as desired", cond(K::NotDesiredState, None, None), D::Running, O::Running, false, &none, None, Verdict::Clear),
            ("cancelled behind Weir's back", cond(K::NotDesiredState, None, None), D::Running, O::Canceled, false, &none, None, breach("CANCELED")),
            ("failed", cond(K::NotDesiredState, None, None), D::Running, O::Failed, false, &none, None, breach("FAILED")),
            ("restarting", cond(K::NotDesiredState, None, None), D::Running, O::Restarting, false, &none, None, breach("RESTARTING")),
            ("lost", cond(K::NotDesiredState, None, None), D::Running, O::Lost, false, &none, None, breach("LOST")),
            ("cluster unreachable", cond(K::NotDesiredState, None, None), D::Running, O::Unreachable, false, &none, None, breach("UNREACHABLE")),
            ("finished while it should run", cond(K::NotDesiredState, None, None), D::Running, O::Finished, false, &none, None, breach("FINISHED")),
            ("an operation is in charge", cond(K::NotDesiredState, None, None), D::Running, O::Canceled, true, &none, None, Verdict::Unknown),
            ("stopped on purpose", cond(K::NotDesiredState, None, None), D::Suspended, O::Finished, false, &none, None, Verdict::Clear),
            ("cancelled on purpose", cond(K::NotDesiredState, None, None), D::Cancelled, O::Canceled, false, &none, None, Verdict::Clear),
            ("runs though it should be stopped", cond(K::NotDesiredState, None, None), D::Suspended, O::Running, false, &none, None, breach("RUNNING")),
            ("3 restarts in the window (older ones do not count)", cond(K::Restarts, Some(3.0), Some(600)), D::Running, O::Running, false, &restarts, None, breach("3")),
            ("not enough restarts", cond(K::Restarts, Some(4.0), Some(600)), D::Running, O::Running, false, &restarts, None, Verdict::Clear),
            ("a short window", cond(K::Restarts, Some(3.0), Some(60)), D::Running, O::Running, false, &restarts, None, Verdict::Clear),
            ("a new job's counter starts again", cond(K::Restarts, Some(2.0), Some(600)), D::Running, O::Running, false, &restarted_job, None, breach("2")),
            ("no points, no restarts", cond(K::Restarts, Some(1.0), Some(600)), D::Running, O::Running, false, &none, None, Verdict::Clear),
            ("failed checkpoints", cond(K::CheckpointFailures, Some(3.0), Some(600)), D::Running, O::Running, false, &ckpt, None, breach("4")),
            ("few failed checkpoints", cond(K::CheckpointFailures, Some(5.0), Some(600)), D::Running, O::Running, false, &ckpt, None, Verdict::Clear),
            ("busy: the latest point counts", cond(K::Busy, Some(0.9), None), D::Running, O::Running, false, &figures, None, breach("0.97")),
            ("not busy enough", cond(K::Busy, Some(0.98), None), D::Running, O::Running, false, &figures, None, Verdict::Clear),
            ("backpressure low", cond(K::Backpressure, Some(0.5), None), D::Running, O::Running, false, &figures, None, Verdict::Clear),
            ("lag above", cond(K::Lag, Some(10_000.0), None), D::Running, O::Running, false, &figures, None, breach("12000 records")),
            ("checkpoint age grows since the sample", cond(K::CheckpointAge, Some(105.0), None), D::Running, O::Running, false, &figures, None, breach("110 s")),
            ("checkpoint young", cond(K::CheckpointAge, Some(300.0), None), D::Running, O::Running, false, &figures, None, Verdict::Clear),
            ("lag growing all along the window", cond(K::Lag, None, Some(300)), D::Running, O::Running, false, &lag_growing, None, breach("900 records, growing for 300 s")),
            ("lag went down on the way", cond(K::Lag, None, Some(300)), D::Running, O::Running, false, &lag_wobbling, None, Verdict::Clear),
            ("lag growing, but not for the whole window yet", cond(K::Lag, None, Some(300)), D::Running, O::Running, false, &lag_recent, None, Verdict::Clear),
            ("lag above, or growing: above", cond(K::Lag, Some(500.0), Some(300)), D::Running, O::Running, false, &lag_wobbling, None, breach("900 records")),
            ("no figures: clear", cond(K::Lag, Some(1.0), None), D::Running, O::Running, false, &none, None, Verdict::Clear),
            ("the latest operation failed", cond(K::OperationFailed, None, None), D::Running, O::Running, false, &none, Some(&failed), breach("deploy failed: savepoint timed out")),
            ("the latest operation succeeded", cond(K::OperationFailed, None, None), D::Running, O::Running, false, &none, Some(&ok), Verdict::Clear),
            ("no operation yet", cond(K::OperationFailed, None, None), D::Running, O::Running, false, &none, None, Verdict::Clear),
            ("an operation runs: wait for it", cond(K::OperationFailed, None, None), D::Running, O::Running, true, &none, Some(&failed), Verdict::Unknown),
        ];
        for (name, c, desired, observed, busy, points, op, want) in table {
            let f = Facts { desired, observed, busy, points, latest_operation: op, now_ms: NOW };
            assert_eq!(verdict(&c, &f), want, "{name}");
        }
    }

    #[test]
    fn transitions() {
        let pending = Current { state: AlertState::Pending, started_ms: NOW - 5_000, value: "FAILED".into() };
        let firing = Current { state: AlertState::Firing, started_ms: NOW - 500_000, value: "FAILED".into() };
        #[rustfmt::skip]
        let table: Vec<(&str, u64, Option<&Current>, Verdict, Transition)> = vec![
            ("nothing, nothing", 60, None, Verdict::Clear, Transition::Stay),
            ("nothing, unknown", 60, None, Verdict::Unknown, Transition::Stay),
            ("breach starts pending", 60, None, breach("FAILED"), Transition::Start { firing: false, value: "FAILED".into() }),
            ("no duration fires at once", 0, None, breach("3"), Transition::Start { firing: true, value: "3".into() }),
            ("pending, not long enough", 60, Some(&pending), breach("FAILED"), Transition::Stay),
            ("pending long enough fires", 5, Some(&pending), breach("FAILED"), Transition::Fire { value: "FAILED".into() }),
            ("pending, value changed", 60, Some(&pending), breach("LOST"), Transition::Update { value: "LOST".into() }),
            ("pending cleared is dropped", 60, Some(&pending), Verdict::Clear, Transition::Drop),
            ("pending, unknown holds", 5, Some(&pending), Verdict::Unknown, Transition::Stay),
            ("firing stays firing", 60, Some(&firing), breach("FAILED"), Transition::Stay),
            ("firing with a new value", 60, Some(&firing), breach("RESTARTING"), Transition::Update { value: "RESTARTING".into() }),
            ("firing cleared resolves", 60, Some(&firing), Verdict::Clear, Transition::Resolve),
            ("firing, an operation in charge holds", 60, Some(&firing), Verdict::Unknown, Transition::Stay),
        ];
        for (name, for_s, current, verdict, want) in table {
            assert_eq!(next(for_s, current, verdict, NOW), want, "{name}");
        }
    }

    #[test]
    fn conditions_are_checked_and_filled() {
        let ok = |kind, for_s, t, w| condition(kind, for_s, t, w).expect("valid");
        assert_eq!(ok(K::NotDesiredState, None, None, None), AlertCondition { kind: K::NotDesiredState, for_s: 60, threshold: None, window_s: None });
        assert_eq!(ok(K::Restarts, None, None, None), AlertCondition { kind: K::Restarts, for_s: 0, threshold: Some(3.0), window_s: Some(600) });
        assert_eq!(ok(K::Busy, Some(120), Some(0.9), None).threshold, Some(0.9));
        #[rustfmt::skip]
        type Bad = (K, Option<u64>, Option<f64>, Option<u64>, &'static str);
        let bad: Vec<Bad> = vec![
            (K::NotDesiredState, None, Some(1.0), None, "takes no threshold"),
            (K::OperationFailed, None, None, Some(10), "takes no threshold"),
            (K::Lag, None, None, None, "needs a threshold, a window_s"),
            (K::Busy, None, None, None, "needs a threshold"),
            (K::Busy, None, Some(1.5), None, "ratio"),
            (K::Busy, None, Some(-1.0), None, "at least 0"),
            (K::Lag, None, Some(f64::NAN), None, "at least 0"),
            (K::Busy, None, Some(0.5), Some(60), "takes no window_s"),
            (K::Lag, None, None, Some(5), "between 10"),
            (K::Restarts, None, Some(0.0), None, "at least 1"),
            (K::Restarts, None, None, Some(0), "window_s"),
            (K::NotDesiredState, Some(MAX_SECONDS + 1), None, None, "a week"),
        ];
        for (kind, for_s, t, w, message) in bad {
            let err = condition(kind, for_s, t, w).expect_err(message);
            assert!(err.contains(message), "{kind}: {err}");
        }
        for (name, c) in default_rules() {
            assert_eq!(condition(c.kind, Some(c.for_s), c.threshold, c.window_s).as_ref(), Ok(&c), "{name}");
            assert!(!describe(&c).is_empty());
        }
        assert_eq!(describe(&ok(K::Restarts, None, None, None)), "3 or more restarts within 600 s");
        assert_eq!(describe(&ok(K::NotDesiredState, Some(30), None, None)), "deployment not in its desired state for 30 s");
    }
}
