//! Grouping, pure: which notifications a deployment's alerts call for. One message per deployment and
//! channel when its group starts firing (every rule firing for it at that look, together), again only after
//! the repeat interval while it keeps firing, and one when nothing it told about fires any more. Silences
//! ([`silenced`]) keep an alert out of its group's messages; it still shows in Weir.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use weir_model::alerts::{AlertState, NotificationEvent, PayloadRule, SilenceMatchers};

/// One alert of a deployment as grouping sees it (firing, or resolved at this look).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupAlert {
    pub rule: String,
    pub summary: String,
    pub value: String,
    /// The channels of its rule, by id.
    pub channels: Vec<i64>,
    pub state: AlertState,
    pub silenced: bool,
    pub fired_at: DateTime<Utc>,
}

/// What the group last told a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Told {
    pub event: NotificationEvent,
    pub rules: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
}

/// A notification to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Send {
    pub channel: i64,
    /// Firing or resolved.
    pub event: NotificationEvent,
    pub rules: Vec<PayloadRule>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// The notifications one deployment's alerts call for, given what each channel was last told.
pub fn notifications(alerts: &[GroupAlert], told: &HashMap<i64, Told>, now: DateTime<Utc>, repeat: Duration) -> Vec<Send> {
    let channels: BTreeSet<i64> = alerts.iter().flat_map(|a| a.channels.iter().copied()).chain(told.keys().copied()).collect();
    let mut out = Vec::new();
    for channel in channels {
        let routed = |a: &&GroupAlert| a.state == AlertState::Firing && a.channels.contains(&channel);
        let muted = alerts.iter().filter(routed).any(|a| a.silenced);
        let firing: Vec<&GroupAlert> = alerts.iter().filter(routed).filter(|a| !a.silenced).collect();
        let last = told.get(&channel);
        let was_firing = last.is_some_and(|t| t.event == NotificationEvent::Firing);
        if !firing.is_empty() {
            let due = match last {
                Some(t) if was_firing => now - t.sent_at >= repeat,
                _ => true,
            };
            if due {
                let first = firing.iter().map(|a| a.fired_at).min().unwrap_or(now);
                let started_at = last.filter(|_| was_firing).map_or(first, |t| t.started_at.min(first));
                out.push(Send {
                    channel,
                    event: NotificationEvent::Firing,
                    rules: firing.iter().map(|a| rule_of(a)).collect(),
                    started_at,
                    ended_at: None,
                });
            }
        } else if muted {
            // Still firing, under a silence: say nothing (neither again nor resolved).
        } else if let Some(t) = last.filter(|_| was_firing) {
            // Resolved: the rules it told about, with their last values where this look has them.
            let rules = t
                .rules
                .iter()
                .map(|name| match alerts.iter().find(|a| &a.rule == name) {
                    Some(a) => rule_of(a),
                    None => PayloadRule { name: name.clone(), summary: String::new(), value: String::new() },
                })
                .collect();
            out.push(Send { channel, event: NotificationEvent::Resolved, rules, started_at: t.started_at, ended_at: Some(now) });
        }
    }
    out
}

fn rule_of(a: &GroupAlert) -> PayloadRule {
    PayloadRule { name: a.rule.clone(), summary: a.summary.clone(), value: a.value.clone() }
}

