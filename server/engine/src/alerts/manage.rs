//! The alert operations the API and the UI call: a namespace's channels (secrets write-only), rules,
//! silences and notification history; the alerts the caller may see. Reading needs the viewer role in the
//! namespace, changing needs owner; every change names itself for the audit log.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use weir_model::alerts::{
    Alert, AlertChannel, AlertConditionKind, AlertNotification, AlertRule, ChannelKind, ChannelTest, DeliveryStatus,
    NotificationEvent, PayloadRule, Silence, SilenceMatchers, WebhookPayload,
};

use super::{channels, condition_of, group, rules};
use crate::store::alerts::RuleRow;
use crate::store::entities::{alert_channel, alert_notification, alert_rule, deployment, environment, job, namespace, silence};
use crate::{names, Caller, Engine, EngineError, Role};

/// How long resolved alerts stay in `GET /api/v1/alerts`.
const RECENT: Duration = Duration::hours(24);
/// The most alerts and history entries one answer lists.
const MAX_LIST: u64 = 500;

/// A channel to create: `config` is the kind's settings (`{"url","secret"?}` for a webhook).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    pub kind: String,
    pub config: Value,
}

/// New settings for a channel (a secret not given is kept).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    pub config: Value,
}

/// A rule's condition as given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionInput {
    pub kind: String,
    #[serde(default)]
    pub for_s: Option<u64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub window_s: Option<u64>,
}

/// A rule to create.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    pub condition: ConditionInput,
    #[serde(default)]
    pub job: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A field given as `null` (`Some(None)`) is not a field left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a rule; what is left out stays (`"job": null` widens it to every job).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    #[serde(default)]
    pub condition: Option<ConditionInput>,
    #[serde(default, deserialize_with = "present")]
    pub job: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub environment: Option<Option<String>>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A silence to create.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    #[serde(default)]
    pub matchers: SilenceMatchers,
    pub until: DateTime<Utc>,
    #[serde(default)]
    pub comment: String,
}

/// The rules a new namespace starts with (without channels: they show in Weir only).
pub(crate) fn default_rule_rows() -> Vec<RuleRow> {
    rules::default_rules()
        .into_iter()
        .map(|(name, condition)| RuleRow {
            name: name.to_owned(),
            condition,
            job_id: None,
            environment_id: None,
            enabled: true,
            channel_ids: Vec::new(),
        })
        .collect()
}

