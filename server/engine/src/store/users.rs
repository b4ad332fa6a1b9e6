//! Queries on `users`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

use super::entities::user::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_user(&self, name: &str, password_hash: &str, admin: bool) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel {
            name: Set(name.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            admin: Set(admin),
            password_changed_at: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        ).await
    }

    pub async fn find_user(&self, name: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::Name.eq(name)).one(self.db()).await
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }

    pub async fn list_users(&self) -> Result<Vec<Model>, DbErr> {
        Entity::find().order_by_asc(Column::Name).all(self.db()).await
    }

    pub async fn count_users(&self) -> Result<u64, DbErr> {
        Entity::find().count(self.db()).await
    }

    pub async fn update_user(&self, user: Model, password_hash: Option<String>, admin: Option<bool>) -> Result<Model, DbErr> {
        let mut active: ActiveModel = user.into();
        if let Some(hash) = password_hash {
            active.password_hash = Set(hash);
            active.password_changed_at = Set(Some(Utc::now()));
        }
        if let Some(admin) = admin {
            active.admin = Set(admin);
        }
        active.update(self.db()).await
    }

    /// Deletes a user; their memberships and tokens go with them (foreign keys cascade).
    pub async fn delete_user(&self, id: i64) -> Result<(), DbErr> {
        Entity::delete_by_id(id).exec(self.db()).await.map(|_| ())
    }
}
