//! Queries on `pools`, `pool_quotas` and `environments.pool_id`, and the deployments meant to run in a pool.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use weir_model::pools::Resources;
use weir_model::DesiredState;

use super::entities::{deployment, environment, job, pool, pool_quota, version};
use super::{unique, Insert, Store};

/// A deployment meant to run (desired state running) in a pool, with what its demand is computed from.
#[derive(Clone, Debug)]
pub struct Running {
    pub deployment: deployment::Model,
    pub job: job::Model,
    pub environment: environment::Model,
    pub version: Option<version::Model>,
}

impl Store {
    pub async fn insert_pool(&self, name: &str, cluster_id: i64, capacity: &Resources) -> Result<Insert<pool::Model>, DbErr> {
        let now = Utc::now();
        unique(
            pool::ActiveModel {
                name: Set(name.to_owned()),
                cluster_id: Set(cluster_id),
                slots: Set(capacity.slots as i64),
                cpu_cores: Set(capacity.cpu_cores),
                memory_mb: Set(capacity.memory_mb.map(|m| m as i64)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(self.db()),
        )
        .await
    }

    pub async fn find_pool(&self, name: &str) -> Result<Option<pool::Model>, DbErr> {
        pool::Entity::find().filter(pool::Column::Name.eq(name)).one(self.db()).await
    }

    pub async fn pool_by_id(&self, id: i64) -> Result<Option<pool::Model>, DbErr> {
        pool::Entity::find_by_id(id).one(self.db()).await
    }

    /// Every pool, by name.
    pub async fn list_pools(&self) -> Result<Vec<pool::Model>, DbErr> {
        pool::Entity::find().order_by_asc(pool::Column::Name).all(self.db()).await
    }

    pub async fn update_pool(&self, model: pool::Model, capacity: &Resources) -> Result<pool::Model, DbErr> {
        let mut active: pool::ActiveModel = model.into();
        active.slots = Set(capacity.slots as i64);
        active.cpu_cores = Set(capacity.cpu_cores);
        active.memory_mb = Set(capacity.memory_mb.map(|m| m as i64));
        active.updated_at = Set(Utc::now());
        active.update(self.db()).await
    }

    /// Deletes a pool and its quotas, only if no environment draws from it (checked in the same transaction);
    /// false when one does.
    pub async fn delete_pool(&self, id: i64) -> Result<bool, DbErr> {
        let txn = self.db().begin().await?;
        let used = environment::Entity::find().filter(environment::Column::PoolId.eq(id)).one(&txn).await?.is_some();
        if used {
            txn.rollback().await?;
            return Ok(false);
        }
        pool_quota::Entity::delete_many().filter(pool_quota::Column::PoolId.eq(id)).exec(&txn).await?;
        pool::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The environments that draw from a pool, by name.
    pub async fn environments_in_pool(&self, pool_id: i64) -> Result<Vec<environment::Model>, DbErr> {
        environment::Entity::find()
            .filter(environment::Column::PoolId.eq(pool_id))
            .order_by_asc(environment::Column::Name)
            .all(self.db())
            .await
    }

    /// Makes an environment draw from a pool (or from none).
    pub async fn set_environment_pool(&self, environment_id: i64, pool_id: Option<i64>) -> Result<(), DbErr> {
        environment::Entity::update_many()
            .col_expr(environment::Column::PoolId, Expr::value(pool_id))
            .filter(environment::Column::Id.eq(environment_id))
            .exec(self.db())
            .await
            .map(|_| ())
    }

    /// The quotas of a pool.
    pub async fn quotas_of(&self, pool_id: i64) -> Result<Vec<pool_quota::Model>, DbErr> {
        pool_quota::Entity::find()
            .filter(pool_quota::Column::PoolId.eq(pool_id))
            .order_by_asc(pool_quota::Column::NamespaceId)
            .all(self.db())
            .await
    }

    pub async fn quota(&self, pool_id: i64, namespace_id: i64) -> Result<Option<pool_quota::Model>, DbErr> {
        pool_quota::Entity::find()
            .filter(pool_quota::Column::PoolId.eq(pool_id))
            .filter(pool_quota::Column::NamespaceId.eq(namespace_id))
            .one(self.db())
            .await
    }

    /// Sets a namespace's quota in a pool, replacing the one it had.
    pub async fn set_quota(&self, pool_id: i64, namespace_id: i64, quota: &Resources) -> Result<pool_quota::Model, DbErr> {
        let txn = self.db().begin().await?;
        let existing = pool_quota::Entity::find()
            .filter(pool_quota::Column::PoolId.eq(pool_id))
            .filter(pool_quota::Column::NamespaceId.eq(namespace_id))
            .one(&txn)
            .await?;
        let mut active: pool_quota::ActiveModel = match existing {
            Some(m) => m.into(),
            None => pool_quota::ActiveModel { pool_id: Set(pool_id), namespace_id: Set(namespace_id), ..Default::default() },
        };
        active.slots = Set(quota.slots as i64);
        active.cpu_cores = Set(quota.cpu_cores);
        active.memory_mb = Set(quota.memory_mb.map(|m| m as i64));
        active.updated_at = Set(Utc::now());
        active.save(&txn).await?;
        txn.commit().await?;
        pool_quota::Entity::find()
            .filter(pool_quota::Column::PoolId.eq(pool_id))
            .filter(pool_quota::Column::NamespaceId.eq(namespace_id))
            .one(self.db())
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("the quota of namespace {namespace_id} in pool {pool_id}")))
    }

    /// The deployments meant to run in a pool (desired state running, in an environment drawing from it),
    /// with their jobs, environments and versions.
    pub async fn running_in_pool(&self, pool_id: i64) -> Result<Vec<Running>, DbErr> {
        let envs = self.environments_in_pool(pool_id).await?;
        if envs.is_empty() {
            return Ok(Vec::new());
        }
        let deployments = deployment::Entity::find()
            .filter(deployment::Column::EnvironmentId.is_in(envs.iter().map(|e| e.id)))
            .filter(deployment::Column::DesiredState.eq(DesiredState::Running))
            .order_by_asc(deployment::Column::Id)
            .all(self.db())
            .await?;
        let job_ids: Vec<i64> = deployments.iter().map(|d| d.job_id).collect();
        let version_ids: Vec<i64> = deployments.iter().filter_map(|d| d.version_id).collect();
        let jobs = job::Entity::find().filter(job::Column::Id.is_in(job_ids)).all(self.db()).await?;
        let versions = version::Entity::find().filter(version::Column::Id.is_in(version_ids)).all(self.db()).await?;
        let mut out = Vec::with_capacity(deployments.len());
        for d in deployments {
            let Some(job) = jobs.iter().find(|j| j.id == d.job_id).cloned() else { continue };
            let Some(environment) = envs.iter().find(|e| e.id == d.environment_id).cloned() else { continue };
            let version = d.version_id.and_then(|v| versions.iter().find(|x| x.id == v).cloned());
            out.push(Running { deployment: d, job, environment, version });
        }
        Ok(out)
    }
}
