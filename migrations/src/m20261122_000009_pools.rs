//! Resource pools and quotas: `pools` (capacity on a cluster: slots, and optionally CPU cores and memory),
//! `pool_quotas` (a namespace's share of a pool, one row per pool and namespace) and `environments.pool_id`
//! (the pool an environment draws from; none: no limit).

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pools {
    Table,
    Id,
    Name,
    ClusterId,
    Slots,
    CpuCores,
    MemoryMb,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PoolQuotas {
    Table,
    Id,
    PoolId,
    NamespaceId,
    Slots,
    CpuCores,
    MemoryMb,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Namespaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    PoolId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pools::Table)
                    .col(id(Pools::Id))
                    .col(ColumnDef::new(Pools::Name).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Pools::ClusterId).big_integer().not_null())
                    .col(ColumnDef::new(Pools::Slots).big_integer().not_null())
                    .col(ColumnDef::new(Pools::CpuCores).double().null())
                    .col(ColumnDef::new(Pools::MemoryMb).big_integer().null())
                    .col(ColumnDef::new(Pools::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Pools::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut fk(
                        "fk_pools_cluster",
                        (Pools::Table, Pools::ClusterId),
                        (Clusters::Table, Clusters::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PoolQuotas::Table)
                    .col(id(PoolQuotas::Id))
                    .col(ColumnDef::new(PoolQuotas::PoolId).big_integer().not_null())
                    .col(ColumnDef::new(PoolQuotas::NamespaceId).big_integer().not_null())
                    .col(ColumnDef::new(PoolQuotas::Slots).big_integer().not_null())
                    .col(ColumnDef::new(PoolQuotas::CpuCores).double().null())
                    .col(ColumnDef::new(PoolQuotas::MemoryMb).big_integer().null())
                    .col(ColumnDef::new(PoolQuotas::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(&mut fk(
                        "fk_pool_quotas_pool",
                        (PoolQuotas::Table, PoolQuotas::PoolId),
                        (Pools::Table, Pools::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_pool_quotas_namespace",
                        (PoolQuotas::Table, PoolQuotas::NamespaceId),
                        (Namespaces::Table, Namespaces::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .index(
                        Index::create()
                            .name("ux_pool_quotas_pool_namespace")
                            .col(PoolQuotas::PoolId)
                            .col(PoolQuotas::NamespaceId)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a foreign key to an existing table, but it takes an inline REFERENCES on a new
        // nullable column, as PostgreSQL does. A pool in use is never deleted (the engine refuses; the key too).
        manager
            .alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(ColumnDef::new(Environments::PoolId).big_integer().null().extra("REFERENCES pools (id)"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Environments::Table).drop_column(Environments::PoolId).to_owned()).await?;
        manager.drop_table(Table::drop().table(PoolQuotas::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Pools::Table).to_owned()).await
    }
}