/// Whether a silence (its matchers and end) mutes an alert of `job` in `environment` from `rule`.
pub fn silenced(silences: &[(SilenceMatchers, DateTime<Utc>)], job: &str, environment: &str, rule: &str, now: DateTime<Utc>) -> bool {
    silences.iter().any(|(m, until)| {
        *until > now
            && m.job.as_deref().is_none_or(|j| j == job)
            && m.environment.as_deref().is_none_or(|e| e == environment)
            && m.rule.as_deref().is_none_or(|r| r == rule)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use NotificationEvent as E;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).single().expect("time")
    }

    fn alert(rule: &str, channels: &[i64], state: AlertState, silenced: bool) -> GroupAlert {
        GroupAlert { rule: rule.into(), summary: format!("{rule} summary"), value: "v".into(), channels: channels.to_vec(),
            state, silenced, fired_at: t(0) }
    }

    fn told(event: E, rules: &[&str], sent: i64) -> Told {
        Told { event, rules: rules.iter().map(|r| r.to_string()).collect(), started_at: t(0), sent_at: t(sent) }
    }

    /// (channel, event, rule names)
    fn summary(sends: &[Send]) -> Vec<(i64, E, Vec<String>)> {
        sends.iter().map(|s| (s.channel, s.event, s.rules.iter().map(|r| r.name.clone()).collect())).collect()
    }

    /// (case, alerts, what each channel was told, now, what is sent: (channel, event, rules))
    type Row = (&'static str, Vec<GroupAlert>, Vec<(i64, Told)>, i64, Vec<(i64, E, Vec<String>)>);

    #[test]
    fn notifications_table() {
        use AlertState::{Firing as F, Resolved as R};
        let hours4 = Duration::hours(4);
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("three rules fire together: ONE grouped message",
                vec![alert("a", &[1], F, false), alert("b", &[1], F, false), alert("c", &[1], F, false)], vec![], 10,
                vec![(1, E::Firing, names(&["a", "b", "c"]))]),
            ("already told: nothing new", vec![alert("a", &[1], F, false)], vec![(1, told(E::Firing, &["a"], 5))], 60, vec![]),
            ("a rule joins a told group: no new message before the repeat", vec![alert("a", &[1], F, false), alert("b", &[1], F, false)],
                vec![(1, told(E::Firing, &["a"], 5))], 60, vec![]),
            ("repeat interval passed: told again, with every rule", vec![alert("a", &[1], F, false), alert("b", &[1], F, false)],
                vec![(1, told(E::Firing, &["a"], 5))], 5 + 4 * 3600, vec![(1, E::Firing, names(&["a", "b"]))]),
            ("just before the repeat interval", vec![alert("a", &[1], F, false)], vec![(1, told(E::Firing, &["a"], 5))], 4 + 4 * 3600, vec![]),
            ("resolved: one message naming what it told", vec![alert("a", &[1], R, false)], vec![(1, told(E::Firing, &["a", "b"], 5))], 90,
                vec![(1, E::Resolved, names(&["a", "b"]))]),
            ("resolved and told so: nothing", vec![], vec![(1, told(E::Resolved, &["a"], 5))], 90, vec![]),
            ("fires again after resolving", vec![alert("a", &[1], F, false)], vec![(1, told(E::Resolved, &["a"], 5))], 90,
                vec![(1, E::Firing, names(&["a"]))]),
            ("silenced: nothing", vec![alert("a", &[1], F, true)], vec![], 10, vec![]),
            ("silenced after it was told: quiet, not resolved", vec![alert("a", &[1], F, true)], vec![(1, told(E::Firing, &["a"], 5))], 10, vec![]),
            ("resolves under its silence: resolved is told", vec![alert("a", &[1], R, true)], vec![(1, told(E::Firing, &["a"], 5))], 10,
                vec![(1, E::Resolved, names(&["a"]))]),
            ("one silenced of two: the other is sent", vec![alert("a", &[1], F, true), alert("b", &[1], F, false)], vec![], 10,
                vec![(1, E::Firing, names(&["b"]))]),
            ("no channel: shows only in Weir", vec![alert("a", &[], F, false)], vec![], 10, vec![]),
            ("per channel: each gets its rules", vec![alert("a", &[1, 2], F, false), alert("b", &[2], F, false)], vec![], 10,
                vec![(1, E::Firing, names(&["a"])), (2, E::Firing, names(&["a", "b"]))]),
            ("one channel told, another new", vec![alert("a", &[1, 2], F, false)], vec![(1, told(E::Firing, &["a"], 5))], 10,
                vec![(2, E::Firing, names(&["a"]))]),
        ];
        for (name, alerts, memory, now, want) in table {
            let memory: HashMap<i64, Told> = memory.into_iter().collect();
            let sends = notifications(&alerts, &memory, t(now), hours4);
            assert_eq!(summary(&sends), want, "{name}");
            for s in &sends {
                assert_eq!(s.ended_at.is_some(), s.event == E::Resolved, "{name}");
            }
        }
    }

    #[test]
    fn silences_match_on_every_given_field_until_their_end() {
        let m = |job: Option<&str>, env: Option<&str>, rule: Option<&str>| SilenceMatchers {
            job: job.map(Into::into),
            environment: env.map(Into::into),
            rule: rule.map(Into::into),
        };
        #[rustfmt::skip]
        let table: Vec<(&str, SilenceMatchers, i64, bool)> = vec![
            ("the whole namespace", m(None, None, None), 100, true),
            ("this job", m(Some("orders"), None, None), 100, true),
            ("another job", m(Some("payments"), None, None), 100, false),
            ("this job in this environment", m(Some("orders"), Some("prod"), None), 100, true),
            ("this job elsewhere", m(Some("orders"), Some("dev"), None), 100, false),
            ("this rule", m(None, None, Some("restarting")), 100, true),
            ("another rule", m(None, None, Some("lag")), 100, false),
            ("expired", m(Some("orders"), None, None), -1, false),
        ];
        for (name, matchers, until, want) in table {
            assert_eq!(silenced(&[(matchers, t(until))], "orders", "prod", "restarting", t(0)), want, "{name}");
        }
        assert!(!silenced(&[], "orders", "prod", "restarting", t(0)));
    }
}
