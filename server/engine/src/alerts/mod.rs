//! Alerts: rules on a namespace's deployments, evaluated on every look the reconciler takes at a cluster
//! (the observation bus — no timer per job), with the lifecycle pending -> firing -> resolved; one grouped
//! notification per deployment when it fires and one when it resolves (again only after the repeat
//! interval), muted by silences; delivered to channels with retries, every attempt kept in the history.
//!
//! - [`rules`] (pure): whether a condition holds, and how an alert moves.
//! - [`group`] (pure): which notifications a deployment's alerts call for; silences.
//! - [`channels`]: channel settings, messages per kind of channel, one delivery attempt.
//! - [`manage`]: the operations behind the API (channels, rules, silences, alerts, history).
//! - here: the evaluator and delivery with retries.

pub mod channels;
pub mod group;
pub mod manage;
pub mod rules;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use tokio::sync::broadcast::error::RecvError;
use weir_model::alerts::{
    AlertCondition, AlertConditionKind, AlertState, DeliveryStatus, SilenceMatchers, WebhookPayload,
};
use weir_model::metrics::{MetricName, Resolution};

use crate::metrics::prometheus_source::Split;
use crate::reconciler::decide::{observed_state, DeploymentFacts, JobSeen};
use crate::reconciler::observe::ClusterObservation;
use crate::store::entities::{alert, alert_channel, alert_notification, alert_rule, environment, job, namespace};
use crate::{Engine, EngineError};
use group::{GroupAlert, Told};
use rules::{Current, Facts, OperationFacts, Transition};

/// The condition of a stored rule.
pub(crate) fn condition_of(r: &alert_rule::Model) -> AlertCondition {
    AlertCondition {
        kind: r.condition_kind,
        for_s: u64::try_from(r.for_s).unwrap_or(0),
        threshold: r.threshold,
        window_s: r.window_s.and_then(|w| u64::try_from(w).ok()),
    }
}

/// The measures a condition reads.
fn measures(kind: AlertConditionKind) -> &'static [MetricName] {
    match kind {
        AlertConditionKind::Restarts => &[MetricName::Restarts],
        AlertConditionKind::CheckpointFailures => &[MetricName::CheckpointsFailed],
        AlertConditionKind::CheckpointAge => &[MetricName::CheckpointAgeS],
        AlertConditionKind::Lag => &[MetricName::LagRecords],
        AlertConditionKind::Busy => &[MetricName::BusyRatio],
        AlertConditionKind::Backpressure => &[MetricName::BackpressureRatio],
        AlertConditionKind::NotDesiredState | AlertConditionKind::OperationFailed => &[],
    }
}

/// What one evaluation did, for tests and logs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    pub deployments: usize,
    pub transitions: usize,
    pub notifications: usize,
}

impl Engine {
    /// Starts the evaluator: it follows the observation bus and evaluates the rules of a cluster's
    /// deployments on its looks (at most once per `alerts_eval_interval` per cluster).
    pub(crate) fn spawn_alerts(&self) {
        let engine = self.clone();
        let mut bus = self.subscribe_observations();
        tokio::spawn(async move {
            let mut evaluated: HashMap<i64, Instant> = HashMap::new();
            loop {
                let look = match bus.recv().await {
                    Ok(look) => look,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                };
                if evaluated.get(&look.cluster_id).is_some_and(|t| t.elapsed() < engine.settings.alerts_eval_interval) {
                    continue;
                }
                evaluated.insert(look.cluster_id, Instant::now());
                // One evaluation at a time: an alert moves once per look.
                if let Err(e) = engine.evaluate_alerts(&look).await {
                    tracing::warn!(cluster = %look.cluster, "alert evaluation: {e}");
                }
            }
        });
    }

