//! Alerts on the wire: the words of alerting (channel kinds, condition kinds, an alert's state, what a
//! notification says and how its delivery went) and the types the alerts API answers with — channels (their
//! secrets never leave Weir: only `secret_set` says one is there), rules, silences, alerts and the
//! notification history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

vocabulary! {
    /// Where notifications go.
    ChannelKind, "channel kind" {
        /// A JSON POST, signed with HMAC-SHA256 when a secret is set.
        Webhook = "webhook",
        /// A Slack incoming webhook.
        Slack = "slack",
        /// Mail over SMTP.
        Email = "email",
        /// A Prometheus Alertmanager (its API v2).
        Alertmanager = "alertmanager",
    }
}

vocabulary! {
    /// What an alert rule watches.
    AlertConditionKind, "alert condition" {
        /// The deployment is not in its desired state (FAILED, RESTARTING, LOST, UNREACHABLE, stopped
        /// unexpectedly, ...) for `for_s`.
        NotDesiredState = "not_desired_state",
        /// At least `threshold` restarts within `window_s`.
        Restarts = "restarts",
        /// At least `threshold` failed checkpoints within `window_s`.
        CheckpointFailures = "checkpoint_failures",
        /// The last completed checkpoint is older than `threshold` seconds, for `for_s`.
        CheckpointAge = "checkpoint_age",
        /// The source lag is above `threshold` records for `for_s`.
        Lag = "lag",
        /// The busiest vertex is busier than `threshold` (0..1) for `for_s`.
        Busy = "busy",
        /// The most backpressured vertex is above `threshold` (0..1) for `for_s`.
        Backpressure = "backpressure",
        /// The deployment's latest operation (or savepoint) failed.
        OperationFailed = "operation_failed",
    }
}

vocabulary! {
    /// Where an alert is in its lifecycle.
    AlertState, "alert state" {
        /// The condition holds, not yet for the rule's duration.
        Pending = "pending",
        /// The condition held for the rule's duration: notifications go out.
        Firing = "firing",
        /// The condition no longer holds.
        Resolved = "resolved",
    }
}

vocabulary! {
    /// What a notification tells.
    NotificationEvent, "notification event" {
        /// A deployment's group of alerts fires (or, after the repeat interval, still fires).
        Firing = "firing",
        /// It resolved.
        Resolved = "resolved",
        /// A test message sent on request.
        Test = "test",
    }
}

vocabulary! {
    /// How a notification's delivery went.
    DeliveryStatus, "delivery status" {
        /// Being delivered (attempts may follow).
        Sending = "sending",
        Sent = "sent",
        /// Every attempt failed.
        Failed = "failed",
    }
}

/// A place notifications go. `config` holds everything but the secret (webhook secret, Slack URL, SMTP
/// password), which is write-only: `secret_set` says whether one is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertChannel {
    pub name: String,
    pub kind: ChannelKind,
    pub config: serde_json::Value,
    pub secret_set: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a rule watches, with its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertCondition {
    pub kind: AlertConditionKind,
    /// How long the condition must hold before the alert fires, in seconds (0: at once).
    #[serde(default)]
    pub for_s: u64,
    /// The limit (a count, seconds, records or a ratio, depending on the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The window counts are taken over, in seconds (restarts, checkpoint failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<u64>,
}

/// A condition on a namespace's deployments, scoped to a job and/or an environment (none: all of them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub name: String,
    pub condition: AlertCondition,
    /// What the condition means, in words.
    pub summary: String,
    pub job: Option<String>,
    pub environment: Option<String>,
    /// The channels its notifications go to (none: the alert only shows in Weir).
    pub channels: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a silence matches: every given field must equal (none given: the whole namespace).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceMatchers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A time-boxed mute: alerts it matches still show in Weir, but send nothing until `until`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: i64,
    pub namespace: String,
    pub matchers: SilenceMatchers,
    pub until: DateTime<Utc>,
    pub comment: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// `until` has not passed.
    pub active: bool,
}

/// A rule firing (or about to, or having fired) for one deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub rule: String,
    pub condition: AlertConditionKind,
    pub summary: String,
    pub state: AlertState,
    /// The value that breached the rule, in words (a state, a count, a ratio).
    pub value: String,
    /// When the condition was first seen to hold.
    pub started_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// An active silence matches it: it sends nothing.
    pub silenced: bool,
}

/// One notification, as the alert history keeps it: what was sent where, and how its delivery went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertNotification {
    pub id: i64,
    pub namespace: String,
    pub channel: String,
    pub channel_kind: ChannelKind,
    pub event: NotificationEvent,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
    pub job: Option<String>,
    pub environment: Option<String>,
    /// The message as sent (for a webhook: its exact body).
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The answer of `POST .../alert-channels/{name}/test`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelTest {
    pub delivered: bool,
    pub attempts: i32,
    pub error: Option<String>,
}

/// One rule in a webhook payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayloadRule {
    pub name: String,
    pub summary: String,
    pub value: String,
}

/// The body of a webhook notification (documented in the README): one per deployment, with every rule of
/// its group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// `firing`, `resolved` (or `test`).
    pub status: NotificationEvent,
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub rules: Vec<PayloadRule>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The job's page in Weir.
    pub url: Option<String>,
}

vocabulary! {
    /// How Weir talks to an SMTP server.
    #[derive(Default)]
    SmtpTls, "SMTP security" {
        /// Plain SMTP (a relay on the same machine).
        None = "none",
        /// Plain, upgraded with STARTTLS (required; the default).
        #[default]
        Starttls = "starttls",
        /// TLS from the first byte (SMTPS, usually port 465).
        Tls = "tls",
    }
}

/// A `webhook` channel's settings: a JSON POST to `url`, signed when `secret` is set (write-only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    #[serde(default, skip_serializing)]
    pub secret: Option<String>,
}

/// A `slack` channel's settings: the incoming webhook's URL, which is its secret (write-only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    #[serde(default, skip_serializing)]
    pub url: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

/// An `email` channel's settings: an SMTP server (the password is write-only) and the addresses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    /// A PEM root certificate trusted for this server besides the system's roots (a private mail server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

/// An `alertmanager` channel's settings: the Alertmanager's base URL (alerts go to `<url>/api/v2/alerts`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    pub url: String,
}
