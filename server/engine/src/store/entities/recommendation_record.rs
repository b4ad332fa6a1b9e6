//! Table `recommendation_history`: each recommendation shown, applied or dismissed for a deployment.

use sea_orm::entity::prelude::*;
use weir_model::recommendations::RecommendationAction;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendation_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    pub action: RecommendationAction,
    /// A digest of the advised numbers (the same advice, the same fingerprint).
    pub fingerprint: String,
    /// The recommendation as shown (JSON `weir_model::recommendations::Recommendation`).
    pub body: String,
    /// A dismissal's reason.
    pub reason: Option<String>,
    /// The operation an applied recommendation started.
    pub operation_id: Option<i64>,
    pub by: String,
    pub at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
