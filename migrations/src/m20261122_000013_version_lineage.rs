//! `version_lineage`: what a version reads and writes, kept with it (versions are immutable, so is this): the
//! planner's column lineage of a SQL version, a JAR version's declared datasets, or why the planner's tree could
//! not be mapped. One row per version at most; a version saved while no planner was at hand gets its row on
//! first read.

use sea_orm_migration::prelude::*;

use crate::shapes::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Versions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum VersionLineage {
    Table,
    VersionId,
    Origin,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VersionLineage::Table)
                    .col(ColumnDef::new(VersionLineage::VersionId).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(VersionLineage::Origin).string_len(16).not_null())
                    .col(ColumnDef::new(VersionLineage::Body).text().not_null())
                    .col(ColumnDef::new(VersionLineage::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut fk(
                        "fk_version_lineage_version",
                        (VersionLineage::Table, VersionLineage::VersionId),
                        (Versions::Table, Versions::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(VersionLineage::Table).to_owned()).await
    }
}
