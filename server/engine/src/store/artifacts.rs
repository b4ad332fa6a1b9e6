//! Queries on `artifacts` (the files themselves live under `<data_dir>/artifacts/<sha256>.jar`).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::artifact::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_artifact(&self, sha256: &str, size: i64, file_name: &str) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel {
            sha256: Set(sha256.to_owned()),
            size: Set(size),
            file_name: Set(file_name.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        ).await
    }

    pub async fn find_artifact(&self, sha256: &str) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::Sha256.eq(sha256)).one(self.db()).await
    }

    pub async fn artifact_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }
}
