//! Queries on `namespaces`.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::namespace::{Column, Entity, Model};
use super::Store;

impl Store {
    pub async fn find_namespace(&self, name: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::Name.eq(name)).one(self.db()).await
    }

    pub async fn list_namespaces(&self) -> Result<Vec<Model>, DbErr> {
        Entity::find().order_by_asc(Column::Name).all(self.db()).await
    }
}
