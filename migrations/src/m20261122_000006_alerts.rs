//! Alerts: per namespace, the channels notifications go to (`alert_channels`, the secret in its own column),
//! the rules (`alert_rules`, linked to channels by `alert_rule_channels`), the silences; the alerts
//! themselves (`alerts`: one row per episode of a rule for a deployment: pending, firing, resolved); what each
//! deployment's group last told each channel (`alert_groups`, so a firing group is told once and again only
//! after the repeat interval); and the history of every notification and its delivery
//! (`alert_notifications`). Every existing namespace gets the default rules (new ones get them from the
//! engine when they are created).

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Namespaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AlertChannels {
    Table,
    Id,
    NamespaceId,
    Name,
    Kind,
    Config,
    Secret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    NamespaceId,
    Name,
    ConditionKind,
    ForS,
    Threshold,
    WindowS,
    JobId,
    EnvironmentId,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertRuleChannels {
    Table,
    RuleId,
    ChannelId,
}

#[derive(DeriveIden)]
enum Silences {
    Table,
    Id,
    NamespaceId,
    Job,
    Environment,
    Rule,
    Until,
    Comment,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    NamespaceId,
    RuleId,
    DeploymentId,
    State,
    Value,
    StartedAt,
    FiredAt,
    ResolvedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertGroups {
    Table,
    DeploymentId,
    ChannelId,
    Event,
    Rules,
    StartedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AlertNotifications {
    Table,
    Id,
    NamespaceId,
    ChannelId,
    ChannelName,
    ChannelKind,
    DeploymentId,
    Event,
    Status,
    Attempts,
    Error,
    Payload,
    CreatedAt,
    FinishedAt,
}

fn cascade(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    fk(name, from, to, ForeignKeyAction::Cascade)
}

type DefaultRule = (&'static str, &'static str, i64, Option<f64>, Option<i64>);

/// The rules every namespace starts with (the on-call basics), as they were when this migration was
/// written: (name, condition, for_s, threshold, window_s).
const DEFAULT_RULES: &[DefaultRule] = &[
    ("not-in-desired-state", "not_desired_state", 60, None, None),
    ("restarting", "restarts", 0, Some(3.0), Some(600)),
    ("checkpoints-failing", "checkpoint_failures", 0, Some(3.0), Some(600)),
    ("operation-failed", "operation_failed", 0, None, None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AlertChannels::Table)
                .col(id(AlertChannels::Id))
                .col(ColumnDef::new(AlertChannels::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(AlertChannels::Name).string_len(63).not_null())
                .col(ColumnDef::new(AlertChannels::Kind).string_len(16).not_null())
                .col(ColumnDef::new(AlertChannels::Config).text().not_null())
                .col(ColumnDef::new(AlertChannels::Secret).text().null())
                .col(ColumnDef::new(AlertChannels::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AlertChannels::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade(
                    "fk_alert_channels_namespace",
                    (AlertChannels::Table, AlertChannels::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_alert_channels_namespace_name")
                        .col(AlertChannels::NamespaceId)
                        .col(AlertChannels::Name)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AlertRules::Table)
                .col(id(AlertRules::Id))
                .col(ColumnDef::new(AlertRules::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(AlertRules::Name).string_len(63).not_null())
                .col(ColumnDef::new(AlertRules::ConditionKind).string_len(32).not_null())
                .col(ColumnDef::new(AlertRules::ForS).big_integer().not_null())
                .col(ColumnDef::new(AlertRules::Threshold).double().null())
                .col(ColumnDef::new(AlertRules::WindowS).big_integer().null())
                .col(ColumnDef::new(AlertRules::JobId).big_integer().null())
                .col(ColumnDef::new(AlertRules::EnvironmentId).big_integer().null())
                .col(ColumnDef::new(AlertRules::Enabled).boolean().not_null())
                .col(ColumnDef::new(AlertRules::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AlertRules::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade(
                    "fk_alert_rules_namespace",
                    (AlertRules::Table, AlertRules::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                // A rule scoped to a job or an environment goes with it (never widens to all of them).
                .foreign_key(&mut cascade("fk_alert_rules_job", (AlertRules::Table, AlertRules::JobId), (Jobs::Table, Jobs::Id)))
                .foreign_key(&mut cascade(
                    "fk_alert_rules_environment",
                    (AlertRules::Table, AlertRules::EnvironmentId),
                    (Environments::Table, Environments::Id),
                ))
                .index(Index::create().name("ux_alert_rules_namespace_name").col(AlertRules::NamespaceId).col(AlertRules::Name).unique())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AlertRuleChannels::Table)
                .col(ColumnDef::new(AlertRuleChannels::RuleId).big_integer().not_null())
                .col(ColumnDef::new(AlertRuleChannels::ChannelId).big_integer().not_null())
                .primary_key(Index::create().col(AlertRuleChannels::RuleId).col(AlertRuleChannels::ChannelId))
                .foreign_key(&mut cascade(
                    "fk_alert_rule_channels_rule",
                    (AlertRuleChannels::Table, AlertRuleChannels::RuleId),
                    (AlertRules::Table, AlertRules::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_alert_rule_channels_channel",
                    (AlertRuleChannels::Table, AlertRuleChannels::ChannelId),
                    (AlertChannels::Table, AlertChannels::Id),
                ))
                .to_owned(),
        )
        .await?;

        // Matchers are names, not keys: a silence may be set for a job before it exists.
        m.create_table(
            Table::create()
                .table(Silences::Table)
                .col(id(Silences::Id))
                .col(ColumnDef::new(Silences::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(Silences::Job).string_len(63).null())
                .col(ColumnDef::new(Silences::Environment).string_len(63).null())
                .col(ColumnDef::new(Silences::Rule).string_len(63).null())
                .col(ColumnDef::new(Silences::Until).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Silences::Comment).text().not_null())
                .col(ColumnDef::new(Silences::CreatedBy).string_len(140).not_null())
                .col(ColumnDef::new(Silences::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade(
                    "fk_silences_namespace",
                    (Silences::Table, Silences::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alerts::Table)
                .col(id(Alerts::Id))
                .col(ColumnDef::new(Alerts::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(Alerts::RuleId).big_integer().not_null())
                .col(ColumnDef::new(Alerts::DeploymentId).big_integer().not_null())
                .col(ColumnDef::new(Alerts::State).string_len(16).not_null())
                .col(ColumnDef::new(Alerts::Value).text().not_null())
                .col(ColumnDef::new(Alerts::StartedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Alerts::FiredAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Alerts::ResolvedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Alerts::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade("fk_alerts_namespace", (Alerts::Table, Alerts::NamespaceId), (Namespaces::Table, Namespaces::Id)))
                .foreign_key(&mut cascade("fk_alerts_rule", (Alerts::Table, Alerts::RuleId), (AlertRules::Table, AlertRules::Id)))
                .foreign_key(&mut cascade(
                    "fk_alerts_deployment",
                    (Alerts::Table, Alerts::DeploymentId),
                    (Deployments::Table, Deployments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_alerts_state").table(Alerts::Table).col(Alerts::State).to_owned()).await?;
        m.create_index(
            Index::create().name("ix_alerts_deployment_rule").table(Alerts::Table).col(Alerts::DeploymentId).col(Alerts::RuleId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AlertGroups::Table)
                .col(ColumnDef::new(AlertGroups::DeploymentId).big_integer().not_null())
                .col(ColumnDef::new(AlertGroups::ChannelId).big_integer().not_null())
                .col(ColumnDef::new(AlertGroups::Event).string_len(16).not_null())
                .col(ColumnDef::new(AlertGroups::Rules).text().not_null())
                .col(ColumnDef::new(AlertGroups::StartedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AlertGroups::SentAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(AlertGroups::DeploymentId).col(AlertGroups::ChannelId))
                .foreign_key(&mut cascade(
                    "fk_alert_groups_deployment",
                    (AlertGroups::Table, AlertGroups::DeploymentId),
                    (Deployments::Table, Deployments::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_alert_groups_channel",
                    (AlertGroups::Table, AlertGroups::ChannelId),
                    (AlertChannels::Table, AlertChannels::Id),
                ))
                .to_owned(),
        )
        .await?;

        // The history outlives the channel and the deployment it names (it keeps the channel's name).
        m.create_table(
            Table::create()
                .table(AlertNotifications::Table)
                .col(id(AlertNotifications::Id))
                .col(ColumnDef::new(AlertNotifications::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(AlertNotifications::ChannelId).big_integer().null())
                .col(ColumnDef::new(AlertNotifications::ChannelName).string_len(63).not_null())
                .col(ColumnDef::new(AlertNotifications::ChannelKind).string_len(16).not_null())
                .col(ColumnDef::new(AlertNotifications::DeploymentId).big_integer().null())
                .col(ColumnDef::new(AlertNotifications::Event).string_len(16).not_null())
                .col(ColumnDef::new(AlertNotifications::Status).string_len(16).not_null())
                .col(ColumnDef::new(AlertNotifications::Attempts).integer().not_null())
                .col(ColumnDef::new(AlertNotifications::Error).text().null())
                .col(ColumnDef::new(AlertNotifications::Payload).text().not_null())
                .col(ColumnDef::new(AlertNotifications::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AlertNotifications::FinishedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut cascade(
                    "fk_alert_notifications_namespace",
                    (AlertNotifications::Table, AlertNotifications::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_alert_notifications_channel",
                    (AlertNotifications::Table, AlertNotifications::ChannelId),
                    (AlertChannels::Table, AlertChannels::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_alert_notifications_deployment",
                    (AlertNotifications::Table, AlertNotifications::DeploymentId),
                    (Deployments::Table, Deployments::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_alert_notifications_namespace")
                .table(AlertNotifications::Table)
                .col(AlertNotifications::NamespaceId)
                .col(AlertNotifications::Id)
                .to_owned(),
        )
        .await?;

        // The default rules for the namespaces that exist already.
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let now = chrono::Utc::now();
        let namespaces = db
            .query_all(sea_orm::Statement::from_string(backend, "SELECT id FROM namespaces".to_owned()))
            .await?;
        for row in namespaces {
            let ns: i64 = row.try_get("", "id")?;
            for (name, kind, for_s, threshold, window_s) in DEFAULT_RULES {
                let insert = Query::insert()
                    .into_table(AlertRules::Table)
                    .columns([
                        AlertRules::NamespaceId,
                        AlertRules::Name,
                        AlertRules::ConditionKind,
                        AlertRules::ForS,
                        AlertRules::Threshold,
                        AlertRules::WindowS,
                        AlertRules::Enabled,
                        AlertRules::CreatedAt,
                        AlertRules::UpdatedAt,
                    ])
                    .values_panic([
                        ns.into(),
                        (*name).into(),
                        (*kind).into(),
                        (*for_s).into(),
                        (*threshold).into(),
                        (*window_s).into(),
                        true.into(),
                        now.into(),
                        now.into(),
                    ])
                    .to_owned();
                m.exec_stmt(insert).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AlertNotifications::Table.into_iden(),
            AlertGroups::Table.into_iden(),
            Alerts::Table.into_iden(),
            Silences::Table.into_iden(),
            AlertRuleChannels::Table.into_iden(),
            AlertRules::Table.into_iden(),
            AlertChannels::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
