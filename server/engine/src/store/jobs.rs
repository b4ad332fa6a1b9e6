//! Queries on `jobs`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::job::{ActiveModel, Column, Entity, Model};
use weir_model::JobKind;

use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_job(&self, namespace_id: i64, name: &str, kind: JobKind, description: &str) -> Result<Insert<Model>, DbErr> {
        unique(ActiveModel {
            namespace_id: Set(namespace_id),
            name: Set(name.to_owned()),
            kind: Set(kind),
            description: Set(description.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        ).await
    }

    pub async fn find_job(&self, namespace_id: i64, name: &str) -> Result<Option<Model>, DbErr> {
        Entity::find()
            .filter(Column::NamespaceId.eq(namespace_id))
            .filter(Column::Name.eq(name))
            .one(self.db())
            .await
    }

    pub async fn job_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }

    pub async fn list_jobs(&self, namespace_id: i64) -> Result<Vec<Model>, DbErr> {
        Entity::find().filter(Column::NamespaceId.eq(namespace_id)).order_by_asc(Column::Name).all(self.db()).await
    }
}
