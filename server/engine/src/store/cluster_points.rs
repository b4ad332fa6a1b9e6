//! Queries on `cluster_points` (each cluster's and each TaskManager's slots, CPU, heap, GC and managed memory
//! over time): writing a look's points,
//! reading a range, rolling up into coarser buckets and retention — the same shapes as `metrics.rs`.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use weir_model::metrics::{ClusterMetricName, Resolution};

use super::entities::cluster_point::{ActiveModel, Column, Entity, Model};
use super::Store;

/// One sampled value of a cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterPoint {
    pub cluster_id: i64,
    /// Flink's TaskManager id; empty for the cluster's totals.
    pub task_manager: String,
    pub name: ClusterMetricName,
    pub ts: i64,
    pub value: f64,
}

impl Store {
    /// Writes raw points (a point already written for the same instant is kept).
    pub async fn insert_cluster_points(&self, points: Vec<ClusterPoint>) -> Result<(), DbErr> {
        for chunk in points.chunks(200) {
            let rows = chunk.iter().map(|p| ActiveModel {
                cluster_id: sea_orm::Set(p.cluster_id),
                resolution: sea_orm::Set(Resolution::Raw),
                task_manager: sea_orm::Set(p.task_manager.clone()),
                name: sea_orm::Set(p.name),
                ts: sea_orm::Set(p.ts),
                value: sea_orm::Set(p.value),
            });
            Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([Column::ClusterId, Column::Resolution, Column::TaskManager, Column::Name, Column::Ts])
                        .do_nothing()
                        .to_owned(),
                )
                .do_nothing()
                .exec(self.db())
                .await?;
        }
        Ok(())
    }

    /// The points of some measures of a cluster at one resolution, in `[from, to]`, by TaskManager (the
    /// cluster's totals first), name, then oldest first; the cluster's totals only unless `task_managers`.
    #[allow(clippy::too_many_arguments)]
    pub async fn cluster_points(
        &self,
        cluster_id: i64,
        names: &[ClusterMetricName],
        task_managers: bool,
        resolution: Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<Model>, DbErr> {
        let mut q = Entity::find().filter(Column::ClusterId.eq(cluster_id));
        if !task_managers {
            q = q.filter(Column::TaskManager.eq(""));
        }
        q
            .filter(Column::Resolution.eq(resolution))
            .filter(Column::Name.is_in(names.iter().copied()))
            .filter(Column::Ts.gte(from))
            .filter(Column::Ts.lte(to))
            .order_by_asc(Column::TaskManager)
            .order_by_asc(Column::Name)
            .order_by_asc(Column::Ts)
            .all(self.db())
            .await
    }

    /// Averages the points of `from` resolution with `since <= ts < until` into buckets of `to` resolution.
    pub async fn roll_up_cluster_points(
        &self,
        from: Resolution,
        to: Resolution,
        since: i64,
        until: i64,
    ) -> Result<u64, DbErr> {
        self.roll_up_table("cluster_points", "cluster_id, task_manager, name", from, to, since, until).await
    }

    /// The newest bucket of a resolution (none when it has no point).
    pub async fn newest_cluster_point(&self, resolution: Resolution) -> Result<Option<i64>, DbErr> {
        Ok(Entity::find()
            .filter(Column::Resolution.eq(resolution))
            .order_by_desc(Column::Ts)
            .one(self.db())
            .await?
            .map(|p| p.ts))
    }

    /// Deletes the points of a resolution older than `cutoff`.
    pub async fn delete_cluster_points_before(&self, resolution: Resolution, cutoff: i64) -> Result<u64, DbErr> {
        let deleted = Entity::delete_many()
            .filter(Column::Resolution.eq(resolution))
            .filter(Expr::col(Column::Ts).lt(cutoff))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }
}
