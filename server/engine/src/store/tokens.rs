//! Queries on `api_tokens`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::api_token::{ActiveModel, Column, Entity, Model};
use weir_model::{Role, TokenScopeKind};

use super::Store;

/// A token to insert.
pub struct NewTokenRow<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub namespace_id: Option<i64>,
    pub role: Option<Role>,
    pub scope: TokenScopeKind,
}

impl Store {
    pub async fn insert_token(&self, t: NewTokenRow<'_>) -> Result<Model, DbErr> {
        ActiveModel {
            user_id: Set(t.user_id),
            name: Set(t.name.to_owned()),
            prefix: Set(t.prefix.to_owned()),
            secret_hash: Set(t.secret_hash.to_owned()),
            namespace_id: Set(t.namespace_id),
            role: Set(t.role),
            scope: Set(t.scope),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    pub async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::SecretHash.eq(secret_hash)).one(self.db()).await
    }

    pub async fn token_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }

    /// Tokens, newest first: one user's, or everybody's.
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<Model>, DbErr> {
        let mut q = Entity::find().order_by_desc(Column::Id);
        if let Some(u) = user_id {
            q = q.filter(Column::UserId.eq(u));
        }
        q.all(self.db()).await
    }

    pub async fn revoke_token(&self, token: Model) -> Result<Model, DbErr> {
        let mut active: ActiveModel = token.into();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(self.db()).await
    }

    pub async fn touch_token(&self, id: i64) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await
            .map(|_| ())
    }
}
