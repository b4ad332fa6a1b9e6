//! Queries on `version_lineage` (insert once, never changed), and the rows the cross-job graph is built from:
//! every job with the versions its environments run and its latest version.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use weir_model::lineage::LineageOrigin;
use weir_model::DesiredState;

use super::entities::{deployment, environment, job, namespace, version, version_lineage};
use super::Store;

/// A job as the graph sees it.
#[derive(Clone, Debug)]
pub struct GraphJob {
    pub namespace: String,
    pub job: job::Model,
    /// (environment, version id, version number) for each environment that runs it.
    pub running: Vec<(String, i64, i32)>,
    /// The latest version (id, number), if any.
    pub latest: Option<(i64, i32)>,
}

impl Store {
    /// Keeps a version's lineage; a second write for the same version changes nothing (it is immutable).
    pub async fn insert_version_lineage(&self, version_id: i64, origin: LineageOrigin, body: String) -> Result<(), DbErr> {
        let row = version_lineage::ActiveModel {
            version_id: sea_orm::Set(version_id),
            origin: sea_orm::Set(origin),
            body: sea_orm::Set(body),
            created_at: sea_orm::Set(chrono::Utc::now()),
        };
        version_lineage::Entity::insert(row)
            .on_conflict(OnConflict::column(version_lineage::Column::VersionId).do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// Gives a new version with the same program (new settings only) its base's lineage, if it has one.
    pub async fn copy_version_lineage(&self, from_version_id: i64, to_version_id: i64) -> Result<(), DbErr> {
        if let Some(row) = self.version_lineage(from_version_id).await? {
            self.insert_version_lineage(to_version_id, row.origin, row.body).await?;
        }
        Ok(())
    }

    pub async fn version_lineage(&self, version_id: i64) -> Result<Option<version_lineage::Model>, DbErr> {
        version_lineage::Entity::find_by_id(version_id).one(self.db()).await
    }

    pub async fn version_lineages(&self, version_ids: &[i64]) -> Result<Vec<version_lineage::Model>, DbErr> {
        let mut out = Vec::new();
        for chunk in version_ids.chunks(500) {
            out.extend(
                version_lineage::Entity::find()
                    .filter(version_lineage::Column::VersionId.is_in(chunk.iter().copied()))
                    .all(self.db())
                    .await?,
            );
        }
        Ok(out)
    }

    /// Every job with what runs it: five queries whatever the number of jobs (one read of every version's
    /// number gives both the running versions' numbers and each job's latest).
    pub async fn graph_jobs(&self) -> Result<Vec<GraphJob>, DbErr> {
        let namespaces: HashMap<i64, String> =
            namespace::Entity::find().all(self.db()).await?.into_iter().map(|n| (n.id, n.name)).collect();
        let environments: HashMap<i64, String> =
            environment::Entity::find().all(self.db()).await?.into_iter().map(|e| (e.id, e.name)).collect();
        let running = deployment::Entity::find()
            .filter(deployment::Column::DesiredState.eq(DesiredState::Running))
            .filter(deployment::Column::VersionId.is_not_null())
            .all(self.db())
            .await?;
        // Version numbers of the running versions and of the latest ones.
        let versions: Vec<(i64, i64, i32)> = version::Entity::find()
            .select_only()
            .column(version::Column::Id)
            .column(version::Column::JobId)
            .column(version::Column::Number)
            .into_tuple()
            .all(self.db())
            .await?;
        let mut by_id: HashMap<i64, i32> = HashMap::new();
        let mut latest_id: HashMap<i64, (i64, i32)> = HashMap::new();
        for (id, job_id, number) in versions {
            by_id.insert(id, number);
            let latest = latest_id.entry(job_id).or_insert((id, number));
            if number > latest.1 {
                *latest = (id, number);
            }
        }
        let mut runs: HashMap<i64, Vec<(String, i64, i32)>> = HashMap::new();
        for d in running {
            let (Some(vid), Some(env)) = (d.version_id, environments.get(&d.environment_id)) else { continue };
            let Some(&number) = by_id.get(&vid) else { continue };
            runs.entry(d.job_id).or_default().push((env.clone(), vid, number));
        }
        let jobs = job::Entity::find().all(self.db()).await?;
        Ok(jobs
            .into_iter()
            .filter_map(|j| {
                let ns = namespaces.get(&j.namespace_id)?.clone();
                Some(GraphJob {
                    namespace: ns,
                    running: runs.remove(&j.id).unwrap_or_default(),
                    latest: latest_id.get(&j.id).copied(),
                    job: j,
                })
            })
            .collect())
    }
}

/// Counts of the OpenLineage outbox.
#[derive(Clone, Debug, Default)]
pub struct OutboxCounts {
    pub pending: u64,
    pub delivered: u64,
    pub gave_up: u64,
    /// The newest failure: (when it was due again, the error).
    pub last_error: Option<String>,
}

impl Store {
    /// Queues a RunEvent; false when this run's event of this type is queued already.
    pub async fn enqueue_openlineage(&self, run_id: &str, event_type: &str, body: String) -> Result<bool, DbErr> {
        use super::entities::openlineage_event::{ActiveModel, Column, Entity};
        let now = chrono::Utc::now();
        let row = ActiveModel {
            run_id: sea_orm::Set(run_id.to_owned()),
            event_type: sea_orm::Set(event_type.to_owned()),
            body: sea_orm::Set(body),
            created_at: sea_orm::Set(now),
            attempts: sea_orm::Set(0),
            next_attempt_at: sea_orm::Set(now),
            delivered_at: sea_orm::Set(None),
            gave_up: sea_orm::Set(false),
            last_error: sea_orm::Set(None),
            ..Default::default()
        };
        let inserted = Entity::insert(row)
            .on_conflict(OnConflict::columns([Column::RunId, Column::EventType]).do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await?;
        Ok(inserted > 0)
    }

    /// Events not delivered yet (due now or later), oldest first.
    pub async fn pending_openlineage(&self, limit: u64) -> Result<Vec<super::entities::openlineage_event::Model>, DbErr> {
        use super::entities::openlineage_event::{Column, Entity};
        use sea_orm::QueryOrder;
        Entity::find()
            .filter(Column::DeliveredAt.is_null())
            .filter(Column::GaveUp.eq(false))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(self.db())
            .await
    }

    /// Records an attempt: delivered, or failed with the error and when to try again (none: given up).
    pub async fn record_openlineage_attempt(
        &self,
        id: i64,
        attempts: i32,
        outcome: Result<(), (String, Option<chrono::DateTime<chrono::Utc>>)>,
    ) -> Result<(), DbErr> {
        use super::entities::openlineage_event::{Column, Entity};
        use sea_orm::sea_query::Expr;
        let mut update = Entity::update_many().col_expr(Column::Attempts, Expr::value(attempts));
        update = match outcome {
            Ok(()) => update.col_expr(Column::DeliveredAt, Expr::value(Some(chrono::Utc::now()))),
            Err((error, Some(next))) => update
                .col_expr(Column::LastError, Expr::value(Some(error)))
                .col_expr(Column::NextAttemptAt, Expr::value(next)),
            Err((error, None)) => {
                update.col_expr(Column::LastError, Expr::value(Some(error))).col_expr(Column::GaveUp, Expr::value(true))
            }
        };
        update.filter(Column::Id.eq(id)).exec(self.db()).await.map(|_| ())
    }

    pub async fn openlineage_counts(&self) -> Result<OutboxCounts, DbErr> {
        use super::entities::openlineage_event::{Column, Entity};
        use sea_orm::{PaginatorTrait, QueryOrder};
        let pending = Entity::find().filter(Column::DeliveredAt.is_null()).filter(Column::GaveUp.eq(false)).count(self.db()).await?;
        let delivered = Entity::find().filter(Column::DeliveredAt.is_not_null()).count(self.db()).await?;
        let gave_up = Entity::find().filter(Column::GaveUp.eq(true)).count(self.db()).await?;
        let last_error = Entity::find()
            .filter(Column::LastError.is_not_null())
            .filter(Column::DeliveredAt.is_null())
            .order_by_desc(Column::Id)
            .one(self.db())
            .await?
            .and_then(|m| m.last_error);
        Ok(OutboxCounts { pending, delivered, gave_up, last_error })
    }
}

/// A deployment with everything an OpenLineage event names.
pub struct DeploymentContext {
    pub deployment: deployment::Model,
    pub job: job::Model,
    pub namespace: String,
    pub environment: String,
    pub cluster: super::entities::cluster::Model,
}

impl Store {
    pub async fn deployment_context(&self, deployment_id: i64) -> Result<Option<DeploymentContext>, DbErr> {
        let Some(d) = self.deployment_by_id(deployment_id).await? else { return Ok(None) };
        let Some(job) = self.job_by_id(d.job_id).await? else { return Ok(None) };
        let Some(ns) = self.namespace_by_id(job.namespace_id).await? else { return Ok(None) };
        let Some(env) = environment::Entity::find_by_id(d.environment_id).one(self.db()).await? else { return Ok(None) };
        let Some(cluster) = super::entities::cluster::Entity::find_by_id(env.cluster_id).one(self.db()).await? else {
            return Ok(None);
        };
        Ok(Some(DeploymentContext { deployment: d, job, namespace: ns.name, environment: env.name, cluster }))
    }
}
