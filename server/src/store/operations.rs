//! Queries on `operations` and `operation_steps`, including the one-operation-per-deployment lock.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::entities::{deployment, operation, operation_step};
use super::Store;

/// The outcome of asking for the deployment's lock.
pub enum Admission {
    Admitted(operation::Model),
    /// Another operation is in flight: its id.
    Busy(i64),
}

impl Store {
    /// Creates a queued operation and makes it the deployment's active operation, in one transaction, only if
    /// no other operation is active. Concurrent requests: exactly one is admitted.
    pub async fn admit_operation(
        &self,
        deployment_id: i64,
        kind: &str,
        requested_by: &str,
        params_json: &str,
    ) -> Result<Admission, DbErr> {
        let txn = self.db().begin().await?;
        let op = operation::ActiveModel {
            deployment_id: Set(deployment_id),
            kind: Set(kind.to_owned()),
            requested_by: Set(requested_by.to_owned()),
            params: Set(params_json.to_owned()),
            status: Set("queued".into()),
            error: Set(None),
            created_at: Set(Utc::now()),
            started_at: Set(None),
            finished_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let locked = deployment::Entity::update_many()
            .col_expr(deployment::Column::ActiveOperationId, Expr::value(op.id))
            .filter(deployment::Column::Id.eq(deployment_id))
            .filter(deployment::Column::ActiveOperationId.is_null())
            .exec(&txn)
            .await?;
        if locked.rows_affected == 1 {
            txn.commit().await?;
            return Ok(Admission::Admitted(op));
        }
        txn.rollback().await?;
        let holder = deployment::Entity::find_by_id(deployment_id)
            .one(self.db())
            .await?
            .and_then(|d| d.active_operation_id)
            .unwrap_or_default();
        Ok(Admission::Busy(holder))
    }

    pub async fn operation_by_id(&self, id: i64) -> Result<Option<operation::Model>, DbErr> {
        operation::Entity::find_by_id(id).one(self.db()).await
    }

    /// Operations of the given deployments, newest first.
    pub async fn list_operations(&self, deployment_ids: Vec<i64>) -> Result<Vec<operation::Model>, DbErr> {
        operation::Entity::find()
            .filter(operation::Column::DeploymentId.is_in(deployment_ids))
            .order_by_desc(operation::Column::Id)
            .all(self.db())
            .await
    }

    /// Operations a restarted `weir` must resume.
    pub async fn unfinished_operations(&self) -> Result<Vec<operation::Model>, DbErr> {
        operation::Entity::find()
            .filter(operation::Column::Status.is_in(["queued", "running"]))
            .order_by_asc(operation::Column::Id)
            .all(self.db())
            .await
    }

    pub async fn mark_operation_running(&self, id: i64) -> Result<(), DbErr> {
        operation::Entity::update_many()
            .col_expr(operation::Column::Status, Expr::value("running"))
            .col_expr(operation::Column::StartedAt, Expr::value(Utc::now()))
            .filter(operation::Column::Id.eq(id))
            .filter(operation::Column::Status.eq("queued"))
            .exec(self.db())
            .await
            .map(|_| ())
    }

    /// Ends an operation and releases its deployment's lock, in one transaction.
    pub async fn finish_operation(&self, id: i64, deployment_id: i64, error: Option<&str>) -> Result<(), DbErr> {
        let txn = self.db().begin().await?;
        operation::Entity::update_many()
            .col_expr(operation::Column::Status, Expr::value(if error.is_some() { "failed" } else { "succeeded" }))
            .col_expr(operation::Column::Error, Expr::value(error.map(str::to_owned)))
            .col_expr(operation::Column::FinishedAt, Expr::value(Utc::now()))
            .filter(operation::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        deployment::Entity::update_many()
            .col_expr(deployment::Column::ActiveOperationId, Expr::value(Option::<i64>::None))
            .filter(deployment::Column::Id.eq(deployment_id))
            .filter(deployment::Column::ActiveOperationId.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    pub async fn steps_of(&self, operation_id: i64) -> Result<Vec<operation_step::Model>, DbErr> {
        operation_step::Entity::find()
            .filter(operation_step::Column::OperationId.eq(operation_id))
            .order_by_asc(operation_step::Column::Seq)
            .all(self.db())
            .await
    }

    /// Records a step as started, with what it is about to do, before it acts.
    pub async fn begin_step(
        &self,
        operation_id: i64,
        seq: i32,
        name: &str,
        data_json: &str,
    ) -> Result<operation_step::Model, DbErr> {
        operation_step::ActiveModel {
            operation_id: Set(operation_id),
            seq: Set(seq),
            name: Set(name.to_owned()),
            status: Set("running".into()),
            data: Set(data_json.to_owned()),
            started_at: Set(Utc::now()),
            finished_at: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    /// Updates a step's data (and ends it when `status` is succeeded or failed).
    pub async fn record_step(&self, step_id: i64, status: &str, data_json: &str) -> Result<(), DbErr> {
        let mut update = operation_step::Entity::update_many()
            .col_expr(operation_step::Column::Status, Expr::value(status))
            .col_expr(operation_step::Column::Data, Expr::value(data_json));
        if status != "running" {
            update = update.col_expr(operation_step::Column::FinishedAt, Expr::value(Utc::now()));
        }
        update.filter(operation_step::Column::Id.eq(step_id)).exec(self.db()).await.map(|_| ())
    }
}
