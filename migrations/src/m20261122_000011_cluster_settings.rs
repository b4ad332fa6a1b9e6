//! Cluster kinds with their own settings: `clusters.settings` (JSON, the kind's settings; none on clusters
//! registered before it, whose `rest_url` is their whole setting).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Settings,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Clusters::Table).add_column(ColumnDef::new(Clusters::Settings).text().null()).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Clusters::Table).drop_column(Clusters::Settings).to_owned()).await
    }
}