fn channel_view(c: alert_channel::Model) -> AlertChannel {
    AlertChannel {
        name: c.name,
        kind: c.kind,
        config: serde_json::from_str(&c.config).unwrap_or(Value::Null),
        secret_set: c.secret.is_some(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn silence_view(ns: &str, s: silence::Model, now: DateTime<Utc>) -> Silence {
    Silence {
        id: s.id,
        namespace: ns.to_owned(),
        matchers: SilenceMatchers { job: s.job, environment: s.environment, rule: s.rule },
        active: s.until > now,
        until: s.until,
        comment: s.comment,
        created_by: s.created_by,
        created_at: s.created_at,
    }
}

impl Engine {
    // --- channels ---

    pub async fn list_alert_channels(&self, caller: &Caller, ns: &str) -> Result<Vec<AlertChannel>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        Ok(self.store.list_channels(namespace.id).await?.into_iter().map(channel_view).collect())
    }

    pub async fn get_alert_channel(&self, caller: &Caller, ns: &str, name: &str) -> Result<AlertChannel, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        Ok(channel_view(self.channel_model(&namespace, name).await?))
    }

    async fn channel_model(&self, namespace: &namespace::Model, name: &str) -> Result<alert_channel::Model, EngineError> {
        self.store
            .find_channel(namespace.id, name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "alert channel", name: format!("{}/{name}", namespace.name) })
    }

    pub async fn create_alert_channel(&self, caller: &Caller, ns: &str, new: NewChannel) -> Result<AlertChannel, EngineError> {
        caller.act("create-alert-channel", format!("{ns}/{}", new.name));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        names::check("alert channel", &new.name)?;
        let kind: ChannelKind = new.kind.trim().parse()?;
        let parsed = channels::parse_config(kind, new.config, None).map_err(EngineError::Invalid)?;
        let model = self
            .store
            .insert_channel(namespace.id, &new.name, kind, &parsed.public.to_string(), parsed.secret.as_deref())
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("an alert channel named '{}' already exists in namespace '{ns}'", new.name)))?;
        tracing::info!(namespace = ns, channel = %model.name, kind = %kind, by = %caller.name(), "alert channel created");
        Ok(channel_view(model))
    }

    pub async fn update_alert_channel(
        &self,
        caller: &Caller,
        ns: &str,
        name: &str,
        change: ChannelChange,
    ) -> Result<AlertChannel, EngineError> {
        caller.act("update-alert-channel", format!("{ns}/{name}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let current = self.channel_model(&namespace, name).await?;
        let parsed = channels::parse_config(current.kind, change.config, current.secret.as_deref()).map_err(EngineError::Invalid)?;
        self.store.update_channel(current.id, &parsed.public.to_string(), parsed.secret.as_deref()).await?;
        Ok(channel_view(self.channel_model(&namespace, name).await?))
    }

    pub async fn delete_alert_channel(&self, caller: &Caller, ns: &str, name: &str) -> Result<(), EngineError> {
        caller.act("delete-alert-channel", format!("{ns}/{name}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let current = self.channel_model(&namespace, name).await?;
        self.store.delete_channel(current.id).await?;
        tracing::info!(namespace = ns, channel = name, by = %caller.name(), "alert channel deleted");
        Ok(())
    }

    /// Sends a test message through a channel (one attempt, kept in the history); answers whether it arrived.
    pub async fn test_alert_channel(&self, caller: &Caller, ns: &str, name: &str) -> Result<ChannelTest, EngineError> {
        caller.act("test-alert-channel", format!("{ns}/{name}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let channel = self.channel_model(&namespace, name).await?;
        let payload = WebhookPayload {
            status: NotificationEvent::Test,
            namespace: ns.to_owned(),
            job: "weir-test".into(),
            environment: "-".into(),
            rules: vec![PayloadRule {
                name: "test".into(),
                summary: format!("a test message from Weir, sent by {}", caller.name()),
                value: String::new(),
            }],
            started_at: Utc::now(),
            ended_at: None,
            url: self.settings.public_url.clone(),
        };
        let row = self.deliver(&channel, namespace.id, None, &payload, 1).await?;
        Ok(ChannelTest { delivered: row.status == DeliveryStatus::Sent, attempts: row.attempts, error: row.error })
    }

    // --- rules ---

    pub async fn list_alert_rules(&self, caller: &Caller, ns: &str) -> Result<Vec<AlertRule>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let models = self.store.list_rules(namespace.id).await?;
        self.rule_views(&namespace, models).await
    }

    pub async fn get_alert_rule(&self, caller: &Caller, ns: &str, name: &str) -> Result<AlertRule, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let model = self.rule_model(&namespace, name).await?;
        Ok(self.rule_views(&namespace, vec![model]).await?.remove(0))
    }

    async fn rule_model(&self, namespace: &namespace::Model, name: &str) -> Result<alert_rule::Model, EngineError> {
        self.store
            .find_rule(namespace.id, name)
            .await?
            .ok_or_else(|| EngineError::NotFound { kind: "alert rule", name: format!("{}/{name}", namespace.name) })
    }

    async fn rule_views(&self, namespace: &namespace::Model, models: Vec<alert_rule::Model>) -> Result<Vec<AlertRule>, EngineError> {
        let channels: HashMap<i64, String> =
            self.store.list_channels(namespace.id).await?.into_iter().map(|c| (c.id, c.name)).collect();
        let jobs: HashMap<i64, String> = self.store.list_jobs(namespace.id).await?.into_iter().map(|j| (j.id, j.name)).collect();
        let envs: HashMap<i64, String> =
            self.store.list_environments().await?.into_iter().map(|(e, _)| (e.id, e.name)).collect();
        let mut links: HashMap<i64, Vec<String>> = HashMap::new();
        for l in self.store.rule_channels(models.iter().map(|r| r.id).collect()).await? {
            if let Some(name) = channels.get(&l.channel_id) {
                links.entry(l.rule_id).or_default().push(name.clone());
            }
        }
        Ok(models
            .into_iter()
            .map(|r| {
                let condition = condition_of(&r);
                let mut channels = links.remove(&r.id).unwrap_or_default();
                channels.sort();
                AlertRule {
                    summary: rules::describe(&condition),
                    condition,
                    job: r.job_id.and_then(|id| jobs.get(&id).cloned()),
                    environment: r.environment_id.and_then(|id| envs.get(&id).cloned()),
                    channels,
                    enabled: r.enabled,
                    name: r.name,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                }
            })
            .collect())
    }

    /// Resolves a rule's names (condition, job, environment, channels) into a row; bad input is `Invalid`.
    async fn rule_row(&self, namespace: &namespace::Model, rule: NewRule) -> Result<RuleRow, EngineError> {
        let NewRule { name, condition, job, environment, channels: channel_names, enabled } = rule;
        let enabled = enabled.unwrap_or(true);
        let (job, environment) = (job.as_deref(), environment.as_deref());
        let kind: AlertConditionKind = condition.kind.trim().parse()?;
        let condition =
            rules::condition(kind, condition.for_s, condition.threshold, condition.window_s).map_err(EngineError::Invalid)?;
        let job_id = match job {
            Some(j) => Some(
                self.store
                    .find_job(namespace.id, j)
                    .await?
                    .ok_or_else(|| EngineError::Invalid(format!("namespace '{}' has no job '{j}'", namespace.name)))?
                    .id,
            ),
            None => None,
        };
        let environment_id = match environment {
            Some(e) => Some(
                self.store.find_environment(e).await?.ok_or_else(|| EngineError::Invalid(format!("no environment named '{e}'")))?.id,
            ),
            None => None,
        };
        let mut channel_ids = Vec::new();
        for c in &channel_names {
            let channel = self.store.find_channel(namespace.id, c).await?.ok_or_else(|| {
                EngineError::Invalid(format!("namespace '{}' has no alert channel '{c}'; create it first", namespace.name))
            })?;
            if !channel_ids.contains(&channel.id) {
                channel_ids.push(channel.id);
            }
        }
        Ok(RuleRow { name, condition, job_id, environment_id, enabled, channel_ids })
    }

    pub async fn create_alert_rule(&self, caller: &Caller, ns: &str, new: NewRule) -> Result<AlertRule, EngineError> {
        caller.act("create-alert-rule", format!("{ns}/{}", new.name));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        names::check("alert rule", &new.name)?;
        let name = new.name.clone();
        let row = self.rule_row(&namespace, new).await?;
        let model = self
            .store
            .insert_rule(namespace.id, &row)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("an alert rule named '{name}' already exists in namespace '{ns}'")))?;
        tracing::info!(namespace = ns, rule = %model.name, by = %caller.name(), "alert rule created");
        Ok(self.rule_views(&namespace, vec![model]).await?.remove(0))
    }

    pub async fn update_alert_rule(&self, caller: &Caller, ns: &str, name: &str, change: RuleChange) -> Result<AlertRule, EngineError> {
        caller.act("update-alert-rule", format!("{ns}/{name}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let current = self.rule_model(&namespace, name).await?;
        let view = self.rule_views(&namespace, vec![current.clone()]).await?.remove(0);
        let condition = change.condition.unwrap_or(ConditionInput {
            kind: view.condition.kind.as_str().to_owned(),
            for_s: Some(view.condition.for_s),
            threshold: view.condition.threshold,
            window_s: view.condition.window_s,
        });
        let job = change.job.unwrap_or(view.job);
        let environment = change.environment.unwrap_or(view.environment);
        let channels = change.channels.unwrap_or(view.channels);
        let draft = NewRule {
            name: current.name.clone(),
            condition,
            job,
            environment,
            channels,
            enabled: Some(change.enabled.unwrap_or(current.enabled)),
        };
        let row = self.rule_row(&namespace, draft).await?;
        self.store
            .update_rule(current.id, namespace.id, &row)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("an alert rule named '{name}' already exists in namespace '{ns}'")))?;
        let model = self.rule_model(&namespace, name).await?;
        Ok(self.rule_views(&namespace, vec![model]).await?.remove(0))
    }

    pub async fn delete_alert_rule(&self, caller: &Caller, ns: &str, name: &str) -> Result<(), EngineError> {
        caller.act("delete-alert-rule", format!("{ns}/{name}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let current = self.rule_model(&namespace, name).await?;
        self.store.delete_rule(current.id).await?;
        tracing::info!(namespace = ns, rule = name, by = %caller.name(), "alert rule deleted");
        Ok(())
    }

    // --- silences ---

    pub async fn list_silences(&self, caller: &Caller, ns: &str) -> Result<Vec<Silence>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let now = Utc::now();
        Ok(self.store.list_silences(namespace.id).await?.into_iter().map(|s| silence_view(ns, s, now)).collect())
    }

    pub async fn create_silence(&self, caller: &Caller, ns: &str, new: NewSilence) -> Result<Silence, EngineError> {
        let m = &new.matchers;
        let described = [("job", &m.job), ("environment", &m.environment), ("rule", &m.rule)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(",");
        caller.act("create-silence", format!("{ns} {described}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        let now = Utc::now();
        if new.until <= now {
            return Err(EngineError::Invalid("until must be in the future".into()));
        }
        if new.until > now + Duration::days(366) {
            return Err(EngineError::Invalid("a silence lasts at most a year".into()));
        }
        if new.comment.len() > 2000 {
            return Err(EngineError::Invalid("comment is longer than 2000 characters".into()));
        }
        for (what, value) in [("job", &m.job), ("environment", &m.environment), ("rule", &m.rule)] {
            if let Some(v) = value {
                names::check(what, v)?;
            }
        }
        let model = self
            .store
            .insert_silence(silence::ActiveModel {
                namespace_id: Set(namespace.id),
                job: Set(m.job.clone()),
                environment: Set(m.environment.clone()),
                rule: Set(m.rule.clone()),
                until: Set(new.until),
                comment: Set(new.comment.clone()),
                created_by: Set(caller.name()),
                created_at: Set(now),
                ..Default::default()
            })
            .await?;
        tracing::info!(namespace = ns, silence = model.id, until = %model.until, by = %caller.name(), "silence created");
        Ok(silence_view(ns, model, now))
    }

    pub async fn delete_silence(&self, caller: &Caller, ns: &str, id: i64) -> Result<(), EngineError> {
        caller.act("delete-silence", format!("{ns} {id}"));
        let namespace = self.namespace_for(caller, ns, Role::Owner).await?;
        if !self.store.delete_silence(namespace.id, id).await? {
            return Err(EngineError::NotFound { kind: "silence", name: format!("{ns}/{id}") });
        }
        Ok(())
    }

    // --- alerts and history ---

    /// (job name, environment name) of some deployments.
    async fn deployment_names(&self, ids: Vec<i64>) -> Result<HashMap<i64, (String, String)>, EngineError> {
        let db = self.store.db();
        let deployments = deployment::Entity::find().filter(deployment::Column::Id.is_in(ids)).all(db).await?;
        let jobs: HashMap<i64, String> = job::Entity::find()
            .filter(job::Column::Id.is_in(deployments.iter().map(|d| d.job_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|j| (j.id, j.name))
            .collect();
        let envs: HashMap<i64, String> = environment::Entity::find()
            .filter(environment::Column::Id.is_in(deployments.iter().map(|d| d.environment_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
        Ok(deployments
            .into_iter()
            .filter_map(|d| Some((d.id, (jobs.get(&d.job_id)?.clone(), envs.get(&d.environment_id)?.clone()))))
            .collect())
    }

    /// Alerts pending or firing now, and those resolved in the last day, in the namespaces the caller may
    /// read; newest first.
    pub async fn list_alerts(&self, caller: &Caller) -> Result<Vec<Alert>, EngineError> {
        let visible = self.visible_namespaces(caller).await?;
        let ns_ids = visible.as_ref().map(|v| v.iter().map(|n| n.id).collect::<Vec<_>>());
        let now = Utc::now();
        let alerts = self.store.recent_alerts(ns_ids, now - RECENT, MAX_LIST).await?;
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let namespaces: HashMap<i64, String> = match visible {
            Some(v) => v.into_iter().map(|n| (n.id, n.name)).collect(),
            None => self.store.list_namespaces().await?.into_iter().map(|n| (n.id, n.name)).collect(),
        };
        let rules: HashMap<i64, alert_rule::Model> =
            self.store.rules_by_ids(alerts.iter().map(|a| a.rule_id).collect()).await?.into_iter().map(|r| (r.id, r)).collect();
        let names = self.deployment_names(alerts.iter().map(|a| a.deployment_id).collect()).await?;
        let mut silences: HashMap<i64, Vec<(SilenceMatchers, DateTime<Utc>)>> = HashMap::new();
        for s in self.store.active_silences(namespaces.keys().copied().collect(), now).await? {
            silences.entry(s.namespace_id).or_default().push((SilenceMatchers { job: s.job, environment: s.environment, rule: s.rule }, s.until));
        }
        Ok(alerts
            .into_iter()
            .filter_map(|a| {
                let rule = rules.get(&a.rule_id)?;
                let (job, environment) = names.get(&a.deployment_id)?.clone();
                let ns = namespaces.get(&a.namespace_id)?.clone();
                let silenced =
                    group::silenced(silences.get(&a.namespace_id).map_or(&[][..], Vec::as_slice), &job, &environment, &rule.name, now);
                Some(Alert {
                    id: a.id,
                    namespace: ns,
                    job,
                    environment,
                    rule: rule.name.clone(),
                    condition: rule.condition_kind,
                    summary: rules::describe(&condition_of(rule)),
                    state: a.state,
                    value: a.value,
                    started_at: a.started_at,
                    fired_at: a.fired_at,
                    resolved_at: a.resolved_at,
                    silenced,
                })
            })
            .collect())
    }

    /// A namespace's notifications (what was sent where, and how delivery went), newest first.
    pub async fn alert_history(&self, caller: &Caller, ns: &str, limit: Option<u64>) -> Result<Vec<AlertNotification>, EngineError> {
        let namespace = self.namespace_for(caller, ns, Role::Viewer).await?;
        let rows = self.store.list_notifications(namespace.id, limit.unwrap_or(100).clamp(1, MAX_LIST)).await?;
        let names = self.deployment_names(rows.iter().filter_map(|n| n.deployment_id).collect()).await?;
        Ok(rows
            .into_iter()
            .map(|n: alert_notification::Model| {
                let (job, environment) = n.deployment_id.and_then(|d| names.get(&d).cloned()).unzip();
                AlertNotification {
                    id: n.id,
                    namespace: ns.to_owned(),
                    channel: n.channel_name,
                    channel_kind: n.channel_kind,
                    event: n.event,
                    status: n.status,
                    attempts: n.attempts,
                    error: n.error,
                    job,
                    environment,
                    payload: serde_json::from_str(&n.payload).unwrap_or(Value::Null),
                    created_at: n.created_at,
                    finished_at: n.finished_at,
                }
            })
            .collect())
    }
}
