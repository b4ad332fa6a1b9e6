//! Queries on `clusters`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::cluster::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_cluster(&self, name: &str, kind: &str, rest_url: &str) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel {
            name: Set(name.to_owned()),
            kind: Set(kind.to_owned()),
            rest_url: Set(rest_url.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        ).await
    }

    pub async fn find_cluster(&self, name: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::Name.eq(name)).one(self.db()).await
    }

    pub async fn list_clusters(&self) -> Result<Vec<Model>, DbErr> {
        Entity::find().order_by_asc(Column::Name).all(self.db()).await
    }

    /// Changes where a cluster is reached (and its kind); the name and id stay.
    pub async fn update_cluster(&self, model: Model, kind: &str, rest_url: &str) -> Result<Model, DbErr> {
        let mut active: ActiveModel = model.into();
        active.kind = Set(kind.to_owned());
        active.rest_url = Set(rest_url.to_owned());
        active.update(self.db()).await
    }
}
