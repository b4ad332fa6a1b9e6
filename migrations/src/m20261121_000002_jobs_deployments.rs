//! The engine's domain: namespaces, jobs, versions, JAR artifacts, deployments, operations and their steps,
//! snapshots, and the jars uploaded to each cluster.

use sea_orm_migration::prelude::*;

use crate::shapes::id;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Namespaces {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    NamespaceId,
    Name,
    Kind,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Artifacts {
    Table,
    Id,
    Sha256,
    Size,
    FileName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Versions {
    Table,
    Id,
    JobId,
    Number,
    Sql,
    ArtifactId,
    EntryClass,
    Args,
    Parallelism,
    FlinkConfig,
    Mode,
    Message,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
    JobId,
    EnvironmentId,
    DesiredState,
    VersionId,
    ConfigOverrides,
    FlinkJobId,
    ObservedState,
    ObservedAt,
    LatestCheckpoint,
    ActiveOperationId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Operations {
    Table,
    Id,
    DeploymentId,
    Kind,
    RequestedBy,
    Params,
    Status,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum OperationSteps {
    Table,
    Id,
    OperationId,
    Seq,
    Name,
    Status,
    Data,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Snapshots {
    Table,
    Id,
    DeploymentId,
    VersionId,
    Kind,
    Origin,
    Path,
    FlinkJobId,
    OperationId,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClusterJars {
    Table,
    Id,
    ClusterId,
    Sha256,
    JarId,
    CreatedAt,
}

/// Rows that others refer to may not be deleted from under them.
fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    crate::shapes::fk(name, from, to, ForeignKeyAction::Restrict)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Namespaces::Table)
                .col(id(Namespaces::Id))
                .col(ColumnDef::new(Namespaces::Name).string_len(63).not_null().unique_key())
                .col(ColumnDef::new(Namespaces::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(Namespaces::Table)
                .columns([Namespaces::Name, Namespaces::CreatedAt])
                .values_panic(["default".into(), Expr::current_timestamp().into()])
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(id(Jobs::Id))
                .col(ColumnDef::new(Jobs::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(Jobs::Name).string_len(63).not_null())
                .col(ColumnDef::new(Jobs::Kind).string_len(16).not_null())
                .col(ColumnDef::new(Jobs::Description).text().not_null())
                .col(ColumnDef::new(Jobs::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk("fk_jobs_namespace", (Jobs::Table, Jobs::NamespaceId), (Namespaces::Table, Namespaces::Id)))
                .index(Index::create().name("ux_jobs_namespace_name").col(Jobs::NamespaceId).col(Jobs::Name).unique())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Artifacts::Table)
                .col(id(Artifacts::Id))
                .col(ColumnDef::new(Artifacts::Sha256).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Artifacts::Size).big_integer().not_null())
                .col(ColumnDef::new(Artifacts::FileName).string_len(255).not_null())
                .col(ColumnDef::new(Artifacts::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Versions::Table)
                .col(id(Versions::Id))
                .col(ColumnDef::new(Versions::JobId).big_integer().not_null())
                .col(ColumnDef::new(Versions::Number).integer().not_null())
                .col(ColumnDef::new(Versions::Sql).text().null())
                .col(ColumnDef::new(Versions::ArtifactId).big_integer().null())
                .col(ColumnDef::new(Versions::EntryClass).string_len(255).null())
                .col(ColumnDef::new(Versions::Args).text().not_null())
                .col(ColumnDef::new(Versions::Parallelism).integer().null())
                .col(ColumnDef::new(Versions::FlinkConfig).text().not_null())
                .col(ColumnDef::new(Versions::Mode).string_len(16).not_null())
                .col(ColumnDef::new(Versions::Message).text().not_null())
                .col(ColumnDef::new(Versions::Author).string_len(255).not_null())
                .col(ColumnDef::new(Versions::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk("fk_versions_job", (Versions::Table, Versions::JobId), (Jobs::Table, Jobs::Id)))
                .foreign_key(&mut fk(
                    "fk_versions_artifact",
                    (Versions::Table, Versions::ArtifactId),
                    (Artifacts::Table, Artifacts::Id),
                ))
                .index(Index::create().name("ux_versions_job_number").col(Versions::JobId).col(Versions::Number).unique())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Deployments::Table)
                .col(id(Deployments::Id))
                .col(ColumnDef::new(Deployments::JobId).big_integer().not_null())
                .col(ColumnDef::new(Deployments::EnvironmentId).big_integer().not_null())
                .col(ColumnDef::new(Deployments::DesiredState).string_len(16).not_null())
                .col(ColumnDef::new(Deployments::VersionId).big_integer().null())
                .col(ColumnDef::new(Deployments::ConfigOverrides).text().not_null())
                .col(ColumnDef::new(Deployments::FlinkJobId).string_len(32).null())
                .col(ColumnDef::new(Deployments::ObservedState).string_len(32).not_null())
                .col(ColumnDef::new(Deployments::ObservedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Deployments::LatestCheckpoint).text().null())
                .col(ColumnDef::new(Deployments::ActiveOperationId).big_integer().null())
                .col(ColumnDef::new(Deployments::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Deployments::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk("fk_deployments_job", (Deployments::Table, Deployments::JobId), (Jobs::Table, Jobs::Id)))
                .foreign_key(&mut fk(
                    "fk_deployments_environment",
                    (Deployments::Table, Deployments::EnvironmentId),
                    (Environments::Table, Environments::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_deployments_version",
                    (Deployments::Table, Deployments::VersionId),
                    (Versions::Table, Versions::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_deployments_job_environment")
                        .col(Deployments::JobId)
                        .col(Deployments::EnvironmentId)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Operations::Table)
                .col(id(Operations::Id))
                .col(ColumnDef::new(Operations::DeploymentId).big_integer().not_null())
                .col(ColumnDef::new(Operations::Kind).string_len(16).not_null())
                .col(ColumnDef::new(Operations::RequestedBy).string_len(255).not_null())
                .col(ColumnDef::new(Operations::Params).text().not_null())
                .col(ColumnDef::new(Operations::Status).string_len(16).not_null())
                .col(ColumnDef::new(Operations::Error).text().null())
                .col(ColumnDef::new(Operations::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(Operations::StartedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Operations::FinishedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut fk(
                    "fk_operations_deployment",
                    (Operations::Table, Operations::DeploymentId),
                    (Deployments::Table, Deployments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_operations_status").table(Operations::Table).col(Operations::Status).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table(OperationSteps::Table)
                .col(id(OperationSteps::Id))
                .col(ColumnDef::new(OperationSteps::OperationId).big_integer().not_null())
                .col(ColumnDef::new(OperationSteps::Seq).integer().not_null())
                .col(ColumnDef::new(OperationSteps::Name).string_len(32).not_null())
                .col(ColumnDef::new(OperationSteps::Status).string_len(16).not_null())
                .col(ColumnDef::new(OperationSteps::Data).text().not_null())
                .col(ColumnDef::new(OperationSteps::StartedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(OperationSteps::FinishedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut fk(
                    "fk_steps_operation",
                    (OperationSteps::Table, OperationSteps::OperationId),
                    (Operations::Table, Operations::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_steps_operation_seq")
                        .col(OperationSteps::OperationId)
                        .col(OperationSteps::Seq)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Snapshots::Table)
                .col(id(Snapshots::Id))
                .col(ColumnDef::new(Snapshots::DeploymentId).big_integer().not_null())
                .col(ColumnDef::new(Snapshots::VersionId).big_integer().not_null())
                .col(ColumnDef::new(Snapshots::Kind).string_len(16).not_null())
                .col(ColumnDef::new(Snapshots::Origin).string_len(16).not_null())
                .col(ColumnDef::new(Snapshots::Path).text().not_null())
                .col(ColumnDef::new(Snapshots::FlinkJobId).string_len(32).not_null())
                .col(ColumnDef::new(Snapshots::OperationId).big_integer().null())
                .col(ColumnDef::new(Snapshots::Status).string_len(16).not_null())
                .col(ColumnDef::new(Snapshots::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk(
                    "fk_snapshots_deployment",
                    (Snapshots::Table, Snapshots::DeploymentId),
                    (Deployments::Table, Deployments::Id),
                ))
                .foreign_key(&mut fk("fk_snapshots_version", (Snapshots::Table, Snapshots::VersionId), (Versions::Table, Versions::Id)))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ClusterJars::Table)
                .col(id(ClusterJars::Id))
                .col(ColumnDef::new(ClusterJars::ClusterId).big_integer().not_null())
                .col(ColumnDef::new(ClusterJars::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(ClusterJars::JarId).string_len(255).not_null())
                .col(ColumnDef::new(ClusterJars::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut fk(
                    "fk_cluster_jars_cluster",
                    (ClusterJars::Table, ClusterJars::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_cluster_jars_cluster_sha")
                        .col(ClusterJars::ClusterId)
                        .col(ClusterJars::Sha256)
                        .unique(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ClusterJars::Table.into_iden(),
            Snapshots::Table.into_iden(),
            OperationSteps::Table.into_iden(),
            Operations::Table.into_iden(),
            Deployments::Table.into_iden(),
            Versions::Table.into_iden(),
            Artifacts::Table.into_iden(),
            Jobs::Table.into_iden(),
            Namespaces::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
