//! Clusters (targets a backend deploys to) and environments (names bound to a cluster).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Name,
    Kind,
    RestUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    Name,
    ClusterId,
    FlinkConfig,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clusters::Table)
                    .col(ColumnDef::new(Clusters::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Clusters::Name).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Clusters::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Clusters::RestUrl).string_len(2048).not_null())
                    .col(ColumnDef::new(Clusters::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Environments::Table)
                    .col(ColumnDef::new(Environments::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Environments::Name).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Environments::ClusterId).big_integer().not_null())
                    .col(ColumnDef::new(Environments::FlinkConfig).text().not_null())
                    .col(ColumnDef::new(Environments::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_environments_cluster")
                            .from(Environments::Table, Environments::ClusterId)
                            .to(Clusters::Table, Clusters::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Environments::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Clusters::Table).to_owned()).await
    }
}
