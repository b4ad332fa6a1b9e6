//! Queries on `deployments`.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::deployment::{ActiveModel, Column, Entity, Model};
use weir_model::{DesiredState, ObservedState};

use super::{unique, Insert, Store};

impl Store {
    /// The deployment of a job in an environment, created (suspended, never deployed) on first use.
    pub async fn deployment_for(&self, job_id: i64, environment_id: i64) -> Result<Model, DbErr> {
        if let Some(d) = self.find_deployment(job_id, environment_id).await? {
            return Ok(d);
        }
        let now = Utc::now();
        let inserted = unique(ActiveModel {
            job_id: Set(job_id),
            environment_id: Set(environment_id),
            desired_state: Set(DesiredState::Suspended),
            version_id: Set(None),
            config_overrides: Set("{}".into()),
            flink_job_id: Set(None),
            observed_state: Set(ObservedState::None),
            observed_at: Set(None),
            latest_checkpoint: Set(None),
            active_operation_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db()))
        .await?;
        match inserted {
            Insert::Inserted(d) => Ok(d),
            // Created concurrently by another request: use that one.
            Insert::Duplicate => self
                .find_deployment(job_id, environment_id)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("deployment".into())),
        }
    }

    pub async fn find_deployment(&self, job_id: i64, environment_id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find()
            .filter(Column::JobId.eq(job_id))
            .filter(Column::EnvironmentId.eq(environment_id))
            .one(self.db())
            .await
    }

    pub async fn deployment_by_id(&self, id: i64) -> Result<Option<Model>, DbErr> {
        Entity::find_by_id(id).one(self.db()).await
    }

    pub async fn list_deployments_of_job(&self, job_id: i64) -> Result<Vec<Model>, DbErr> {
        Entity::find().filter(Column::JobId.eq(job_id)).order_by_asc(Column::EnvironmentId).all(self.db()).await
    }

    /// Deployments on a cluster with a Flink job to watch.
    pub async fn watched_deployments_on(&self, cluster_id: i64) -> Result<Vec<Model>, DbErr> {
        use super::entities::environment;
        let environments: Vec<i64> = environment::Entity::find()
            .filter(environment::Column::ClusterId.eq(cluster_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        Entity::find()
            .filter(Column::EnvironmentId.is_in(environments))
            .filter(Column::FlinkJobId.is_not_null())
            .all(self.db())
            .await
    }

    /// Writes the observed state (and the latest checkpoint when given) of the deployment's job — only while
    /// `job_id` is still its job, so a look taken before a new job was submitted cannot overwrite the news.
    pub async fn observe_deployment(
        &self,
        id: i64,
        job_id: &str,
        state: ObservedState,
        latest_checkpoint: Option<&str>,
    ) -> Result<(), DbErr> {
        let mut update = Entity::update_many()
            .col_expr(Column::ObservedState, Expr::value(state))
            .col_expr(Column::ObservedAt, Expr::value(Utc::now()));
        if let Some(path) = latest_checkpoint {
            update = update.col_expr(Column::LatestCheckpoint, Expr::value(path));
        }
        update.filter(Column::Id.eq(id)).filter(Column::FlinkJobId.eq(job_id)).exec(self.db()).await.map(|_| ())
    }

    /// Makes `job_id` the deployment's job, just created from `restored_from` ("" for nothing): CREATED, no
    /// checkpoint yet.
    pub async fn track_job(&self, id: i64, job_id: &str, restored_from: &str) -> Result<Model, DbErr> {
        Entity::update_many()
            .col_expr(Column::FlinkJobId, Expr::value(job_id))
            .col_expr(Column::RestoredFrom, Expr::value(restored_from))
            .col_expr(Column::ObservedState, Expr::value(ObservedState::Created))
            .col_expr(Column::ObservedAt, Expr::value(Utc::now()))
            .col_expr(Column::LatestCheckpoint, Expr::value(Option::<String>::None))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        self.deployment_by_id(id).await?.ok_or_else(|| DbErr::RecordNotFound(format!("deployment {id}")))
    }

    /// Records what the deployment's job restored from, while `job_id` is its job.
    pub async fn set_restored_from(&self, id: i64, job_id: &str, restored_from: &str) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::RestoredFrom, Expr::value(restored_from))
            .filter(Column::Id.eq(id))
            .filter(Column::FlinkJobId.eq(job_id))
            .exec(self.db())
            .await
            .map(|_| ())
    }

    /// Records a failover of the deployment's job, and that it now runs from what it restored (in one
    /// transaction).
    pub async fn record_failover(
        &self,
        id: i64,
        job_id: &str,
        restored_from: &str,
        newest_known: Option<&str>,
        stale: bool,
    ) -> Result<(), DbErr> {
        use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
        let txn = self.db().begin().await?;
        super::entities::failover::ActiveModel {
            deployment_id: Set(id),
            flink_job_id: Set(job_id.to_owned()),
            at: Set(Utc::now()),
            restored_from: Set(Some(restored_from.to_owned())),
            newest_known: Set(newest_known.map(str::to_owned)),
            stale: Set(stale),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Entity::update_many()
            .col_expr(Column::RestoredFrom, Expr::value(restored_from))
            .filter(Column::Id.eq(id))
            .filter(Column::FlinkJobId.eq(job_id))
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    /// The deployment's latest failover, if any.
    pub async fn latest_failover(&self, id: i64) -> Result<Option<super::entities::failover::Model>, DbErr> {
        use super::entities::failover::{Column as F, Entity as Failovers};
        use sea_orm::QueryOrder;
        Failovers::find().filter(F::DeploymentId.eq(id)).order_by_desc(F::Id).one(self.db()).await
    }

    /// Every failover that went back to an older checkpoint (the dashboard keeps those whose job still runs).
    pub async fn stale_failovers(&self) -> Result<Vec<super::entities::failover::Model>, DbErr> {
        use super::entities::failover::{Column as F, Entity as Failovers};
        Failovers::find().filter(F::Stale.eq(true)).all(self.db()).await
    }
}
