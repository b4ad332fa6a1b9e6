//! Desired state at admission: an operation writes the deployment's desired version, configuration and state
//! when it is admitted, and keeps what they were before (`operations.prior_desired`, JSON) so that an
//! operation failing before it changed what runs puts them back.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Operations {
    Table,
    PriorDesired,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Operations::Table)
                    .add_column(ColumnDef::new(Operations::PriorDesired).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Operations::Table).drop_column(Operations::PriorDesired).to_owned())
            .await
    }
}
