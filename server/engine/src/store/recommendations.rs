//! Queries on `recommendation_history` and `environments.recommendation_settings`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use weir_model::recommendations::RecommendationAction;

use super::entities::{deployment, environment, recommendation_record};
use super::Store;

/// One history entry to write.
pub struct NewRecord<'a> {
    pub deployment_id: i64,
    pub action: RecommendationAction,
    pub fingerprint: &'a str,
    pub body_json: &'a str,
    pub reason: Option<&'a str>,
    pub operation_id: Option<i64>,
    pub by: &'a str,
}

impl Store {
    pub async fn insert_recommendation_record(&self, r: NewRecord<'_>) -> Result<recommendation_record::Model, DbErr> {
        recommendation_record::ActiveModel {
            deployment_id: Set(r.deployment_id),
            action: Set(r.action),
            fingerprint: Set(r.fingerprint.to_owned()),
            body: Set(r.body_json.to_owned()),
            reason: Set(r.reason.map(str::to_owned)),
            operation_id: Set(r.operation_id),
            by: Set(r.by.to_owned()),
            at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    /// A deployment's history, newest first (at most `limit` entries).
    pub async fn recommendation_history(&self, deployment_id: i64, limit: u64) -> Result<Vec<recommendation_record::Model>, DbErr> {
        recommendation_record::Entity::find()
            .filter(recommendation_record::Column::DeploymentId.eq(deployment_id))
            .order_by_desc(recommendation_record::Column::Id)
            .limit(limit)
            .all(self.db())
            .await
    }

    /// The newest entry of one action for a deployment.
    pub async fn latest_recommendation_record(
        &self,
        deployment_id: i64,
        action: RecommendationAction,
    ) -> Result<Option<recommendation_record::Model>, DbErr> {
        recommendation_record::Entity::find()
            .filter(recommendation_record::Column::DeploymentId.eq(deployment_id))
            .filter(recommendation_record::Column::Action.eq(action))
            .order_by_desc(recommendation_record::Column::Id)
            .one(self.db())
            .await
    }

    /// Every deployment whose desired state is running, by id.
    pub async fn running_deployments(&self) -> Result<Vec<deployment::Model>, DbErr> {
        deployment::Entity::find()
            .filter(deployment::Column::DesiredState.eq(weir_model::DesiredState::Running))
            .order_by_asc(deployment::Column::Id)
            .all(self.db())
            .await
    }

    /// Sets (or, with `None`, clears) an environment's recommendation settings (JSON).
    pub async fn set_recommendation_settings(&self, environment_id: i64, json: Option<&str>) -> Result<(), DbErr> {
        environment::Entity::update_many()
            .col_expr(environment::Column::RecommendationSettings, sea_orm::sea_query::Expr::value(json.map(str::to_owned)))
            .filter(environment::Column::Id.eq(environment_id))
            .exec(self.db())
            .await?;
        Ok(())
    }
}
