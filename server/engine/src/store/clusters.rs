//! Queries on `clusters`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use weir_model::ClusterSettings;

use super::entities::cluster::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_cluster(&self, name: &str, settings: &ClusterSettings) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel {
            name: Set(name.to_owned()),
            kind: Set(settings.kind()),
            rest_url: Set(settings.rest_url().unwrap_or_default().to_owned()),
            settings: Set(Some(settings.to_value().to_string())),
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

    /// Changes a cluster's kind and settings; the name and id stay.
    pub async fn update_cluster(&self, model: Model, settings: &ClusterSettings) -> Result<Model, DbErr> {
        let mut active: ActiveModel = model.into();
        active.kind = Set(settings.kind());
        active.rest_url = Set(settings.rest_url().unwrap_or_default().to_owned());
        active.settings = Set(Some(settings.to_value().to_string()));
        active.update(self.db()).await
    }
}
