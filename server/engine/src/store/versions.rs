//! Queries on `versions`. Versions are only ever inserted: never updated, never deleted.

use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::version::{ActiveModel, Column, Entity, Model};
use super::{unique, Insert, Store};

impl Store {
    /// Inserts the next version of a job; its number is one more than the highest so far. The unique index on
    /// (job, number) makes a concurrent insert of the same number a [`Insert::Duplicate`] the caller retries.
    pub async fn insert_version(&self, mut version: ActiveModel, job_id: i64) -> Result<Insert<Model>, DbErr> {
        let next = self.latest_version_number(job_id).await? + 1;
        version.job_id = sea_orm::Set(job_id);
        version.number = sea_orm::Set(next);
        unique(version.insert(self.db())).await
    }

    /// The highest version number of a job, 0 when it has none.
    pub async fn latest_version_number(&self, job_id: i64) -> Result<i32, DbErr> {
        let max: Option<Option<i32>> = Entity::find()
            .select_only()
            .column_as(Column::Number.max(), "max")
            .filter(Column::JobId.eq(job_id))
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(max.flatten().unwrap_or(0))
    }

    pub async fn find_version(&self, job_id: i64, number: i32) -> Result<Option<Model>, DbErr> {
        Entity::find().filter(Column::JobId.eq(job_id)).filter(Column::Number.eq(number)).one(self.db()).await
    }

    pub async fn version_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }

    /// Every version of a job, newest first.
    pub async fn list_versions(&self, job_id: i64) -> Result<Vec<Model>, DbErr> {
        Entity::find().filter(Column::JobId.eq(job_id)).order_by_desc(Column::Number).all(self.db()).await
    }
}