    /// Evaluates every enabled rule for every watched deployment on the cluster of a look: moves the alerts,
    /// then starts the notifications their groups call for (delivered in the background).
    pub async fn evaluate_alerts(&self, look: &ClusterObservation) -> Result<Evaluation, EngineError> {
        let now = Utc::now();
        let now_ms = now.timestamp_millis();
        let deployments = self.store.watched_deployments_on(look.cluster_id).await?;
        if deployments.is_empty() {
            return Ok(Evaluation::default());
        }
        let ids: Vec<i64> = deployments.iter().map(|d| d.id).collect();
        let jobs: HashMap<i64, job::Model> = job::Entity::find()
            .filter(job::Column::Id.is_in(deployments.iter().map(|d| d.job_id)))
            .all(self.store.db())
            .await?
            .into_iter()
            .map(|j| (j.id, j))
            .collect();
        let envs: HashMap<i64, environment::Model> = environment::Entity::find()
            .filter(environment::Column::Id.is_in(deployments.iter().map(|d| d.environment_id)))
            .all(self.store.db())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let ns_ids: Vec<i64> = jobs.values().map(|j| j.namespace_id).collect::<HashSet<_>>().into_iter().collect();
        let rules = self.store.enabled_rules(ns_ids.clone()).await?;
        let open = self.store.open_alerts(ids.clone()).await?;
        if rules.is_empty() && open.is_empty() {
            return Ok(Evaluation { deployments: deployments.len(), ..Default::default() });
        }
        let namespaces: HashMap<i64, String> = namespace::Entity::find()
            .filter(namespace::Column::Id.is_in(ns_ids.clone()))
            .all(self.store.db())
            .await?
            .into_iter()
            .map(|n| (n.id, n.name))
            .collect();

        // What the rules read, for every deployment at once.
        let names: Vec<MetricName> =
            rules.iter().flat_map(|r| measures(r.condition_kind)).copied().collect::<HashSet<_>>().into_iter().collect();
        let reach_s = rules.iter().map(|r| r.window_s.unwrap_or(0).max(r.for_s)).max().unwrap_or(0).max(600);
        let since = now_ms - reach_s * 1000 - 60_000;
        let mut points: HashMap<i64, Vec<(MetricName, i64, f64)>> = HashMap::new();
        for p in self.store.recent_job_points(ids.clone(), names.clone(), since).await? {
            points.entry(p.deployment_id).or_default().push((p.name, p.ts, p.value));
        }
        // Deployments whose history is in their environment's Prometheus: the same measures asked from it.
        if !names.is_empty() {
            for d in &deployments {
                let (Some(job), Some(env)) = (jobs.get(&d.job_id), envs.get(&d.environment_id)) else { continue };
                let (Some(base), Some(ns)) = (env.prometheus_url.as_deref(), namespaces.get(&job.namespace_id)) else {
                    continue;
                };
                let job_name = format!("{ns}/{}", job.name);
                match self.prometheus_series(base, &job_name, &names, &[Split::Job], Resolution::Raw, since, now_ms).await {
                    Ok(series) => points.entry(d.id).or_default().extend(
                        series.into_iter().flat_map(|s| s.points.into_iter().map(move |(ts, v)| (s.name, ts, v))),
                    ),
                    // No figures this time: the metric rules of this deployment see no data (they do not fire).
                    Err(e) => tracing::warn!(namespace = %ns, job = %job.name, "alert evaluation: {e}"),
                }
            }
        }
        let wants_ops = rules.iter().any(|r| r.condition_kind == AlertConditionKind::OperationFailed);
        let operations: HashMap<i64, OperationFacts> = if wants_ops {
            self.store
                .latest_finished_operations(ids.clone())
                .await?
                .into_iter()
                .map(|o| (o.deployment_id, OperationFacts { kind: o.kind, status: o.status, error: o.error }))
                .collect()
        } else {
            HashMap::new()
        };
        let links = self.store.rule_channels(rules.iter().map(|r| r.id).collect()).await?;
        let mut rule_channels: HashMap<i64, Vec<i64>> = HashMap::new();
        for l in links {
            rule_channels.entry(l.rule_id).or_default().push(l.channel_id);
        }
        let mut silences: HashMap<i64, Vec<(SilenceMatchers, DateTime<Utc>)>> = HashMap::new();
        for s in self.store.active_silences(ns_ids, now).await? {
            let m = SilenceMatchers { job: s.job, environment: s.environment, rule: s.rule };
            silences.entry(s.namespace_id).or_default().push((m, s.until));
        }
        let mut told: HashMap<i64, HashMap<i64, Told>> = HashMap::new();
        for g in self.store.alert_groups(ids.clone()).await? {
            let rules: Vec<String> = serde_json::from_str(&g.rules).unwrap_or_default();
            told.entry(g.deployment_id)
                .or_default()
                .insert(g.channel_id, Told { event: g.event, rules, started_at: g.started_at, sent_at: g.sent_at });
        }
        let states: Option<HashMap<&str, weir_model::FlinkJobState>> =
            look.seen.as_ref().ok().map(|s| s.jobs.iter().map(|j| (j.id.as_str(), j.state)).collect());
        let unreachable_jobs: &[String] = look.seen.as_ref().map(|s| s.unreachable_jobs.as_slice()).unwrap_or_default();

        let mut report = Evaluation { deployments: deployments.len(), ..Default::default() };
        let mut deliveries = Vec::new();
        for d in &deployments {
            let (Some(job), Some(env)) = (jobs.get(&d.job_id), envs.get(&d.environment_id)) else { continue };
            let Some(ns) = namespaces.get(&job.namespace_id) else { continue };
            let facts = DeploymentFacts {
                desired: d.desired_state,
                flink_job_id: d.flink_job_id.clone(),
                observed: d.observed_state,
                busy: d.active_operation_id.is_some(),
                cluster_heals_jobs: false,
            };
            let seen = match (&states, d.flink_job_id.as_deref()) {
                (None, _) => JobSeen::ClusterUnreachable,
                (Some(_), Some(id)) if unreachable_jobs.iter().any(|u| u == id) => JobSeen::ClusterUnreachable,
                (Some(s), Some(id)) => s.get(id).map_or(JobSeen::NotListed, |st| JobSeen::Listed(*st)),
                (Some(_), None) => continue,
            };
            let no_points = Vec::new();
            let facts = Facts {
                desired: d.desired_state,
                observed: observed_state(&facts, seen),
                busy: facts.busy,
                points: points.get(&d.id).unwrap_or(&no_points),
                latest_operation: operations.get(&d.id),
                now_ms,
            };
            let mut group_alerts = Vec::new();
            let mut evaluated_rules = HashSet::new();
            for rule in rules.iter().filter(|r| {
                r.namespace_id == job.namespace_id
                    && r.job_id.is_none_or(|j| j == job.id)
                    && r.environment_id.is_none_or(|e| e == env.id)
            }) {
                evaluated_rules.insert(rule.id);
                let c = condition_of(rule);
                let current_row = open.iter().find(|a| a.deployment_id == d.id && a.rule_id == rule.id);
                let current = current_row.map(|a| Current { state: a.state, started_ms: a.started_at.timestamp_millis(), value: a.value.clone() });
                let transition = rules::next(c.for_s, current.as_ref(), rules::verdict(&c, &facts), now_ms);
                let row = self.apply(d.id, job.namespace_id, rule.id, current_row, &transition, now).await?;
                if transition != Transition::Stay {
                    report.transitions += 1;
                    tracing::info!(namespace = %ns, job = %job.name, environment = %env.name, rule = %rule.name, ?transition, "alert");
                }
                if let Some(row) = row.filter(|a| a.state != AlertState::Pending) {
                    let silenced = group::silenced(silences.get(&job.namespace_id).map_or(&[][..], Vec::as_slice), &job.name, &env.name, &rule.name, now);
                    group_alerts.push(GroupAlert {
                        rule: rule.name.clone(),
                        summary: rules::describe(&c),
                        value: row.value.clone(),
                        channels: rule_channels.get(&rule.id).cloned().unwrap_or_default(),
                        state: row.state,
                        silenced,
                        fired_at: row.fired_at.unwrap_or(row.started_at),
                    });
                }
            }
            // Alerts whose rule was disabled or no longer covers the deployment resolve.
            for a in open.iter().filter(|a| a.deployment_id == d.id && !evaluated_rules.contains(&a.rule_id)) {
                let transition = if a.state == AlertState::Pending { Transition::Drop } else { Transition::Resolve };
                self.apply(d.id, a.namespace_id, a.rule_id, Some(a), &transition, now).await?;
                report.transitions += 1;
            }
            let memory = told.remove(&d.id).unwrap_or_default();
            for send in group::notifications(&group_alerts, &memory, now, self.settings.alerts_repeat_interval) {
                let rule_names: Vec<String> = send.rules.iter().map(|r| r.name.clone()).collect();
                self.store.record_group(d.id, send.channel, send.event, &rule_names, send.started_at, now).await?;
                let payload = WebhookPayload {
                    status: send.event,
                    namespace: ns.clone(),
                    job: job.name.clone(),
                    environment: env.name.clone(),
                    rules: send.rules,
                    started_at: send.started_at,
                    ended_at: send.ended_at,
                    url: self.job_url(ns, &job.name),
                };
                deliveries.push((send.channel, job.namespace_id, d.id, payload));
            }
        }
        if !deliveries.is_empty() {
            let channels: HashMap<i64, alert_channel::Model> = self
                .store
                .channels_by_ids(deliveries.iter().map(|d| d.0).collect())
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
            for (channel, namespace_id, deployment_id, payload) in deliveries {
                let Some(channel) = channels.get(&channel).cloned() else { continue };
                report.notifications += 1;
                let engine = self.clone();
                let attempts = self.settings.alerts_delivery_attempts;
                // Delivery (with its retries) runs on its own: a slow receiver never holds up evaluation.
                tokio::spawn(async move {
                    if let Err(e) = engine.deliver(&channel, namespace_id, Some(deployment_id), &payload, attempts).await {
                        tracing::warn!(channel = %channel.name, "notification: {e}");
                    }
                });
            }
        }
        Ok(report)
    }

