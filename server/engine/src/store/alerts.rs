//! Queries on the alert tables: channels, rules (with their channels, written in one transaction), silences,
//! alerts, what each deployment's group last told each channel, and the notification history; plus the two
//! reads the evaluator makes per look over many deployments at once (their latest finished operations and
//! their recent job-level metric points).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use weir_model::alerts::{AlertCondition, AlertState, ChannelKind, DeliveryStatus, NotificationEvent};
use weir_model::metrics::{MetricName, Resolution};
use weir_model::OperationStatus;

use super::entities::{
    alert, alert_channel, alert_group, alert_notification, alert_rule, alert_rule_channel, metric_point, namespace,
    operation, silence,
};
use super::{unique, Insert, Store};

/// A rule as written: its condition, scope (job and environment ids) and channels.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleRow {
    pub name: String,
    pub condition: AlertCondition,
    pub job_id: Option<i64>,
    pub environment_id: Option<i64>,
    pub enabled: bool,
    pub channel_ids: Vec<i64>,
}

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn rule_active(namespace_id: i64, r: &RuleRow, now: DateTime<Utc>) -> alert_rule::ActiveModel {
    alert_rule::ActiveModel {
        namespace_id: Set(namespace_id),
        name: Set(r.name.clone()),
        condition_kind: Set(r.condition.kind),
        for_s: Set(secs(r.condition.for_s)),
        threshold: Set(r.condition.threshold),
        window_s: Set(r.condition.window_s.map(secs)),
        job_id: Set(r.job_id),
        environment_id: Set(r.environment_id),
        enabled: Set(r.enabled),
        updated_at: Set(now),
        ..Default::default()
    }
}

