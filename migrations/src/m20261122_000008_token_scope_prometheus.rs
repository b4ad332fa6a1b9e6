//! Monitoring's two settings: a token's scope (`api_tokens.scope`: `api`, the default, or `metrics` — a
//! scraper's token that may read `GET /metrics` and nothing else) and an environment's Prometheus
//! (`environments.prometheus_url`: when set, Weir reads that environment's metrics history from it with PromQL
//! instead of sampling the cluster).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Scope,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    PrometheusUrl,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(ColumnDef::new(ApiTokens::Scope).string_len(16).not_null().default("api"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(ColumnDef::new(Environments::PrometheusUrl).string_len(512).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Environments::Table).drop_column(Environments::PrometheusUrl).to_owned())
            .await?;
        manager.alter_table(Table::alter().table(ApiTokens::Table).drop_column(ApiTokens::Scope).to_owned()).await
    }
}
