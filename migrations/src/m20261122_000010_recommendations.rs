//! Resource recommendations: `environments.recommendation_settings` (JSON; none: the defaults) and
//! `recommendation_history` (each recommendation shown, applied or dismissed, with the advice's numbers).

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecommendationHistory {
    Table,
    Id,
    DeploymentId,
    Action,
    Fingerprint,
    Body,
    Reason,
    OperationId,
    By,
    At,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    RecommendationSettings,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecommendationHistory::Table)
                    .col(id(RecommendationHistory::Id))
                    .col(ColumnDef::new(RecommendationHistory::DeploymentId).big_integer().not_null())
                    .col(ColumnDef::new(RecommendationHistory::Action).string_len(16).not_null())
                    .col(ColumnDef::new(RecommendationHistory::Fingerprint).string_len(64).not_null())
                    .col(ColumnDef::new(RecommendationHistory::Body).text().not_null())
                    .col(ColumnDef::new(RecommendationHistory::Reason).text().null())
                    .col(ColumnDef::new(RecommendationHistory::OperationId).big_integer().null())
                    .col(ColumnDef::new(RecommendationHistory::By).string_len(255).not_null())
                    .col(ColumnDef::new(RecommendationHistory::At).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut fk(
                        "fk_recommendation_history_deployment",
                        (RecommendationHistory::Table, RecommendationHistory::DeploymentId),
                        (Deployments::Table, Deployments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_recommendation_history_deployment")
                    .table(RecommendationHistory::Table)
                    .col(RecommendationHistory::DeploymentId)
                    .col(RecommendationHistory::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(ColumnDef::new(Environments::RecommendationSettings).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Environments::Table).drop_column(Environments::RecommendationSettings).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(RecommendationHistory::Table).to_owned()).await
    }
}