async fn link_channels<C: sea_orm::ConnectionTrait>(db: &C, rule_id: i64, channel_ids: &[i64]) -> Result<(), DbErr> {
    alert_rule_channel::Entity::delete_many().filter(alert_rule_channel::Column::RuleId.eq(rule_id)).exec(db).await?;
    if channel_ids.is_empty() {
        return Ok(());
    }
    let rows = channel_ids.iter().map(|c| alert_rule_channel::ActiveModel { rule_id: Set(rule_id), channel_id: Set(*c) });
    alert_rule_channel::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

impl Store {
    // --- channels ---

    pub async fn insert_channel(
        &self,
        namespace_id: i64,
        name: &str,
        kind: ChannelKind,
        config: &str,
        secret: Option<&str>,
    ) -> Result<Insert<alert_channel::Model>, DbErr> {
        let now = Utc::now();
        unique(
            alert_channel::ActiveModel {
                namespace_id: Set(namespace_id),
                name: Set(name.to_owned()),
                kind: Set(kind),
                config: Set(config.to_owned()),
                secret: Set(secret.map(str::to_owned)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(self.db()),
        )
        .await
    }

    pub async fn list_channels(&self, namespace_id: i64) -> Result<Vec<alert_channel::Model>, DbErr> {
        alert_channel::Entity::find()
            .filter(alert_channel::Column::NamespaceId.eq(namespace_id))
            .order_by_asc(alert_channel::Column::Name)
            .all(self.db())
            .await
    }

    pub async fn find_channel(&self, namespace_id: i64, name: &str) -> Result<Option<alert_channel::Model>, DbErr> {
        alert_channel::Entity::find()
            .filter(alert_channel::Column::NamespaceId.eq(namespace_id))
            .filter(alert_channel::Column::Name.eq(name))
            .one(self.db())
            .await
    }

    pub async fn channels_by_ids(&self, ids: Vec<i64>) -> Result<Vec<alert_channel::Model>, DbErr> {
        alert_channel::Entity::find().filter(alert_channel::Column::Id.is_in(ids)).all(self.db()).await
    }

    pub async fn update_channel(&self, id: i64, config: &str, secret: Option<&str>) -> Result<(), DbErr> {
        alert_channel::Entity::update_many()
            .col_expr(alert_channel::Column::Config, Expr::value(config))
            .col_expr(alert_channel::Column::Secret, Expr::value(secret.map(str::to_owned)))
            .col_expr(alert_channel::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(alert_channel::Column::Id.eq(id))
            .exec(self.db())
            .await
            .map(|_| ())
    }

    /// Deletes a channel (its rules stop sending to it; the history keeps its name).
    pub async fn delete_channel(&self, id: i64) -> Result<bool, DbErr> {
        Ok(alert_channel::Entity::delete_by_id(id).exec(self.db()).await?.rows_affected == 1)
    }

    // --- rules ---

    /// Inserts a rule and links its channels, in one transaction.
    pub async fn insert_rule(&self, namespace_id: i64, rule: &RuleRow) -> Result<Insert<alert_rule::Model>, DbErr> {
        let txn = self.db().begin().await?;
        let now = Utc::now();
        let mut active = rule_active(namespace_id, rule, now);
        active.created_at = Set(now);
        match unique(active.insert(&txn)).await? {
            Insert::Inserted(model) => {
                link_channels(&txn, model.id, &rule.channel_ids).await?;
                txn.commit().await?;
                Ok(Insert::Inserted(model))
            }
            Insert::Duplicate => {
                txn.rollback().await?;
                Ok(Insert::Duplicate)
            }
        }
    }

    /// Rewrites a rule and its channels, in one transaction (a new name may collide: `Duplicate`).
    pub async fn update_rule(&self, id: i64, namespace_id: i64, rule: &RuleRow) -> Result<Insert<()>, DbErr> {
        let txn = self.db().begin().await?;
        let mut active = rule_active(namespace_id, rule, Utc::now());
        active.id = Set(id);
        match unique(active.update(&txn)).await? {
            Insert::Inserted(_) => {
                link_channels(&txn, id, &rule.channel_ids).await?;
                txn.commit().await?;
                Ok(Insert::Inserted(()))
            }
            Insert::Duplicate => {
                txn.rollback().await?;
                Ok(Insert::Duplicate)
            }
        }
    }

    /// A new namespace with the rules every namespace starts with, in one transaction.
    pub async fn insert_namespace_with_rules(&self, name: &str, rules: &[RuleRow]) -> Result<Insert<namespace::Model>, DbErr> {
        let txn = self.db().begin().await?;
        let now = Utc::now();
        let inserted =
            unique(namespace::ActiveModel { name: Set(name.to_owned()), created_at: Set(now), ..Default::default() }.insert(&txn))
                .await?;
        let Insert::Inserted(model) = inserted else {
            txn.rollback().await?;
            return Ok(Insert::Duplicate);
        };
        for r in rules {
            let mut active = rule_active(model.id, r, now);
            active.created_at = Set(now);
            let rule = active.insert(&txn).await?;
            link_channels(&txn, rule.id, &r.channel_ids).await?;
        }
        txn.commit().await?;
        Ok(Insert::Inserted(model))
    }

    pub async fn list_rules(&self, namespace_id: i64) -> Result<Vec<alert_rule::Model>, DbErr> {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::NamespaceId.eq(namespace_id))
            .order_by_asc(alert_rule::Column::Name)
            .all(self.db())
            .await
    }

    pub async fn find_rule(&self, namespace_id: i64, name: &str) -> Result<Option<alert_rule::Model>, DbErr> {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::NamespaceId.eq(namespace_id))
            .filter(alert_rule::Column::Name.eq(name))
            .one(self.db())
            .await
    }

    pub async fn rules_by_ids(&self, ids: Vec<i64>) -> Result<Vec<alert_rule::Model>, DbErr> {
        alert_rule::Entity::find().filter(alert_rule::Column::Id.is_in(ids)).all(self.db()).await
    }

    /// The enabled rules of some namespaces.
    pub async fn enabled_rules(&self, namespace_ids: Vec<i64>) -> Result<Vec<alert_rule::Model>, DbErr> {
        alert_rule::Entity::find()
            .filter(alert_rule::Column::NamespaceId.is_in(namespace_ids))
            .filter(alert_rule::Column::Enabled.eq(true))
            .all(self.db())
            .await
    }

    /// The (rule, channel) links of some rules.
    pub async fn rule_channels(&self, rule_ids: Vec<i64>) -> Result<Vec<alert_rule_channel::Model>, DbErr> {
        alert_rule_channel::Entity::find().filter(alert_rule_channel::Column::RuleId.is_in(rule_ids)).all(self.db()).await
    }

    /// Deletes a rule with its alerts.
    pub async fn delete_rule(&self, id: i64) -> Result<bool, DbErr> {
        Ok(alert_rule::Entity::delete_by_id(id).exec(self.db()).await?.rows_affected == 1)
    }

    // --- silences ---

    pub async fn insert_silence(&self, row: silence::ActiveModel) -> Result<silence::Model, DbErr> {
        row.insert(self.db()).await
    }

    pub async fn list_silences(&self, namespace_id: i64) -> Result<Vec<silence::Model>, DbErr> {
        silence::Entity::find()
            .filter(silence::Column::NamespaceId.eq(namespace_id))
            .order_by_desc(silence::Column::Id)
            .all(self.db())
            .await
    }

    /// The silences of some namespaces that have not ended.
    pub async fn active_silences(&self, namespace_ids: Vec<i64>, now: DateTime<Utc>) -> Result<Vec<silence::Model>, DbErr> {
        silence::Entity::find()
            .filter(silence::Column::NamespaceId.is_in(namespace_ids))
            .filter(silence::Column::Until.gt(now))
            .all(self.db())
            .await
    }

    pub async fn delete_silence(&self, namespace_id: i64, id: i64) -> Result<bool, DbErr> {
        let deleted = silence::Entity::delete_many()
            .filter(silence::Column::Id.eq(id))
            .filter(silence::Column::NamespaceId.eq(namespace_id))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected == 1)
    }

    // --- alerts ---

    /// The pending and firing alerts of some deployments.
    pub async fn open_alerts(&self, deployment_ids: Vec<i64>) -> Result<Vec<alert::Model>, DbErr> {
        alert::Entity::find()
            .filter(alert::Column::DeploymentId.is_in(deployment_ids))
            .filter(alert::Column::State.is_in([AlertState::Pending, AlertState::Firing]))
            .all(self.db())
            .await
    }

    pub async fn insert_alert(&self, row: alert::ActiveModel) -> Result<alert::Model, DbErr> {
        row.insert(self.db()).await
    }

    pub async fn update_alert(&self, row: alert::ActiveModel) -> Result<alert::Model, DbErr> {
        row.update(self.db()).await
    }

    pub async fn delete_alert(&self, id: i64) -> Result<(), DbErr> {
        alert::Entity::delete_by_id(id).exec(self.db()).await.map(|_| ())
    }

    /// Alerts of some namespaces (all when `None`) that are open, or resolved since `since`; newest first.
    pub async fn recent_alerts(&self, namespace_ids: Option<Vec<i64>>, since: DateTime<Utc>, limit: u64) -> Result<Vec<alert::Model>, DbErr> {
        let mut q = alert::Entity::find().filter(
            sea_orm::Condition::any()
                .add(alert::Column::State.is_in([AlertState::Pending, AlertState::Firing]))
                .add(alert::Column::ResolvedAt.gte(since)),
        );
        if let Some(ids) = namespace_ids {
            q = q.filter(alert::Column::NamespaceId.is_in(ids));
        }
        q.order_by_desc(alert::Column::Id).limit(limit).all(self.db()).await
    }

    // --- what each group told each channel ---

    pub async fn alert_groups(&self, deployment_ids: Vec<i64>) -> Result<Vec<alert_group::Model>, DbErr> {
        alert_group::Entity::find().filter(alert_group::Column::DeploymentId.is_in(deployment_ids)).all(self.db()).await
    }

    pub async fn record_group(
        &self,
        deployment_id: i64,
        channel_id: i64,
        event: NotificationEvent,
        rules: &[String],
        started_at: DateTime<Utc>,
        sent_at: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let rules = serde_json::to_string(rules).map_err(|e| DbErr::Custom(e.to_string()))?;
        let row = alert_group::ActiveModel {
            deployment_id: Set(deployment_id),
            channel_id: Set(channel_id),
            event: Set(event),
            rules: Set(rules),
            started_at: Set(started_at),
            sent_at: Set(sent_at),
        };
        alert_group::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([alert_group::Column::DeploymentId, alert_group::Column::ChannelId])
                    .update_columns([
                        alert_group::Column::Event,
                        alert_group::Column::Rules,
                        alert_group::Column::StartedAt,
                        alert_group::Column::SentAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.db())
            .await
            .map(|_| ())
    }

    // --- the history ---

    pub async fn insert_notification(&self, row: alert_notification::ActiveModel) -> Result<alert_notification::Model, DbErr> {
        row.insert(self.db()).await
    }

    /// Records one delivery attempt's outcome (`finished`: no attempt follows).
    pub async fn record_attempt(
        &self,
        id: i64,
        attempts: i32,
        status: DeliveryStatus,
        error: Option<&str>,
        finished: bool,
    ) -> Result<(), DbErr> {
        let mut update = alert_notification::Entity::update_many()
            .col_expr(alert_notification::Column::Attempts, Expr::value(attempts))
            .col_expr(alert_notification::Column::Status, Expr::value(status))
            .col_expr(alert_notification::Column::Error, Expr::value(error.map(str::to_owned)));
        if finished {
            update = update.col_expr(alert_notification::Column::FinishedAt, Expr::value(Utc::now()));
        }
        update.filter(alert_notification::Column::Id.eq(id)).exec(self.db()).await.map(|_| ())
    }

    /// A namespace's notifications, newest first.
    pub async fn list_notifications(&self, namespace_id: i64, limit: u64) -> Result<Vec<alert_notification::Model>, DbErr> {
        alert_notification::Entity::find()
            .filter(alert_notification::Column::NamespaceId.eq(namespace_id))
            .order_by_desc(alert_notification::Column::Id)
            .limit(limit)
            .all(self.db())
            .await
    }

    // --- the evaluator's reads over many deployments ---

    /// The latest finished operation of each of some deployments (one query).
    pub async fn latest_finished_operations(&self, deployment_ids: Vec<i64>) -> Result<Vec<operation::Model>, DbErr> {
        if deployment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let newest = Query::select()
            .expr(Expr::col(operation::Column::Id).max())
            .from(operation::Entity)
            .and_where(operation::Column::DeploymentId.is_in(deployment_ids))
            .and_where(operation::Column::Status.is_in([OperationStatus::Succeeded, OperationStatus::Failed]))
            .group_by_col(operation::Column::DeploymentId)
            .to_owned();
        operation::Entity::find().filter(operation::Column::Id.in_subquery(newest)).all(self.db()).await
    }

    /// The raw job-level points of some measures of some deployments since `since` (unix ms), oldest first.
    pub async fn recent_job_points(
        &self,
        deployment_ids: Vec<i64>,
        names: Vec<MetricName>,
        since: i64,
    ) -> Result<Vec<metric_point::Model>, DbErr> {
        if deployment_ids.is_empty() || names.is_empty() {
            return Ok(Vec::new());
        }
        metric_point::Entity::find()
            .filter(metric_point::Column::DeploymentId.is_in(deployment_ids))
            .filter(metric_point::Column::Resolution.eq(Resolution::Raw))
            .filter(metric_point::Column::Name.is_in(names))
            .filter(metric_point::Column::Vertex.eq(""))
            .filter(metric_point::Column::Ts.gte(since))
            .order_by_asc(metric_point::Column::Ts)
            .all(self.db())
            .await
    }
}