    /// Writes one transition of a rule's alert for a deployment; returns the alert as it now stands (none
    /// when there is none, or it was dropped).
    async fn apply(
        &self,
        deployment_id: i64,
        namespace_id: i64,
        rule_id: i64,
        current: Option<&alert::Model>,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Option<alert::Model>, EngineError> {
        let row = match (transition, current) {
            (Transition::Stay, c) => c.cloned(),
            (Transition::Start { firing, value }, _) => Some(
                self.store
                    .insert_alert(alert::ActiveModel {
                        namespace_id: Set(namespace_id),
                        rule_id: Set(rule_id),
                        deployment_id: Set(deployment_id),
                        state: Set(if *firing { AlertState::Firing } else { AlertState::Pending }),
                        value: Set(value.clone()),
                        started_at: Set(now),
                        fired_at: Set(firing.then_some(now)),
                        resolved_at: Set(None),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .await?,
            ),
            (Transition::Drop, Some(c)) => {
                self.store.delete_alert(c.id).await?;
                None
            }
            (Transition::Fire { value } | Transition::Update { value }, Some(c)) => {
                let mut a: alert::ActiveModel = c.clone().into();
                if matches!(transition, Transition::Fire { .. }) {
                    a.state = Set(AlertState::Firing);
                    a.fired_at = Set(Some(now));
                }
                a.value = Set(value.clone());
                a.updated_at = Set(now);
                Some(self.store.update_alert(a).await?)
            }
            (Transition::Resolve, Some(c)) => {
                let mut a: alert::ActiveModel = c.clone().into();
                a.state = Set(AlertState::Resolved);
                a.resolved_at = Set(Some(now));
                a.updated_at = Set(now);
                Some(self.store.update_alert(a).await?)
            }
            (_, None) => None,
        };
        Ok(row)
    }

    /// The job's page in Weir, when Weir knows its public address.
    pub(crate) fn job_url(&self, ns: &str, job: &str) -> Option<String> {
        self.settings.public_url.as_deref().map(|base| format!("{}/jobs/{ns}/{job}", base.trim_end_matches('/')))
    }

    /// Delivers one notification to a channel: recorded in the history first, then tried up to `attempts`
    /// times with a doubling pause, each attempt's outcome recorded. Returns the history row as it ends.
    pub(crate) async fn deliver(
        &self,
        channel: &alert_channel::Model,
        namespace_id: i64,
        deployment_id: Option<i64>,
        payload: &WebhookPayload,
        attempts: u32,
    ) -> Result<alert_notification::Model, EngineError> {
        let now = Utc::now();
        let target = channels::target(channel.kind, &channel.config, channel.secret.as_deref());
        let firing_until = now + self.settings.alerts_repeat_interval + chrono::Duration::hours(1);
        let record = match &target {
            Ok(t) => channels::prepare(t, payload, firing_until).record,
            Err(_) => serde_json::to_value(payload).unwrap_or_default(),
        };
        let row = self
            .store
            .insert_notification(alert_notification::ActiveModel {
                namespace_id: Set(namespace_id),
                channel_id: Set(Some(channel.id)),
                channel_name: Set(channel.name.clone()),
                channel_kind: Set(channel.kind),
                deployment_id: Set(deployment_id),
                event: Set(payload.status),
                status: Set(DeliveryStatus::Sending),
                attempts: Set(0),
                error: Set(None),
                payload: Set(record.to_string()),
                created_at: Set(now),
                finished_at: Set(None),
                ..Default::default()
            })
            .await?;
        let target = match target {
            Ok(t) => t,
            Err(e) => {
                self.store.record_attempt(row.id, 0, DeliveryStatus::Failed, Some(&e), true).await?;
                return self.notification_row(row.id).await;
            }
        };
        let prepared = channels::prepare(&target, payload, firing_until);
        let attempts = attempts.max(1);
        for attempt in 1..=attempts {
            let n = i32::try_from(attempt).unwrap_or(i32::MAX);
            match channels::send(&self.http, &target, &prepared).await {
                Ok(()) => {
                    self.store.record_attempt(row.id, n, DeliveryStatus::Sent, None, true).await?;
                    tracing::info!(channel = %channel.name, event = %payload.status, job = %payload.job, attempt, "notification sent");
                    break;
                }
                Err(e) => {
                    let last = attempt == attempts;
                    let status = if last { DeliveryStatus::Failed } else { DeliveryStatus::Sending };
                    self.store.record_attempt(row.id, n, status, Some(&e), last).await?;
                    tracing::warn!(channel = %channel.name, attempt, "notification not delivered: {e}");
                    if !last {
                        tokio::time::sleep(self.settings.alerts_retry_backoff * 2u32.saturating_pow(attempt - 1)).await;
                    }
                }
            }
        }
        let row = self.notification_row(row.id).await?;
        self.telemetry.notification(channel.kind.as_str(), row.status == DeliveryStatus::Sent);
        Ok(row)
    }

    async fn notification_row(&self, id: i64) -> Result<alert_notification::Model, EngineError> {
        alert_notification::Entity::find_by_id(id)
            .one(self.store.db())
            .await?
            .ok_or_else(|| EngineError::Internal(format!("notification {id} is missing")))
    }
}
