//! Queries on `sessions` (the web session store, see `auth::session_store`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::session::{ActiveModel, Column, Entity, Model};
use super::Store;

impl Store {
    /// Inserts a session; false when the id is taken.
    pub async fn insert_session(&self, id: &str, data: &str, expires_at: DateTime<Utc>) -> Result<bool, DbErr> {
        let row = ActiveModel { id: Set(id.to_owned()), data: Set(data.to_owned()), expires_at: Set(expires_at) };
        let res = Entity::insert(row).on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned()).exec_without_returning(self.db()).await?;
        Ok(res > 0)
    }

    pub async fn upsert_session(&self, id: &str, data: &str, expires_at: DateTime<Utc>) -> Result<(), DbErr> {
        let row = ActiveModel { id: Set(id.to_owned()), data: Set(data.to_owned()), expires_at: Set(expires_at) };
        Entity::insert(row)
            .on_conflict(OnConflict::column(Column::Id).update_columns([Column::Data, Column::ExpiresAt]).to_owned())
            .exec_without_returning(self.db())
            .await
            .map(|_| ())
    }

    /// A session that has not expired.
    pub async fn load_session(&self, id: &str) -> Result<Option<Model>, DbErr> {
        // Compared here, not in SQL: the same on every backend, whatever the stored text looks like.
        Ok(Entity::find_by_id(id.to_owned()).one(self.db()).await?.filter(|s| s.expires_at > Utc::now()))
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), DbErr> {
        Entity::delete_by_id(id.to_owned()).exec(self.db()).await.map(|_| ())
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64, DbErr> {
        Ok(Entity::delete_many().filter(Column::ExpiresAt.lte(Utc::now())).exec(self.db()).await?.rows_affected)
    }
}
