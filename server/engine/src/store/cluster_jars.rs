//! Queries on `cluster_jars`: which jar is already uploaded to which cluster.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::cluster_jar::{ActiveModel, Column, Entity};
use super::{unique, Store};

impl Store {
    pub async fn cluster_jar(&self, cluster_id: i64, sha256: &str) -> Result<Option<String>, DbErr> {
        Ok(Entity::find()
            .filter(Column::ClusterId.eq(cluster_id))
            .filter(Column::Sha256.eq(sha256))
            .one(self.db())
            .await?
            .map(|m| m.jar_id))
    }

    /// Records an upload; a concurrent record of the same jar keeps the first.
    pub async fn remember_cluster_jar(&self, cluster_id: i64, sha256: &str, jar_id: &str) -> Result<(), DbErr> {
        let _first_or_duplicate = unique(ActiveModel {
            cluster_id: Set(cluster_id),
            sha256: Set(sha256.to_owned()),
            jar_id: Set(jar_id.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db()))
        .await?;
        Ok(())
    }

    /// Forgets an upload the cluster no longer has (e.g. after a cluster restart).
    pub async fn forget_cluster_jar(&self, cluster_id: i64, sha256: &str) -> Result<(), DbErr> {
        Entity::delete_many()
            .filter(Column::ClusterId.eq(cluster_id))
            .filter(Column::Sha256.eq(sha256))
            .exec(self.db())
            .await
            .map(|_| ())
    }
}
