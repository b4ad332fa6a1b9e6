//! Queries on `operations` and `operation_steps`, including the one-operation-per-deployment lock.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use serde::{Deserialize, Serialize};
use weir_model::{DesiredState, OperationKind, OperationStatus, Step, StepStatus};

use super::entities::{deployment, operation, operation_step};
use super::Store;

/// The outcome of asking for the deployment's lock.
pub enum Admission {
    Admitted(operation::Model),
    /// Another operation is in flight: its id.
    Busy(i64),
}

/// What a deployment should be, written when an operation is admitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    pub state: DesiredState,
    pub version_id: Option<i64>,
    /// The config hotfix, as JSON.
    pub config_overrides: String,
}

impl Desired {
    pub fn of(d: &deployment::Model) -> Self {
        Self { state: d.desired_state, version_id: d.version_id, config_overrides: d.config_overrides.clone() }
    }
}

impl Store {
    /// Creates a queued operation and makes it the deployment's active operation, in one transaction, only if
    /// no other operation is active; in the same transaction, writes what the deployment should now be
    /// (`desired`) and keeps what it was in the operation. Concurrent requests: exactly one is admitted.
    pub async fn admit_operation(
        &self,
        deployment_id: i64,
        kind: OperationKind,
        requested_by: &str,
        params_json: &str,
        desired: Option<Desired>,
    ) -> Result<Admission, DbErr> {
        let txn = self.db().begin().await?;
        let op = operation::ActiveModel {
            deployment_id: Set(deployment_id),
            kind: Set(kind),
            requested_by: Set(requested_by.to_owned()),
            params: Set(params_json.to_owned()),
            status: Set(OperationStatus::Queued),
            error: Set(None),
            prior_desired: Set(None),
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
        if locked.rows_affected != 1 {
            txn.rollback().await?;
            let holder = deployment::Entity::find_by_id(deployment_id)
                .one(self.db())
                .await?
                .and_then(|d| d.active_operation_id)
                .unwrap_or_default();
            return Ok(Admission::Busy(holder));
        }
        let Some(desired) = desired else {
            txn.commit().await?;
            return Ok(Admission::Admitted(op));
        };
        // Locked by this operation: nobody else changes the desired state until it ends.
        let current = deployment::Entity::find_by_id(deployment_id)
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("deployment {deployment_id}")))?;
        let prior = serde_json::to_string(&Desired::of(&current)).map_err(|e| DbErr::Custom(e.to_string()))?;
        write_desired(&txn, deployment_id, &desired).await?;
        let mut active: operation::ActiveModel = op.into();
        active.prior_desired = Set(Some(prior));
        let op = active.update(&txn).await?;
        txn.commit().await?;
        Ok(Admission::Admitted(op))
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
            .filter(operation::Column::Status.is_in([OperationStatus::Queued, OperationStatus::Running]))
            .order_by_asc(operation::Column::Id)
            .all(self.db())
            .await
    }

    pub async fn mark_operation_running(&self, id: i64) -> Result<(), DbErr> {
        operation::Entity::update_many()
            .col_expr(operation::Column::Status, Expr::value(OperationStatus::Running))
            .col_expr(operation::Column::StartedAt, Expr::value(Utc::now()))
            .filter(operation::Column::Id.eq(id))
            .filter(operation::Column::Status.eq(OperationStatus::Queued))
            .exec(self.db())
            .await
            .map(|_| ())
    }

    /// Ends an operation and releases its deployment's lock, in one transaction; when `restore_prior`, the
    /// deployment's desired state goes back to what it was before the operation was admitted.
    pub async fn finish_operation(
        &self,
        id: i64,
        deployment_id: i64,
        error: Option<&str>,
        restore_prior: bool,
    ) -> Result<(), DbErr> {
        let txn = self.db().begin().await?;
        let status = if error.is_some() { OperationStatus::Failed } else { OperationStatus::Succeeded };
        operation::Entity::update_many()
            .col_expr(operation::Column::Status, Expr::value(status))
            .col_expr(operation::Column::Error, Expr::value(error.map(str::to_owned)))
            .col_expr(operation::Column::FinishedAt, Expr::value(Utc::now()))
            .filter(operation::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if restore_prior {
            let prior = operation::Entity::find_by_id(id).one(&txn).await?.and_then(|op| op.prior_desired);
            if let Some(prior) = prior {
                let prior: Desired = serde_json::from_str(&prior).map_err(|e| DbErr::Custom(e.to_string()))?;
                write_desired(&txn, deployment_id, &prior).await?;
            }
        }
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

    /// The steps of several operations, in order.
    pub async fn steps_of_operations(&self, operation_ids: Vec<i64>) -> Result<Vec<operation_step::Model>, DbErr> {
        if operation_ids.is_empty() {
            return Ok(Vec::new());
        }
        operation_step::Entity::find()
            .filter(operation_step::Column::OperationId.is_in(operation_ids))
            .order_by_asc(operation_step::Column::Seq)
            .all(self.db())
            .await
    }

    /// Records a step as started, with what it is about to do, before it acts.
    pub async fn begin_step(
        &self,
        operation_id: i64,
        seq: i32,
        name: Step,
        data_json: &str,
    ) -> Result<operation_step::Model, DbErr> {
        operation_step::ActiveModel {
            operation_id: Set(operation_id),
            seq: Set(seq),
            name: Set(name),
            status: Set(StepStatus::Running),
            data: Set(data_json.to_owned()),
            started_at: Set(Utc::now()),
            finished_at: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    /// Updates a step's data (and ends it when `status` is succeeded or failed).
    pub async fn record_step(&self, step_id: i64, status: StepStatus, data_json: &str) -> Result<(), DbErr> {
        let mut update = operation_step::Entity::update_many()
            .col_expr(operation_step::Column::Status, Expr::value(status))
            .col_expr(operation_step::Column::Data, Expr::value(data_json));
        if status != StepStatus::Running {
            update = update.col_expr(operation_step::Column::FinishedAt, Expr::value(Utc::now()));
        }
        update.filter(operation_step::Column::Id.eq(step_id)).exec(self.db()).await.map(|_| ())
    }
}

/// Writes a deployment's desired state, version and overrides.
async fn write_desired(txn: &DatabaseTransaction, deployment_id: i64, desired: &Desired) -> Result<(), DbErr> {
    deployment::Entity::update_many()
        .col_expr(deployment::Column::DesiredState, Expr::value(desired.state))
        .col_expr(deployment::Column::VersionId, Expr::value(desired.version_id))
        .col_expr(deployment::Column::ConfigOverrides, Expr::value(desired.config_overrides.clone()))
        .col_expr(deployment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(deployment::Column::Id.eq(deployment_id))
        .exec(txn)
        .await
        .map(|_| ())
}
