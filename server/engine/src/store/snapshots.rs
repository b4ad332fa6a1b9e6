//! Queries on `snapshots`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::snapshot::{ActiveModel, Column, Entity, Model};
use weir_model::{SnapshotKind, SnapshotOrigin};

use super::Store;

/// What is known of a new snapshot.
pub struct NewSnapshot<'a> {
    pub deployment_id: i64,
    pub version_id: i64,
    pub kind: SnapshotKind,
    pub origin: SnapshotOrigin,
    pub path: &'a str,
    pub flink_job_id: &'a str,
    pub operation_id: Option<i64>,
}

impl Store {
    /// Records a completed snapshot; the same path is recorded once.
    pub async fn insert_snapshot(&self, s: NewSnapshot<'_>) -> Result<Model, DbErr> {
        if let Some(existing) = Entity::find()
            .filter(Column::DeploymentId.eq(s.deployment_id))
            .filter(Column::Path.eq(s.path))
            .one(self.db())
            .await?
        {
            return Ok(existing);
        }
        ActiveModel {
            deployment_id: Set(s.deployment_id),
            version_id: Set(s.version_id),
            kind: Set(s.kind),
            origin: Set(s.origin),
            path: Set(s.path.to_owned()),
            flink_job_id: Set(s.flink_job_id.to_owned()),
            operation_id: Set(s.operation_id),
            status: Set("completed".to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    /// Snapshots of the given deployments, newest first.
    pub async fn list_snapshots(&self, deployment_ids: Vec<i64>) -> Result<Vec<Model>, DbErr> {
        Entity::find()
            .filter(Column::DeploymentId.is_in(deployment_ids))
            .order_by_desc(Column::Id)
            .all(self.db())
            .await
    }

    /// The newest snapshot of a deployment of the given kind, optionally taken from one version.
    pub async fn latest_snapshot(
        &self,
        deployment_id: i64,
        kind: Option<SnapshotKind>,
        version_id: Option<i64>,
    ) -> Result<Option<Model>, DbErr> {
        let mut q = Entity::find().filter(Column::DeploymentId.eq(deployment_id)).filter(Column::Status.eq("completed"));
        if let Some(k) = kind {
            q = q.filter(Column::Kind.eq(k));
        }
        if let Some(v) = version_id {
            q = q.filter(Column::VersionId.eq(v));
        }
        q.order_by_desc(Column::Id).one(self.db()).await
    }
}
