//! Failovers: `deployments.restored_from` (what the deployment's current job was started from: a savepoint or
//! checkpoint path, "" for nothing; none on rows older than this) and `failovers` (each time a running job was
//! seen restored from another snapshot than that by Flink itself — a JobManager failover or a restart — with the
//! newest checkpoint Weir knew then and whether the restored one was older: a stale position).

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
    RestoredFrom,
}

#[derive(DeriveIden)]
enum Failovers {
    Table,
    Id,
    DeploymentId,
    FlinkJobId,
    At,
    RestoredFrom,
    NewestKnown,
    Stale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Deployments::Table).add_column(ColumnDef::new(Deployments::RestoredFrom).text().null()).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Failovers::Table)
                    .col(id(Failovers::Id))
                    .col(ColumnDef::new(Failovers::DeploymentId).big_integer().not_null())
                    .col(ColumnDef::new(Failovers::FlinkJobId).string_len(64).not_null())
                    .col(ColumnDef::new(Failovers::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Failovers::RestoredFrom).text().null())
                    .col(ColumnDef::new(Failovers::NewestKnown).text().null())
                    .col(ColumnDef::new(Failovers::Stale).boolean().not_null())
                    .foreign_key(&mut fk(
                        "fk_failovers_deployment",
                        (Failovers::Table, Failovers::DeploymentId),
                        (Deployments::Table, Deployments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_failovers_deployment")
                    .table(Failovers::Table)
                    .col(Failovers::DeploymentId)
                    .col(Failovers::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Failovers::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Deployments::Table).drop_column(Deployments::RestoredFrom).to_owned())
            .await
    }
}
