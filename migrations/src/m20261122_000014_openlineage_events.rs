//! `openlineage_events`: the OpenLineage RunEvents Weir owes a receiver (an outbox): written when a
//! deployment's job starts, runs and ends, posted by a background sender with retries and backoff, so a
//! slow or absent receiver never holds up an operation and nothing is lost on a restart. One row per run and
//! event type (the unique key makes a repeated observation a no-op).

use sea_orm_migration::prelude::*;

use crate::shapes::id;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OpenlineageEvents {
    Table,
    Id,
    RunId,
    EventType,
    Body,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    GaveUp,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OpenlineageEvents::Table)
                    .col(id(OpenlineageEvents::Id))
                    .col(ColumnDef::new(OpenlineageEvents::RunId).string_len(64).not_null())
                    .col(ColumnDef::new(OpenlineageEvents::EventType).string_len(16).not_null())
                    .col(ColumnDef::new(OpenlineageEvents::Body).text().not_null())
                    .col(ColumnDef::new(OpenlineageEvents::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OpenlineageEvents::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(OpenlineageEvents::NextAttemptAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OpenlineageEvents::DeliveredAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(OpenlineageEvents::GaveUp).boolean().not_null().default(false))
                    .col(ColumnDef::new(OpenlineageEvents::LastError).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_openlineage_events_run_type")
                    .table(OpenlineageEvents::Table)
                    .col(OpenlineageEvents::RunId)
                    .col(OpenlineageEvents::EventType)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_openlineage_events_due")
                    .table(OpenlineageEvents::Table)
                    .col(OpenlineageEvents::DeliveredAt)
                    .col(OpenlineageEvents::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OpenlineageEvents::Table).to_owned()).await
    }
}
