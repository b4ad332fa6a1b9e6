//! Cluster history: each cluster's slots, CPU, heap, GC and managed memory from the reconciler's looks — the
//! cluster's totals (`task_manager` empty) and each TaskManager's own — kept raw and as one-minute and one-hour
//! averages (`resolution`), deleted by retention like `metric_points`.

use sea_orm_migration::prelude::*;

use crate::shapes::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClusterPoints {
    Table,
    ClusterId,
    Resolution,
    TaskManager,
    Name,
    Ts,
    Value,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClusterPoints::Table)
                    .col(ColumnDef::new(ClusterPoints::ClusterId).big_integer().not_null())
                    .col(ColumnDef::new(ClusterPoints::Resolution).string().not_null())
                    .col(ColumnDef::new(ClusterPoints::TaskManager).string().not_null().default(""))
                    .col(ColumnDef::new(ClusterPoints::Name).string().not_null())
                    .col(ColumnDef::new(ClusterPoints::Ts).big_integer().not_null())
                    .col(ColumnDef::new(ClusterPoints::Value).double().not_null())
                    .primary_key(
                        Index::create()
                            .col(ClusterPoints::ClusterId)
                            .col(ClusterPoints::Resolution)
                            .col(ClusterPoints::TaskManager)
                            .col(ClusterPoints::Name)
                            .col(ClusterPoints::Ts),
                    )
                    .foreign_key(&mut fk(
                        "fk_cluster_points_cluster",
                        (ClusterPoints::Table, ClusterPoints::ClusterId),
                        (Clusters::Table, Clusters::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Retention deletes by resolution and age.
        manager
            .create_index(
                Index::create()
                    .name("idx_cluster_points_resolution_ts")
                    .table(ClusterPoints::Table)
                    .col(ClusterPoints::Resolution)
                    .col(ClusterPoints::Ts)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ClusterPoints::Table).to_owned()).await
    }
}
