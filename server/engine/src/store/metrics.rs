//! Queries on `metric_points`: writing samples, reading a range, rolling points up into coarser buckets and
//! deleting what retention no longer keeps. The roll-up is one `INSERT ... SELECT ... GROUP BY` per resolution
//! (the same SQL on SQLite and PostgreSQL).

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Statement};
use weir_model::metrics::{MetricName, Resolution};

use super::entities::metric_point::{ActiveModel, Column, Entity, Model};
use super::Store;

/// One sampled value, job-level (`vertex` empty) or of one vertex.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub deployment_id: i64,
    pub name: MetricName,
    pub vertex: String,
    pub ts: i64,
    pub value: f64,
}

impl Store {
    /// Writes raw samples (a sample already written for the same instant is kept).
    pub async fn insert_points(&self, points: Vec<Point>) -> Result<(), DbErr> {
        for chunk in points.chunks(200) {
            let rows = chunk.iter().map(|p| ActiveModel {
                deployment_id: sea_orm::Set(p.deployment_id),
                resolution: sea_orm::Set(Resolution::Raw),
                name: sea_orm::Set(p.name),
                vertex: sea_orm::Set(p.vertex.clone()),
                ts: sea_orm::Set(p.ts),
                value: sea_orm::Set(p.value),
            });
            let keys =
                [Column::DeploymentId, Column::Resolution, Column::Name, Column::Vertex, Column::Ts];
            Entity::insert_many(rows)
                .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
                .do_nothing()
                .exec(self.db())
                .await?;
        }
        Ok(())
    }

    /// The points of some measures of a deployment at one resolution, in `[from, to]`, oldest first.
    pub async fn points(
        &self,
        deployment_id: i64,
        names: &[MetricName],
        resolution: Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<Model>, DbErr> {
        Entity::find()
            .filter(Column::DeploymentId.eq(deployment_id))
            .filter(Column::Resolution.eq(resolution))
            .filter(Column::Name.is_in(names.iter().copied()))
            .filter(Column::Ts.gte(from))
            .filter(Column::Ts.lte(to))
            .order_by_asc(Column::Name)
            .order_by_asc(Column::Vertex)
            .order_by_asc(Column::Ts)
            .all(self.db())
            .await
    }

    /// The job-level points of some measures of several deployments at one resolution, in `[from, to]`, oldest
    /// first (the dashboard's sparklines, in one query).
    pub async fn job_level_points(
        &self,
        deployment_ids: &[i64],
        names: &[MetricName],
        resolution: Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<Model>, DbErr> {
        if deployment_ids.is_empty() {
            return Ok(Vec::new());
        }
        Entity::find()
            .filter(Column::DeploymentId.is_in(deployment_ids.iter().copied()))
            .filter(Column::Resolution.eq(resolution))
            .filter(Column::Name.is_in(names.iter().copied()))
            .filter(Column::Vertex.eq(""))
            .filter(Column::Ts.gte(from))
            .filter(Column::Ts.lte(to))
            .order_by_asc(Column::Ts)
            .all(self.db())
            .await
    }

    /// Averages the points of `from` resolution with `since <= ts < until` into buckets of `to` resolution
    /// (`until` is a bucket boundary, so only whole buckets are rolled up; a bucket already rolled up is kept).
    pub async fn roll_up(&self, from: Resolution, to: Resolution, since: i64, until: i64) -> Result<u64, DbErr> {
        self.roll_up_table("metric_points", "deployment_id, name, vertex", from, to, since, until).await
    }

    /// The roll-up of a points table whose series are told apart by `keys` (its columns besides resolution, ts
    /// and value): one `INSERT ... SELECT ... GROUP BY`, the same SQL on SQLite and PostgreSQL.
    pub(super) async fn roll_up_table(
        &self,
        table: &str,
        keys: &str,
        from: Resolution,
        to: Resolution,
        since: i64,
        until: i64,
    ) -> Result<u64, DbErr> {
        let width = to.bucket_ms();
        let sql = format!(
            "INSERT INTO {table} ({keys}, resolution, ts, value) \
             SELECT {keys}, '{to}', (ts / {width}) * {width}, AVG(value) FROM {table} \
             WHERE resolution = '{from}' AND ts >= {since} AND ts < {until} \
             GROUP BY {keys}, (ts / {width}) * {width} \
             ON CONFLICT DO NOTHING"
        );
        let backend = self.db().get_database_backend();
        Ok(self.db().execute(Statement::from_string(backend, sql)).await?.rows_affected())
    }

    /// The newest bucket of a resolution (none when it has no point).
    pub async fn newest_point(&self, resolution: Resolution) -> Result<Option<i64>, DbErr> {
        Ok(Entity::find()
            .filter(Column::Resolution.eq(resolution))
            .order_by_desc(Column::Ts)
            .one(self.db())
            .await?
            .map(|p| p.ts))
    }

    /// The raw points taken at or after `since` (the newest samples, for `GET /metrics`).
    pub async fn raw_points_since(&self, since: i64) -> Result<Vec<Model>, DbErr> {
        Entity::find()
            .filter(Column::Resolution.eq(Resolution::Raw))
            .filter(Column::Ts.gte(since))
            .order_by_asc(Column::Ts)
            .all(self.db())
            .await
    }

    /// Deletes the points of a resolution older than `cutoff`.
    pub async fn delete_points_before(&self, resolution: Resolution, cutoff: i64) -> Result<u64, DbErr> {
        let deleted = Entity::delete_many()
            .filter(Column::Resolution.eq(resolution))
            .filter(Expr::col(Column::Ts).lt(cutoff))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected)
    }
}
