//! Accounts and access: users, namespace members with roles, API tokens, the audit log, web sessions, and the
//! environments a namespace may use.

use sea_orm_migration::prelude::*;

use crate::shapes::id;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Namespaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    PasswordHash,
    Admin,
    PasswordChangedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NamespaceMembers {
    Table,
    Id,
    NamespaceId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NamespaceEnvironments {
    Table,
    Id,
    NamespaceId,
    EnvironmentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    SecretHash,
    NamespaceId,
    Role,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    UserId,
    TokenId,
    Action,
    Request,
    Namespace,
    Target,
    Address,
    Status,
    Outcome,
    Message,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

/// Memberships, tokens and allowed environments go with the user, namespace or environment they belong to.
fn cascade(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    crate::shapes::fk(name, from, to, ForeignKeyAction::Cascade)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(ColumnDef::new(Users::Name).string_len(63).not_null().unique_key())
                .col(ColumnDef::new(Users::PasswordHash).string_len(255).not_null())
                .col(ColumnDef::new(Users::Admin).boolean().not_null())
                .col(ColumnDef::new(Users::PasswordChangedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Users::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NamespaceMembers::Table)
                .col(id(NamespaceMembers::Id))
                .col(ColumnDef::new(NamespaceMembers::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(NamespaceMembers::UserId).big_integer().not_null())
                .col(ColumnDef::new(NamespaceMembers::Role).string_len(16).not_null())
                .col(ColumnDef::new(NamespaceMembers::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade(
                    "fk_members_namespace",
                    (NamespaceMembers::Table, NamespaceMembers::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_members_user",
                    (NamespaceMembers::Table, NamespaceMembers::UserId),
                    (Users::Table, Users::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_members_namespace_user")
                        .col(NamespaceMembers::NamespaceId)
                        .col(NamespaceMembers::UserId)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NamespaceEnvironments::Table)
                .col(id(NamespaceEnvironments::Id))
                .col(ColumnDef::new(NamespaceEnvironments::NamespaceId).big_integer().not_null())
                .col(ColumnDef::new(NamespaceEnvironments::EnvironmentId).big_integer().not_null())
                .col(ColumnDef::new(NamespaceEnvironments::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(&mut cascade(
                    "fk_nsenv_namespace",
                    (NamespaceEnvironments::Table, NamespaceEnvironments::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_nsenv_environment",
                    (NamespaceEnvironments::Table, NamespaceEnvironments::EnvironmentId),
                    (Environments::Table, Environments::Id),
                ))
                .index(
                    Index::create()
                        .name("ux_nsenv_namespace_environment")
                        .col(NamespaceEnvironments::NamespaceId)
                        .col(NamespaceEnvironments::EnvironmentId)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(id(ApiTokens::Id))
                .col(ColumnDef::new(ApiTokens::UserId).big_integer().not_null())
                .col(ColumnDef::new(ApiTokens::Name).string_len(63).not_null())
                .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                .col(ColumnDef::new(ApiTokens::SecretHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ApiTokens::NamespaceId).big_integer().null())
                .col(ColumnDef::new(ApiTokens::Role).string_len(16).null())
                .col(ColumnDef::new(ApiTokens::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ApiTokens::RevokedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut cascade("fk_tokens_user", (ApiTokens::Table, ApiTokens::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut cascade(
                    "fk_tokens_namespace",
                    (ApiTokens::Table, ApiTokens::NamespaceId),
                    (Namespaces::Table, Namespaces::Id),
                ))
                .to_owned(),
        )
        .await?;

        // The audit log keeps names, not foreign keys: a record outlives the user or token it names.
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(id(AuditEvents::Id))
                .col(ColumnDef::new(AuditEvents::At).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(AuditEvents::Actor).string_len(140).not_null())
                .col(ColumnDef::new(AuditEvents::UserId).big_integer().null())
                .col(ColumnDef::new(AuditEvents::TokenId).big_integer().null())
                .col(ColumnDef::new(AuditEvents::Action).string_len(63).not_null())
                .col(ColumnDef::new(AuditEvents::Request).string_len(512).not_null())
                .col(ColumnDef::new(AuditEvents::Namespace).string_len(63).null())
                .col(ColumnDef::new(AuditEvents::Target).string_len(255).null())
                .col(ColumnDef::new(AuditEvents::Address).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::Status).integer().not_null())
                .col(ColumnDef::new(AuditEvents::Outcome).string_len(16).not_null())
                .col(ColumnDef::new(AuditEvents::Message).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_audit_namespace").table(AuditEvents::Table).col(AuditEvents::Namespace).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(ColumnDef::new(Sessions::Id).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(Sessions::Data).text().not_null())
                .col(ColumnDef::new(Sessions::ExpiresAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_sessions_expires").table(Sessions::Table).col(Sessions::ExpiresAt).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Sessions::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            NamespaceEnvironments::Table.into_iden(),
            NamespaceMembers::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
