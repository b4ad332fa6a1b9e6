//! Metrics history: sampled points of each deployment's measures, kept raw and as one-minute and one-hour
//! averages (`resolution`), deleted by retention. `vertex` is empty for job-level series.

use sea_orm_migration::prelude::*;

use crate::shapes::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetricPoints {
    Table,
    DeploymentId,
    Name,
    Vertex,
    Resolution,
    Ts,
    Value,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MetricPoints::Table)
                    .col(ColumnDef::new(MetricPoints::DeploymentId).big_integer().not_null())
                    .col(ColumnDef::new(MetricPoints::Name).string().not_null())
                    .col(ColumnDef::new(MetricPoints::Vertex).string().not_null())
                    .col(ColumnDef::new(MetricPoints::Resolution).string().not_null())
                    .col(ColumnDef::new(MetricPoints::Ts).big_integer().not_null())
                    .col(ColumnDef::new(MetricPoints::Value).double().not_null())
                    .primary_key(
                        Index::create()
                            .col(MetricPoints::DeploymentId)
                            .col(MetricPoints::Resolution)
                            .col(MetricPoints::Name)
                            .col(MetricPoints::Vertex)
                            .col(MetricPoints::Ts),
                    )
                    .foreign_key(&mut fk(
                        "fk_metric_points_deployment",
                        (MetricPoints::Table, MetricPoints::DeploymentId),
                        (Deployments::Table, Deployments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Retention deletes by resolution and age.
        manager
            .create_index(
                Index::create()
                    .name("idx_metric_points_resolution_ts")
                    .table(MetricPoints::Table)
                    .col(MetricPoints::Resolution)
                    .col(MetricPoints::Ts)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MetricPoints::Table).to_owned()).await
    }
}
