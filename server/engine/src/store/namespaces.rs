//! Queries on `namespaces`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::namespace::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    pub async fn find_namespace(&self, name: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::Name.eq(name)).one(self.db()).await
    }

    pub async fn list_namespaces(&self) -> Result<Vec<Model>, DbErr> {
        Entity::find().order_by_asc(Column::Name).all(self.db()).await
    }

    pub async fn insert_namespace(&self, name: &str) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel { name: Set(name.to_owned()), created_at: Set(Utc::now()), ..Default::default() }.insert(self.db())).await
    }

    pub async fn namespace_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }
}
