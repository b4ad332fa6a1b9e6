//! Queries on `environments`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::{cluster, environment};
use super::{unique, Insert, Store};

impl Store {
    pub async fn insert_environment(
        &self,
        name: &str,
        cluster_id: i64,
        flink_config_json: &str,
        prometheus_url: Option<&str>,
    ) -> Result<Insert<environment::Model>, DbErr> {
        unique(environment::ActiveModel {
            name: Set(name.to_owned()),
            cluster_id: Set(cluster_id),
            flink_config: Set(flink_config_json.to_owned()),
            prometheus_url: Set(prometheus_url.map(str::to_owned)),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        ).await
    }

    pub async fn find_environment(&self, name: &str) -> Result<Option<environment::Model>, DbErr> {
        environment::Entity::find().filter(environment::Column::Name.eq(name)).one(self.db()).await
    }

    /// Every environment with the cluster it is bound to, by environment name.
    pub async fn list_environments(&self) -> Result<Vec<(environment::Model, cluster::Model)>, DbErr> {
        let rows = environment::Entity::find()
            .find_also_related(cluster::Entity)
            .order_by_asc(environment::Column::Name)
            .all(self.db())
            .await?;
        // The foreign key guarantees the cluster; a missing one would be a corrupt database.
        rows.into_iter()
            .map(|(env, cl)| {
                cl.map(|c| (env.clone(), c)).ok_or_else(|| {
                    DbErr::RecordNotFound(format!("cluster {} of environment {}", env.cluster_id, env.name))
                })
            })
            .collect()
    }

    pub async fn update_environment(
        &self,
        model: environment::Model,
        cluster_id: i64,
        flink_config_json: &str,
        prometheus_url: Option<&str>,
    ) -> Result<environment::Model, DbErr> {
        let mut active: environment::ActiveModel = model.into();
        active.prometheus_url = Set(prometheus_url.map(str::to_owned));
        active.cluster_id = Set(cluster_id);
        active.flink_config = Set(flink_config_json.to_owned());
        active.update(self.db()).await
    }
}
